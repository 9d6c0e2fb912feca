"""Validate each extracted batch with Great Expectations before it is merged into raw.

The suites (``ar_risk.quality.suites``) are the contract's own rules (column set, keys,
nullability, references), generated from ``contract.py``, plus the rules versioned in
``expectations/<contract table>.json`` (GX 1.x suite JSON); every expectation carries
``meta.severity``:

- ``critical``: the batch is refused and the run stops with :class:`QualityGateError`
  naming table, column, rule and an example row with its line in the source;
- ``warning``: the failing rows go to ``raw._quarantine`` (rule, reason, the row as JSON,
  batch id, source and line); the others are merged and the run reports the count.

How a batch is validated: the typed batch is materialised once into a DuckDB temp table,
together with lookup columns that GX cannot compute on a DataFrame alone
(``<column>__known``: is the referenced key already in raw?). It is then read back in
chunks of at most ``chunk_rows`` rows as pandas DataFrames (bounded memory; GX's
SQLAlchemy path over DuckDB has open bugs). Chunks are cut by a hash of the table's key,
so every copy of a key lands in the same chunk and "key unique" holds across the batch.

Every validation is stored in ``raw._validation_results`` (one row per rule and batch) and,
when a Data Docs folder is configured, rendered as GX Data Docs there.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ar_risk.config import Settings
from ar_risk.contract import Table
from ar_risk.errors import QualityGateError
from ar_risk.extract.raw_columns import EXACT_SUFFIX, row_hash_sql  # __exact: computed by check_and_type_batch
from ar_risk.quality import ledger
from ar_risk.quality.ledger import live_sql
from ar_risk.quality.limits import GateLimits, load_gate_limits
from ar_risk.quality.suites import LOOKUP_SUFFIX, SUITES_DIR, load_suite_specs
from ar_risk.warehouse import quote_ident, sql_literal

log = logging.getLogger(__name__)

CHUNK_ROWS = 200_000
QUARANTINE_TABLE = "raw._quarantine"
VALIDATION_RESULTS_TABLE = "raw._validation_results"
CHECK_SUFFIXES = (LOOKUP_SUFFIX, EXACT_SUFFIX)
# The date whose FX rate converts a document to the reporting currency (as in dbt's conversion).
DOCUMENT_DATES = {"erp_invoices": "invoice_date", "erp_payments": "payment_date"}
# Rows in a quarantine or error message: enough to act on, short enough to read.
EXAMPLE_JSON_CHARS = 300


def ensure_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {QUARANTINE_TABLE} (
            table_name VARCHAR, batch_id VARCHAR, source VARCHAR, source_row BIGINT, rule VARCHAR,
            column_name VARCHAR, reason VARCHAR, row_json VARCHAR, quarantined_at TIMESTAMP)"""
    )
    # Later columns (a warehouse made before them gains them): a row waiting for a reference is
    # re-checked and, once loaded, marked released, never deleted (ar_risk.extract.loader.recheck_quarantine).
    for column, typ in (("row_offset", "INTEGER"), ("released_at", "TIMESTAMP"), ("released_batch_id", "VARCHAR")):
        con.execute(f"ALTER TABLE {QUARANTINE_TABLE} ADD COLUMN IF NOT EXISTS {column} {typ}")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {VALIDATION_RESULTS_TABLE} (
            batch_id VARCHAR, table_name VARCHAR, source VARCHAR, rule VARCHAR, expectation_type VARCHAR,
            column_name VARCHAR, severity VARCHAR, success BOOLEAN, element_count BIGINT,
            unexpected_count BIGINT, outcome VARCHAR, validated_at TIMESTAMP)"""
    )


def _expectation_column(kwargs: dict) -> str:
    if "column" in kwargs:
        column = str(kwargs["column"])
        for suffix in CHECK_SUFFIXES:
            column = column.removesuffix(suffix)
        return column
    if "column_A" in kwargs:
        return str(kwargs["column_A"])
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    return ""


@dataclass
class RuleOutcome:
    rule: str
    expectation_type: str
    column: str
    severity: str
    description: str
    success: bool = True
    element_count: int = 0
    unexpected_count: int = 0
    unexpected_rows: list[int] = field(default_factory=list)  # _source_row values
    observed: str = ""  # table-level rules: what GX saw


@dataclass
class GateOutcome:
    rules: list[RuleOutcome]
    quarantined_rows: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def critical_failures(self) -> list[RuleOutcome]:
        return [r for r in self.rules if r.severity == "critical" and not r.success]


class QualityGate:
    """One GX (ephemeral) context for a run; suites from ``expectations/``."""

    def __init__(
        self,
        *,
        reporting_currency: str = "CNY",
        data_docs_dir: Path | None = None,
        suites_dir: Path = SUITES_DIR,
        chunk_rows: int = CHUNK_ROWS,
        limits: GateLimits | None = None,
    ):
        self.reporting_currency = reporting_currency
        self.limits = limits or load_gate_limits()
        self.data_docs_dir = data_docs_dir
        self.chunk_rows = chunk_rows
        self.specs = load_suite_specs(suites_dir)
        self._context = None
        self._definitions: dict[str, object] = {}
        self._runs = 0

    # --- Great Expectations plumbing -------------------------------------------------------
    def _gx(self):
        if self._context is None:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            if self.data_docs_dir is not None:
                self.data_docs_dir.mkdir(parents=True, exist_ok=True)
                context.add_data_docs_site(
                    site_name="ar_risk",
                    site_config={
                        "class_name": "SiteBuilder",
                        "store_backend": {
                            "class_name": "TupleFilesystemStoreBackend",
                            "base_directory": str(self.data_docs_dir),
                        },
                        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                    },
                )
            self._datasource = context.data_sources.add_pandas("ar_batches")
            self._context = context
        return self._context

    def _definition(self, table: str):
        if table not in self._definitions:
            import great_expectations as gx

            context = self._gx()
            spec = self.specs[table]
            expectations = [
                {**e, "meta": {**e["meta"], "position": position}} for position, e in enumerate(spec["expectations"])
            ]
            suite = context.suites.add(
                gx.ExpectationSuite(name=table, expectations=expectations, meta=spec.get("meta") or {})
            )
            batch = self._datasource.add_dataframe_asset(table).add_batch_definition_whole_dataframe("batch")
            self._definitions[table] = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{table}_gate", data=batch, suite=suite)
            )
        return self._definitions[table]

    def build_data_docs(self) -> Path | None:
        """Render the Data Docs of every validation of this run; returns the index page."""
        if self.data_docs_dir is None or self._context is None:
            return None
        self._context.build_data_docs(site_names=["ar_risk"])  # not GX's default temporary site
        return self.data_docs_dir / "index.html"

    # --- the gate -----------------------------------------------------------------------------
    def _parameters(self, con: duckdb.DuckDBPyConnection) -> dict:
        rated = [r[0] for r in con.execute("SELECT DISTINCT currency FROM raw.erp_fx_rates").fetchall() if r[0]]
        return {
            "known_currencies": sorted({self.reporting_currency, *rated}),
            "amount_ceiling": self.limits.amount_ceiling,
        }

    def materialise(self, con: duckdb.DuckDBPyConnection, table: Table, relation: str, rows: int) -> tuple[str, int]:
        """Copy the batch (one row per distinct content) into temp table ``_gate_batch`` with lookups.

        Only columns the batch has are used here, so a missing contract column is judged by the
        suite's ``columns_present`` rule rather than failing as a SQL error.
        """
        present = {r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()}
        deleted = "is_deleted" if "is_deleted" in present else None
        row_hash = row_hash_sql([c for c in table.column_names if c in present], deleted_column=deleted)
        lookups = []
        for column, ref in table.references.items():
            if column not in present:
                continue
            ref_table, ref_column = ref.split(".")
            ident = quote_ident(column)
            # Known = live in raw: the latest version of the key, not soft-deleted (what dbt's staging keeps).
            live = live_sql(ref_table, where=f"{quote_ident(ref_column)} IN (SELECT {ident} FROM {relation})")
            lookups.append(
                f"CASE WHEN b.{ident} IS NULL THEN NULL ELSE b.{ident} IN "
                f"(SELECT {quote_ident(ref_column)} FROM ({live})) END AS {quote_ident(column + LOOKUP_SUFFIX)}"
            )
        date_column = DOCUMENT_DATES.get(table.name)
        if date_column in present and "currency" in present:
            # A rate on or before the document's date (the rate dbt converts with), or the reporting currency.
            doc_date = f"b.{quote_ident(date_column)}"
            lookups.append(
                f"CASE WHEN b.currency IS NULL OR {doc_date} IS NULL THEN NULL "
                f"ELSE b.currency = {sql_literal(self.reporting_currency)} OR EXISTS (SELECT 1 "
                f"FROM raw.erp_fx_rates AS f WHERE f.currency = b.currency AND f.rate_date <= {doc_date}) END "
                f"AS {quote_ident('fx_rate' + LOOKUP_SUFFIX)}"
            )
        chunks = max(1, math.ceil(rows / self.chunk_rows))
        key = ", ".join(f"b.{quote_ident(k)}" for k in table.key if k in present) or "0"
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _gate_batch AS "
            f"SELECT b.*, {''.join(lk + ', ' for lk in lookups)}hash({key}) % {chunks} AS _chunk "
            f"FROM (SELECT *, {row_hash} AS _row_hash FROM {relation} "
            "QUALIFY row_number() OVER (PARTITION BY _row_hash ORDER BY _source_row) = 1) AS b"
        )
        return "_gate_batch", chunks

    def validate(
        self,
        con: duckdb.DuckDBPyConnection,
        table: Table,
        *,
        batch_id: str,
        source_label: str,
        chunks: int,
    ) -> GateOutcome:
        definition = self._definition(table.name)
        parameters = self._parameters(con)
        import great_expectations as gx

        rules: list[RuleOutcome] = [
            RuleOutcome(
                rule=e["meta"]["rule"],
                expectation_type=e["type"],
                column=e["meta"].get("column") or _expectation_column(e.get("kwargs") or {}),
                severity=e["meta"]["severity"],
                description=f"{e['meta'].get('description_en', '')} / {e['meta'].get('description_zh', '')}",
            )
            for e in self.specs[table.name]["expectations"]
        ]
        # Timestamps are judged by their UTC date: the range rule is about typos such as year 0026, and
        # GX compares Python dates far faster than pandas Timestamps (which it maps row by row).
        timestamps = {c.name for c in table.columns if c.type == "timestamp"}
        columns = ", ".join(
            f"CAST({quote_ident(name)} AS DATE) AS {quote_ident(name)}" if name in timestamps else quote_ident(name)
            for (name, *_) in con.execute("DESCRIBE _gate_batch").fetchall()
            if name not in ("_chunk", "_row_hash")
        )
        for chunk in range(chunks):
            frame: pd.DataFrame = con.execute(f"SELECT {columns} FROM _gate_batch WHERE _chunk = ?", [chunk]).fetch_df(
                date_as_object=True
            )
            if frame.empty:
                continue
            self._runs += 1
            result = definition.run(
                batch_parameters={"dataframe": frame},
                expectation_parameters=parameters,
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["_source_row"]},
                run_id=gx.RunIdentifier(run_name=f"{batch_id} {table.name} {Path(source_label).name} #{chunk}"),
            )
            # Each expectation carries its position in the suite (added on load), so results map back
            # to rules whatever order GX reports them in.
            by_position = {r.expectation_config.meta.get("position"): r for r in result.results}
            for position, rule in enumerate(rules):
                outcome = by_position.get(position)
                if outcome is None:
                    raise QualityGateError(f"{table.name}: rule {rule.rule} ({rule.expectation_type}) has no GX result")
                info = outcome.exception_info or {}
                raised = info.get("raised_exception") or any(
                    isinstance(v, dict) and v.get("raised_exception") for v in info.values()
                )
                if raised and rule.column and not set(rule.column.split(",")) <= set(frame.columns):
                    # The column is not there: a failure of this rule (columns_present names it).
                    rule.success = False
                    rule.observed = "column missing"
                    continue
                if raised:
                    raise QualityGateError(
                        f"{table.name}.{rule.column}: rule {rule.rule} could not be evaluated on {source_label}: "
                        f"{info.get('exception_message') or next(iter(info.values()), {}).get('exception_message')}"
                    )
                res = outcome.result or {}
                rule.element_count += int(res.get("element_count") or len(frame))
                if not outcome.success:
                    rule.success = False
                    rule.unexpected_count += int(res.get("unexpected_count") or 0)
                    rule.unexpected_rows += [int(d["_source_row"]) for d in res.get("unexpected_index_list") or []]
                    if rule.expectation_type == "expect_table_columns_to_match_set":
                        expected = self.specs[table.name]["expectations"][position]["kwargs"]["column_set"]
                        missing = [c for c in expected if c not in (res.get("observed_value") or [])]
                        rule.column = rule.column or (missing[0] if missing else "")
                        rule.observed = f"missing column(s): {', '.join(missing)}"
                    elif "observed_value" in res:
                        rule.observed = str(res["observed_value"])
        return GateOutcome(rules=rules)


_GATES: dict[tuple[str, str], QualityGate] = {}


def gate_for(settings: Settings) -> QualityGate:
    """The process's gate for these settings: one GX context, Data Docs in ``$AR_HOME/gx/data_docs``.

    Files and database sources of one run share it, so one ``build_data_docs()`` at the end
    of the extract renders every validation of the run.
    """
    key = (str(settings.home), settings.reporting_currency)
    if key not in _GATES:
        _GATES[key] = QualityGate(reporting_currency=settings.reporting_currency, data_docs_dir=data_docs_dir(settings))
    return _GATES[key]


def data_docs_dir(settings: Settings) -> Path:
    return settings.home / "gx" / "data_docs"


def default_gate() -> QualityGate:
    """The gate of the process's settings (``AR_*``), for callers that pass none."""
    from ar_risk.config import load_settings

    return gate_for(load_settings())


