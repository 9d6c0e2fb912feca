"""The sources configuration (AR_SOURCES_FILE): defaults, the shipped example, clear errors; and the
pieces of database extraction that need no database (watermarks, chunk typing)."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from ar_risk.contract import TABLES
from ar_risk.extract.database import chunk_to_arrow, typed_source_columns
from ar_risk.extract.mapping import identity_mapping
from ar_risk.extract.sources import (
    EXTRACTION_ORDER,
    DatabaseSource,
    FilesSource,
    SourceConfigError,
    files_source_tables,
    load_sources,
    ordered_sources,
    parse_duration,
)
from ar_risk.extract.watermarks import Watermark

from conftest import settings_for

EXAMPLE = Path(__file__).resolve().parents[1] / "include" / "ar_risk" / "extract" / "sources.example.yml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _load(tmp_path: Path, text: str):
    settings = settings_for(tmp_path / "home")
    return load_sources(settings, _write(tmp_path, text))


def test_without_a_sources_file_the_landing_folder_is_the_one_source(tmp_path):
    settings = settings_for(tmp_path, AR_CSV_ENCODING="gb18030")
    config = load_sources(settings)
    assert config.path is None
    (source,) = config.sources
    assert isinstance(source, FilesSource)
    assert (source.name, source.landing_dir, source.encoding) == ("landing", tmp_path / "landing", "gb18030")


def test_the_sources_file_comes_from_ar_sources_file(tmp_path):
    path = _write(tmp_path, "sources:\n  - {name: erp, kind: database, conn_id: ar_erp, tables: erp}\n")
    config = load_sources(settings_for(tmp_path / "home", AR_SOURCES_FILE=str(path)))
    assert config.path == path and config.names == ["erp"]


def test_the_shipped_example_loads_with_its_options(tmp_path):
    config = load_sources(settings_for(tmp_path), EXAMPLE)
    erp, crm = config.sources
    assert isinstance(erp, DatabaseSource) and isinstance(crm, DatabaseSource)
    assert [o.name for o in erp.tables] == [t for t in TABLES if TABLES[t].system == "erp"]
    assert erp.table("erp_invoices").lookback == dt.timedelta(hours=2)
    assert erp.table("erp_invoices").chunk_size == 50_000
    assert erp.naive_timestamps_in == "Asia/Shanghai"
    assert crm.conn_id == "ar_crm" and crm.schema is None
    assert crm.table("crm_activities").lookback == dt.timedelta(days=1)
    assert crm.table("crm_disputes").full_refresh is True
    assert crm.table("crm_accounts").lookback == dt.timedelta(hours=1)  # the default


def test_sources_run_in_reference_order_whatever_order_the_file_lists_them(tmp_path):
    config = _load(
        tmp_path,
        """
        sources:
          - {name: crm, kind: database, conn_id: ar_crm, tables: crm}
          - name: erp
            kind: database
            conn_id: ar_erp
            tables: [erp_invoices, erp_payments, erp_customers, erp_fx_rates]
        """,
    )
    erp, crm = ordered_sources(config)
    assert (erp.name, crm.name) == ("erp", "crm")
    assert [o.name for o in erp.tables] == ["erp_fx_rates", "erp_customers", "erp_invoices", "erp_payments"]
    # Every table comes after the tables its references point at.
    for name, table in TABLES.items():
        for ref in table.references.values():
            parent = ref.split(".")[0]
            if parent != name:
                assert EXTRACTION_ORDER.index(parent) < EXTRACTION_ORDER.index(name), (parent, name)


def test_a_files_source_beside_databases_provides_only_what_no_database_reads(tmp_path):
    landing = tmp_path / "exports"
    for folder in ("erp_customers", "crm_disputes"):  # erp_customers also comes from the database
        (landing / folder).mkdir(parents=True)
    config = _load(
        tmp_path,
        f"""
        sources:
          - {{name: exports, kind: files, landing_dir: {landing}}}
          - {{name: erp, kind: database, conn_id: ar_erp, tables: erp}}
        """,
    )
    provided = files_source_tables(config)
    assert "crm_disputes" in provided
    assert not [name for name in provided if TABLES[name].system == "erp"]
    # The database holding customers runs first, although the files source has a customers folder.
    assert [s.name for s in ordered_sources(config)] == ["erp", "exports"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: []", "'sources' must be a non-empty list"),
        ("sources:\n  - {name: erp, kind: ftp}", r"source 'erp': kind must be one of files, database, got 'ftp'"),
        (
            "sources:\n  - {name: erp, kind: database, tables: erp}",
            r"source 'erp': key 'conn_id' is required",
        ),
        (
            "sources:\n  - {name: erp, kind: database, conn_id: ar_erp, tables: erp, password: hunter2}",
            r"source 'erp': unknown key 'password'",  # credentials never live in this file
        ),
        (
            "sources:\n  - {name: erp, kind: database, conn_id: ar_erp, tables: [erp_customers, invoices]}",
            r"source 'erp'.tables\[1\]: 'invoices' is not a table of the source contract",
        ),
        (
            "sources:\n  - {name: erp, kind: database, conn_id: ar_erp, tables: erp, lookback: soon}",
            r"source 'erp'.lookback: 'soon' is not a duration such as 30m, 2h or 1d",
        ),
        (
            "sources:\n  - {name: erp, kind: database, conn_id: ar_erp, tables: erp, chunk_size: 0}",
            r"source 'erp'.chunk_size: expected a whole number >= 1, got 0",
        ),
        (
            "sources:\n  - {name: erp, kind: database, conn_id: ar_erp, tables: erp, full_refresh: 'yes'}",
            r"source 'erp'.full_refresh: expected true or false",
        ),
        (
            "sources:\n  - {name: erp, kind: database, conn_id: ar_erp, tables: erp, naive_timestamps_in: Beijing}",
            r"source 'erp'.naive_timestamps_in: 'Beijing' is not an IANA time zone",
        ),
        (
            "sources:\n  - {name: crm, kind: database, conn_id: ar_crm, tables: crm}",
            r"required table\(s\) erp_customers, erp_invoices, erp_payments are read by no source",
        ),
        (
            "sources:\n  - {name: erp, kind: database, conn_id: ar_erp, tables: erp}\n"
            "  - {name: erp2, kind: database, conn_id: ar_erp2, tables: [erp_invoices]}",
            r"table 'erp_invoices' is read by both source 'erp' and source 'erp2'",
        ),
        (
            "sources:\n  - {name: erp, kind: database, conn_id: ar_erp, tables: erp}\n  - {name: erp, kind: files}",
            r"source name 'erp' is used more than once",
        ),
        (
            "sources:\n  - {name: ERP, kind: database, conn_id: ar_erp, tables: erp}",
            r"source 'ERP'.name: 'ERP' must be lower_snake_case",
        ),
        (
            "sources:\n  - {name: erp, kind: database, conn_id: ar_erp, tables: erp, mapping: nowhere.yml}",
            r"source 'erp'.mapping: file .*nowhere.yml does not exist",
        ),
        ("sources:\n  - {name: files, kind: files, encoding: klingon}", r"'klingon' is not an encoding Python knows"),
        ("sources: [unclosed", r"not valid YAML"),
    ],
)
def test_bad_configuration_names_the_file_the_source_and_the_key(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(SourceConfigError, match=message) as caught:
        load_sources(settings_for(tmp_path / "home"), path)
    assert str(path) in str(caught.value)


def test_a_missing_sources_file_is_named(tmp_path):
    with pytest.raises(SourceConfigError, match=r"AR_SOURCES_FILE=.*nope.yml: the file does not exist"):
        load_sources(settings_for(tmp_path, AR_SOURCES_FILE=str(tmp_path / "nope.yml")))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("30m", dt.timedelta(minutes=30)), ("2h", dt.timedelta(hours=2)), ("1d", dt.timedelta(days=1)), (90, None)],
)
def test_durations(value, expected):
    assert parse_duration(value, "x") == (expected or dt.timedelta(minutes=90))


def test_watermarks_keep_the_source_type_and_subtract_the_lookback():
    aware = Watermark(dt.datetime(2026, 10, 30, 9, 57, tzinfo=dt.UTC))
    kind, text = aware.to_text()
    assert (kind, text) == ("datetime", "2026-10-30T09:57:00+00:00")
    assert Watermark.from_text(kind, text) == aware
    assert aware.minus(dt.timedelta(hours=1)) == dt.datetime(2026, 10, 30, 8, 57, tzinfo=dt.UTC)
    # A naive source timestamp stays naive (compared in the source's own type), shown in UTC for people.
    naive = Watermark.from_text("datetime", "2026-10-30T17:57:00")
    assert naive.value.tzinfo is None
    assert naive.to_utc(ZoneInfo("Asia/Shanghai")) == dt.datetime(2026, 10, 30, 9, 57)
    # A date watermark goes back whole days: at least one when there is any lookback.
    assert Watermark(dt.date(2026, 10, 30)).minus(dt.timedelta(hours=2)) == dt.date(2026, 10, 29)
    assert Watermark(dt.date(2026, 10, 30)).minus(dt.timedelta(0)) == dt.date(2026, 10, 30)


def test_a_chunk_becomes_arrow_with_the_contract_types_or_text_the_contract_check_will_name():
    table = TABLES["erp_customers"]
    names = [*table.column_names, "is_deleted", "legacy_code"]
    shanghai_9am = dt.datetime(2026, 1, 5, 9, 0)  # naive: the source keeps Shanghai time
    rows = [
        ("C1", "甲公司", None, "华东", "CN", "制造", dt.date(2020, 1, 1), "R1", 30, "A", 1, shanghai_9am, 0, 7),
        ("C2", "乙公司", None, "华北", "CN", "零售", "2020-02-30", "R2", 45, None, 0, shanghai_9am, 1, None),
    ]
    batch = chunk_to_arrow(
        rows, names, typed_source_columns(table, identity_mapping(table.name)), first_row=11, zone_name="Asia/Shanghai"
    )
    schema = dict(zip(batch.column_names, batch.schema.types, strict=True))
    assert schema["payment_terms_days"] == pa.int32()
    # MySQL booleans arrive as 0/1 and become booleans.
    assert schema["is_active"] == pa.bool_() and batch.column("is_deleted").to_pylist() == [False, True]
    # Naive source timestamps are read in the source's zone and stored in UTC.
    assert batch.column("updated_at").to_pylist()[0] == dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)
    # A date column holding a non-date goes on as text, so the contract check names row and value.
    assert schema["customer_since"] == pa.string()
    assert batch.column("customer_since").to_pylist() == ["2020-01-01", "2020-02-30"]
    assert schema["legacy_code"] == pa.string() and batch.column("legacy_code").to_pylist() == ["7", None]
    assert batch.column("_source_row").to_pylist() == [11, 12]


def test_money_with_more_decimals_than_the_contract_goes_on_as_exact_text():
    table = TABLES["erp_payments"]
    rows = [("P1", "C1", dt.date(2026, 1, 1), Decimal("10.005"), "CNY", None, dt.datetime(2026, 1, 1))]
    batch = chunk_to_arrow(
        rows, table.column_names, typed_source_columns(table, identity_mapping(table.name)), first_row=1
    )
    assert batch.column("amount").to_pylist() == ["10.005"]  # the raw cast rounds it, as for a CSV value


def test_the_extraction_report_gives_each_table_its_source_counts_and_watermark():
    from ar_risk.tasks import summarize_extraction

    reports = [
        {
            "source": "erp",
            "tables": {
                "erp_invoices": {"available": True, "rows_loaded": 4, "rows_quarantined": 1, "mode": "incremental",
                                 "watermark_after": "2026-10-31T01:00:00+00:00", "source_table": "ar_erp:public.inv"},
                "erp_orders": {"available": False},
            },
        },
        {"source": "landing", "tables": {"erp_customers": {"available": True, "rows_loaded": 2}}},
    ]  # fmt: skip
    summary = summarize_extraction(reports)
    assert summary["tables"]["erp_invoices"] == {
        "source": "erp",
        "source_table": "ar_erp:public.inv",
        "rows_loaded": 4,
        "rows_already_present": 0,
        "rows_quarantined": 1,
        "quarantine_reasons": {},
        "rows_released_from_quarantine": 0,
        "rows_tombstoned": 0,
        "mode": "incremental",
        "watermark": "2026-10-31T01:00:00+00:00",
    }
    assert summary["tables"]["erp_customers"]["mode"] == "files"
    assert "erp_orders" in summary["unavailable_tables"] and "erp_invoices" not in summary["unavailable_tables"]
    assert (summary["rows_loaded"], summary["rows_quarantined"]) == (6, 1)
