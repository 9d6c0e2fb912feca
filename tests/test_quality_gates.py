"""Quality gates (GX 1.x): critical rules stop the load, other failing rows go to quarantine."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from ar_risk import tasks
from ar_risk.contract import TABLES
from ar_risk.extract.landing import load_landing
from ar_risk.quality import QualityGateError
from ar_risk.quality.limits import GateLimitsError, load_gate_limits
from ar_risk.quality.suites import SEVERITIES, SUITES_DIR, QualitySuiteError, load_suite_specs

INVOICE_HEADER = (
    "invoice_id,customer_id,document_type,invoice_date,due_date,amount,currency,order_id,sales_rep_id,updated_at"
)


def _query(settings, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _add_invoices(settings, *lines: str, name: str = "late.csv") -> None:
    (settings.landing_dir / "erp_invoices" / name).write_text("\n".join([INVOICE_HEADER, *lines]) + "\n")


def test_every_contract_table_has_a_suite_with_severities():
    specs = load_suite_specs()
    assert set(specs) == set(TABLES)
    for table, spec in specs.items():
        rules = {(e["meta"]["rule"], e["meta"]["severity"]) for e in spec["expectations"]}
        assert all(severity in SEVERITIES for _, severity in rules)
        # Keys are always gated as critical: a batch with two rows for one key is ambiguous.
        assert ("key_unique", "critical") in rules and ("key_not_null", "critical") in rules, table
        for e in spec["expectations"]:
            column = e["meta"].get("column") or e["kwargs"].get("column", "").removesuffix("__known")
            assert not column or column in TABLES[table].column_names, (table, column)


def test_a_suite_without_severity_is_refused(tmp_path):
    for path in SUITES_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    spec = json.loads((tmp_path / "erp_invoices.json").read_text())
    del spec["expectations"][2]["meta"]["severity"]
    (tmp_path / "erp_invoices.json").write_text(json.dumps(spec))
    with pytest.raises(QualitySuiteError, match=r"erp_invoices\.json: expectation 3 .*meta\.severity must be one of"):
        load_suite_specs(tmp_path)


def test_the_suites_keys_nullability_and_references_are_the_contracts():
    """Generated from contract.py, not repeated by hand: each suite's column set, key rules (critical),
    value_required rules (warning) and reference rules are exactly what the contract says."""
    for name, spec in load_suite_specs().items():
        table = TABLES[name]
        by_rule: dict[str, list[dict]] = {}
        for e in spec["expectations"]:
            by_rule.setdefault(e["meta"]["rule"], []).append(e)
        (columns,) = by_rule["columns_present"]
        assert columns["kwargs"]["column_set"] == table.column_names, name
        assert [e["kwargs"]["column"] for e in by_rule["key_not_null"]] == list(table.key), name
        (unique,) = by_rule["key_unique"]
        assert unique["kwargs"].get("column_list", [unique["kwargs"].get("column")]) == list(table.key), name
        required = [c.name for c in table.columns if not c.nullable and c.name not in table.key]
        assert [e["kwargs"]["column"] for e in by_rule.get("value_required", [])] == required, name
        references = [e["kwargs"]["column"].removesuffix("__known") for e in by_rule.get("reference_known", [])]
        assert references == list(table.references), name
        assert {e["meta"]["severity"] for e in by_rule["key_not_null"] + by_rule["key_unique"]} == {"critical"}
        assert {e["meta"]["severity"] for e in by_rule.get("value_required", [])} <= {"warning"}
        # The bilingual reasons a quarantine row and a stop message show.
        if "customer_id" in table.references:
            (customer,) = [e for e in by_rule["reference_known"] if e["kwargs"]["column"] == "customer_id__known"]
            assert customer["meta"]["description_zh"] == "customer_id 在 erp_customers 中不存在"


def test_a_contract_change_changes_the_suite_without_editing_it():
    from dataclasses import replace

    from ar_risk.contract import Column
    from ar_risk.quality.suites import contract_expectations

    invoices = TABLES["erp_invoices"]
    # order_id becomes required and a reference to erp_orders: two new rules, no JSON edited.
    columns = tuple(Column(c.name, c.type, False) if c.name == "order_id" else c for c in invoices.columns)
    changed = replace(invoices, columns=columns, references={**invoices.references, "order_id": "erp_orders.order_id"})
    head, references = contract_expectations(changed)
    assert {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "order_id"}} in [
        {"type": e["type"], "kwargs": e["kwargs"]} for e in head if e["meta"]["rule"] == "value_required"
    ]
    assert [e["kwargs"]["column"] for e in references] == ["customer_id__known", "order_id__known"]
    assert references[1]["meta"]["description_en"] == (
        "order_id is not a known erp_orders.order_id (not in raw nor in this batch)"
    )


def test_a_suite_file_that_repeats_a_contract_rule_is_refused(tmp_path):
    for path in SUITES_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    spec = json.loads((tmp_path / "erp_payments.json").read_text())
    spec["expectations"].append(
        {
            "type": "expect_column_values_to_be_unique",
            "kwargs": {"column": "payment_id"},
            "meta": {"severity": "warning", "rule": "key_unique"},
        }
    )
    (tmp_path / "erp_payments.json").write_text(json.dumps(spec))
    with pytest.raises(
        QualitySuiteError,
        match=r"erp_payments\.json: expectation \d+ .*rule key_unique is generated from .*contract\.py",
    ):
        load_suite_specs(tmp_path)


def test_gate_errors_are_data_errors_that_fail_without_retry():
    assert issubclass(QualityGateError, tasks.DATA_ERRORS)


def test_row_level_failures_are_quarantined_and_the_rest_loads(tiny_settings):
    _add_invoices(
        tiny_settings,
        "I10,C1,invoice,2026-03-01,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z",  # good
        "I11,C1,invoice,2026-03-01,2026-03-31,-5.00,CNY,,,2026-03-01T00:00:00Z",  # negative amount
        "I12,C1,invoice,2026-03-10,2026-03-01,5.00,CNY,,,2026-03-01T00:00:00Z",  # due before invoice date
        "I13,C404,invoice,2026-03-01,2026-03-31,5.00,CNY,,,2026-03-01T00:00:00Z",  # unknown customer
        "I14,C1,invoice,2026-03-01,2026-03-31,5.00,EUR,,,2026-03-01T00:00:00Z",  # no EUR rate
        "I15,C1,bill,2026-03-01,2026-03-31,5.00,CNY,,,2026-03-01T00:00:00Z",  # unknown document type
        "I16,C1,invoice,0026-03-01,2026-03-31,5.00,CNY,,,2026-03-01T00:00:00Z",  # typo year
        "I17,C2,invoice,2025-12-01,2026-03-31,5.00,USD,,,2026-03-01T00:00:00Z",  # before the first USD rate
    )
    report = load_landing(tiny_settings, batch_id="b1")
    load = report.tables["erp_invoices"]
    assert (load.rows_loaded, load.rows_quarantined) == (4 + 1, 7)
    assert report.to_dict()["quality"]["quarantined_by_table"] == {"erp_invoices": 7}
    loaded = {r[0] for r in _query(tiny_settings, "SELECT invoice_id FROM raw.erp_invoices")}
    assert loaded == {"I1", "I2", "I3", "CN1", "I10"}
    quarantined = _query(
        tiny_settings,
        "SELECT source_row, rule, column_name, batch_id, source, json_extract_string(row_json, '$.invoice_id') "
        "FROM raw._quarantine ORDER BY source_row, rule",
    )
    source = str(tiny_settings.landing_dir / "erp_invoices" / "late.csv")
    assert quarantined == [
        (3, "amount_not_negative", "amount", "b1", source, "I11"),
        (4, "due_on_or_after_invoice_date", "due_date", "b1", source, "I12"),
        (5, "reference_known", "customer_id", "b1", source, "I13"),
        (6, "currency_known", "currency", "b1", source, "I14"),
        (6, "fx_rate_on_document_date", "currency", "b1", source, "I14"),  # one row, two reasons
        (7, "code_known", "document_type", "b1", source, "I15"),
        (8, "date_in_range", "invoice_date", "b1", source, "I16"),
        # USD is known (rates from 2026-01-01) but not on 2025-12-01
        (9, "fx_rate_on_document_date", "currency", "b1", source, "I17"),
    ]
    reason = _query(tiny_settings, "SELECT reason FROM raw._quarantine WHERE source_row = 3")[0][0]
    assert reason == "amount must be >= 0 / amount 必须大于等于 0"
    # One validation result per rule and file, kept per batch.
    results = _query(
        tiny_settings,
        "SELECT rule, column_name, success, unexpected_count, outcome FROM raw._validation_results "
        "WHERE table_name = 'erp_invoices' AND source = ? AND NOT success ORDER BY rule",
        [source],
    )
    assert ("amount_not_negative", "amount", False, 1, "quarantined") in results
    assert len(results) == 7
    assert (tiny_settings.home / "gx" / "data_docs" / "index.html").exists()


def test_duplicate_key_is_critical_and_names_table_column_and_line(tiny_settings):
    _add_invoices(
        tiny_settings,
        "I10,C1,invoice,2026-03-01,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z",
        "I10,C1,invoice,2026-03-01,2026-03-31,12.00,CNY,,,2026-03-01T00:00:00Z",
    )
    with pytest.raises(QualityGateError) as excinfo:
        load_landing(tiny_settings, batch_id="b1")
    message = str(excinfo.value)
    assert message.startswith("erp_invoices.invoice_id: critical rule key_unique failed for 2 row(s) of ")
    assert (
        "late.csv: invoice_id appears more than once in the batch / invoice_id 在本批次中重复; "
        'e.g. line 2: {"invoice_id":"I10"' in message
    )
    # Nothing of the refused file is in raw, but its validation is recorded.
    assert _query(tiny_settings, "SELECT count(*) FROM raw.erp_invoices WHERE invoice_id = 'I10'") == [(0,)]
    stopped = _query(
        tiny_settings, "SELECT rule, outcome FROM raw._validation_results WHERE outcome = 'stopped' AND NOT success"
    )
    assert stopped == [("key_unique", "stopped")]


def test_exact_repeats_within_a_file_are_one_row_not_a_duplicate_key(tiny_settings):
    line = "I10,C1,invoice,2026-03-01,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z"
    _add_invoices(tiny_settings, line, line)
    report = load_landing(tiny_settings, batch_id="b1")
    assert report.tables["erp_invoices"].rows_loaded == 4 + 1


def test_an_application_for_an_unknown_invoice_is_quarantined(tiny_settings):
    path = tiny_settings.landing_dir / "erp_payment_applications" / "a.csv"
    path.write_text(path.read_text() + "A3,I999,P1,,2026-02-21,1.00,2026-02-21T00:00:00Z\n")
    report = load_landing(tiny_settings, batch_id="b1")
    assert report.tables["erp_payment_applications"].rows_quarantined == 1
    assert _query(tiny_settings, "SELECT rule, column_name FROM raw._quarantine") == [("reference_known", "invoice_id")]


def test_the_gate_validates_large_batches_in_bounded_chunks(tiny_settings, monkeypatch):
    """Chunks are cut by key hash, so a duplicate key is still caught when the batch spans chunks."""
    from ar_risk.quality import gate as gate_module

    monkeypatch.setattr(gate_module, "CHUNK_ROWS", 2)
    lines = [f"I{n},C1,invoice,2026-03-01,2026-03-31,1.00,CNY,,,2026-03-01T00:00:00Z" for n in range(10, 30)]
    lines.append("I10,C1,invoice,2026-03-01,2026-03-31,2.00,CNY,,,2026-03-01T00:00:00Z")
    _add_invoices(tiny_settings, *lines)
    gate = gate_module.QualityGate(chunk_rows=2)
    with pytest.raises(QualityGateError, match=r"key_unique failed for 2 row\(s\)"):
        load_landing(tiny_settings, batch_id="b1", gate=gate)
    assert gate._runs > 5  # the invoice file was validated in several chunks


def test_a_database_batch_without_a_contract_column_is_refused_by_the_gate(tmp_path):
    """merge_batch is also called by database sources: the gate's columns_present rule guards them."""
    from ar_risk.contract import TABLES as CONTRACT
    from ar_risk.extract.raw import ensure_raw_tables, merge_batch
    from ar_risk.quality.gate import QualityGate

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_raw_tables(con)
    con.execute(
        "CREATE TEMP VIEW chunk AS SELECT 'USD' AS currency, DATE '2026-01-01' AS rate_date, "
        "NULL::BOOLEAN AS is_deleted, 1::BIGINT AS _source_row"
    )
    with pytest.raises(QualityGateError) as excinfo:
        merge_batch(
            con,
            CONTRACT["erp_fx_rates"],
            relation="chunk",
            batch_id="b1",
            source_label="erp_db:public.fx",
            rows_in_batch=1,
            extras=[],
            gate=QualityGate(),
        )
    assert str(excinfo.value).startswith(
        "erp_fx_rates.rate_to_reporting: critical rule columns_present failed for the batch "
        "(missing column(s): rate_to_reporting) of erp_db:public.fx"
    )
    assert con.execute("SELECT count(*) FROM raw.erp_fx_rates").fetchone() == (0,)
    con.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("amount_ceiling: 1e12\nquarantine_share: 0.5\n", r"gate\.yml: unknown key\(s\) quarantine_share; known: "),
        ("quarantine_share_stop: 1.5\n", r"quarantine_share_stop must be a share in \(0, 1\], not 1\.5"),
        ("amount_ceiling: lots\n", r"amount_ceiling must be a number, not 'lots'"),
        ("- 1\n", r"expected keys and values, found list"),
    ],
)
def test_a_bad_edit_of_the_gate_limits_is_refused_naming_the_key(tmp_path, text, message):
    path = tmp_path / "gate.yml"
    path.write_text(text)
    with pytest.raises(GateLimitsError, match=message):
        load_gate_limits(path)


def test_the_shipped_gate_limits_load():
    limits = load_gate_limits()
    assert limits.quarantine_share_stop == 0.5 and limits.amount_ceiling == 10_000_000_000