def _row_json_sql(columns: list[str]) -> str:
    return "to_json(struct_pack(" + ", ".join(f"{quote_ident(c)} := b.{quote_ident(c)}" for c in columns) + "))"


def _result_rows(outcome: GateOutcome, table: Table, batch_id: str, source_label: str, result: str) -> list[dict]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return [
        {
            "batch_id": batch_id,
            "table_name": table.name,
            "source": source_label,
            "rule": r.rule,
            "expectation_type": r.expectation_type,
            "column_name": r.column,
            "severity": r.severity,
            "success": r.success,
            "element_count": r.element_count,
            "unexpected_count": r.unexpected_count,
            "outcome": "passed"
            if r.success
            else {"critical": "stopped", "notice": "flagged"}.get(r.severity, "quarantined"),
            "validated_at": now,
        }
        for r in outcome.rules
    ] or [{"batch_id": batch_id, "table_name": table.name, "source": source_label, "outcome": result}]


def record_validation_results(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Store validation result rows (from a passed gate, or from a QualityGateError after rollback)."""
    if not rows:
        return
    ensure_quality_tables(con)
    frame = pd.DataFrame(rows)  # noqa: F841 - read by DuckDB below
    con.execute(f"INSERT INTO {VALIDATION_RESULTS_TABLE} BY NAME SELECT * FROM frame")


# What usually quarantines a whole batch, and what to do about it (the stop message's hint).
LIKELY_FIXES = {
    "fx_rate_on_document_date": "set AR_REPORTING_CURRENCY to the documents' currency, or provide erp_fx_rates "
    "with a rate on or before each document date",
    "currency_known": "set AR_REPORTING_CURRENCY to the documents' currency, or provide erp_fx_rates for it",
    "reference_known": "the referenced rows are missing: send that table (it loads first), or check the mapping "
    "of this column",
    "value_required": "the column is empty in most rows: check the export or the mapping of this column",
    "code_known": "map the ERP's own codes onto the contract's in a mapping file (docs/mapping.md)",
    "date_in_range": "check the date format of the export or the mapping",
    "currency_code": "map the ERP's currency names onto ISO 4217 codes in a mapping file (docs/mapping.md)",
}


def _stop_when_mostly_quarantined(
    con: duckdb.DuckDBPyConnection,
    gate: QualityGate,
    table: Table,
    outcome: GateOutcome,
    rows_in_batch: int,
    source_label: str,
    batch_id: str,
) -> None:
    """Refuse a batch of which more than the allowed share would be quarantined (expectations/gate.yml)."""
    limits = gate.limits
    share = outcome.quarantined_rows / rows_in_batch if rows_in_batch else 0.0
    if rows_in_batch < limits.quarantine_share_min_rows or share <= limits.quarantine_share_stop:
        return
    label, count = max(outcome.quarantine_reasons.items(), key=lambda item: (item[1], item[0]))
    column, rule = label.split(" ", 1)
    example = ""
    if rule in ("fx_rate_on_document_date", "currency_known"):
        currencies = con.execute(
            f"SELECT string_agg(DISTINCT json_extract_string(row_json, '$.currency'), ', ') FROM {QUARANTINE_TABLE} "
            "WHERE batch_id = ? AND source = ? AND rule = ?",
            [batch_id, source_label, rule],
        ).fetchone()[0]
        example = f" (currencies: {currencies}; reporting currency {gate.reporting_currency})"
    raise QualityGateError(
        f"{table.name}: {outcome.quarantined_rows} of {rows_in_batch} rows ({share:.0%}) of {source_label} would be "
        f"quarantined, more than the {limits.quarantine_share_stop:.0%} allowed (expectations/gate.yml "
        f"quarantine_share_stop); nothing of it was loaded. Main reason: {column} {rule} ({count} rows){example}. "
        f"Likely fix: {LIKELY_FIXES.get(rule, 'check the export against docs/source_contract.md')}",
        results=_result_rows(outcome, table, batch_id, source_label, "stopped"),
    )


def run_gate(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    *,
    relation: str,
    rows_in_batch: int,
    batch_id: str,
    source_label: str,
    gate: QualityGate | None = None,
    row_word: str = "row",
    row_offset: int = 0,
    stop_when_mostly_quarantined: bool = True,
) -> tuple[str, GateOutcome]:
    """Validate the batch; raise on a critical failure; quarantine rows failing warning rules.

    Returns the temp table holding the batch (distinct rows, lookups, ``_quarantined`` flag) and
    the outcome. Validation results are written to ``raw._validation_results``.
    """
    gate = gate or default_gate()
    ensure_quality_tables(con)
    batch, chunks = gate.materialise(con, table, relation, rows_in_batch)
    outcome = gate.validate(con, table, batch_id=batch_id, source_label=source_label, chunks=chunks)
    data_columns = [
        r[0]
        for r in con.execute(f"DESCRIBE {batch}").fetchall()
        if not r[0].endswith(CHECK_SUFFIXES) and r[0] not in ("_chunk", "_row_hash", "_source_row")
    ]

    failures = outcome.critical_failures
    if failures:
        first = failures[0]
        detail = f"{first.unexpected_count} row(s)" if first.unexpected_rows else f"the batch ({first.observed})"
        where = f"{table.name}.{first.column}" if first.column else table.name
        message = f"{where}: critical rule {first.rule} failed for {detail} of {source_label}: {first.description}"
        if first.unexpected_rows:
            row = min(first.unexpected_rows)
            example = con.execute(
                f"SELECT {_row_json_sql(data_columns)} FROM {batch} AS b WHERE _source_row = ?", [row]
            ).fetchone()[0]
            message += f"; e.g. {row_word} {row + row_offset}: {example[:EXAMPLE_JSON_CHARS]}"
        if len(failures) > 1:
            message += f" (also failed: {', '.join(f'{f.column} {f.rule}' for f in failures[1:])})"
        raise QualityGateError(message, results=_result_rows(outcome, table, batch_id, source_label, "stopped"))

    def quarantine(findings: list[ledger.Finding]) -> None:
        """Move rows out of the batch into raw._quarantine, one row per rule failed (the reasons)."""
        if not findings:
            return
        frame = pd.DataFrame(  # noqa: F841 - read by DuckDB below
            [(f.source_row, f.rule, f.column, f.reason) for f in findings],
            columns=["source_row", "rule", "column_name", "reason"],
        )
        con.execute(
            f"""INSERT INTO {QUARANTINE_TABLE} BY NAME
                SELECT ? AS table_name, ? AS batch_id, ? AS source, q.source_row + ? AS source_row, q.rule,
                       q.column_name, q.reason, {_row_json_sql(data_columns)} AS row_json,
                       now()::TIMESTAMP AS quarantined_at, ? AS row_offset
                FROM frame AS q JOIN {batch} AS b ON b._source_row = q.source_row""",
            [table.name, batch_id, source_label, row_offset, row_offset],
        )
        con.execute(f"DELETE FROM {batch} WHERE _source_row IN (SELECT DISTINCT source_row FROM frame)")
        quarantined_rows.update(f.source_row for f in findings)
        for f in findings:
            label = f"{f.column} {f.rule}"
            outcome.quarantine_reasons[label] = outcome.quarantine_reasons.get(label, 0) + 1

    quarantined_rows: set[int] = set()
    quarantine(
        [
            ledger.Finding(row, r.rule, r.column, r.description)
            for r in outcome.rules
            if not r.success and r.severity != "critical"
            for row in sorted(set(r.unexpected_rows))
        ]
    )
    before_ledger = dict(outcome.quarantine_reasons)
    ledger.check(con, table, batch, quarantine)
    # Cross-row rules that fired are validation results too (the report counts rules failed).
    for label, count in outcome.quarantine_reasons.items():
        if count > before_ledger.get(label, 0):
            column, rule = label.split(" ", 1)
            outcome.rules.append(
                RuleOutcome(
                    rule=rule,
                    expectation_type="ledger_rule",
                    column=column,
                    severity="warning",
                    description="cross-row rule (ar_risk.quality.ledger) / 跨行规则",
                    success=False,
                    element_count=rows_in_batch,
                    unexpected_count=count - before_ledger.get(label, 0),
                )
            )
    flagged = ledger.outside_customer_history(
        con,
        table,
        batch,
        multiple=gate.limits.customer_history_multiple,
        min_documents=gate.limits.customer_history_min_documents,
    )
    if flagged:
        outcome.rules.append(
            RuleOutcome(
                rule="amount_outside_customer_history",
                expectation_type="ledger_rule",
                column="amount",
                severity="notice",  # loaded, reported: a large order may be real
                description="far above the customer's history (expectations/gate.yml) / 远超客户历史金额",
                success=False,
                element_count=rows_in_batch,
                unexpected_count=len(flagged),
            )
        )
        log.warning(
            "%s: %s row(s) of %s loaded but flagged: %s",
            table.name,
            len(flagged),
            source_label,
            "; ".join(f"{row_word} {f.source_row + row_offset}: {f.reason}" for f in flagged[:5]),
        )
    # Distinct rows, not rule failures: a row failing three rules is one row quarantined.
    outcome.quarantined_rows = len(quarantined_rows)
    if quarantined_rows:
        log.warning(
            "%s: %s row(s) of %s quarantined in %s: %s",
            table.name,
            outcome.quarantined_rows,
            source_label,
            QUARANTINE_TABLE,
            outcome.quarantine_reasons,
        )
    if stop_when_mostly_quarantined:
        _stop_when_mostly_quarantined(con, gate, table, outcome, rows_in_batch, source_label, batch_id)
    record_validation_results(con, _result_rows(outcome, table, batch_id, source_label, "passed"))
    return batch, outcome
