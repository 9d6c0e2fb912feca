"""The one raw batch loader: map -> type -> gate -> insert -> record, in one transaction.

A landing file, a chunk read from a source database and the quarantine's re-check are all a
*batch*: a DuckDB relation holding the source's columns plus ``_source_row``. :func:`load_batch`
takes it through the same steps for every source:

1. map the source's names and codes onto the contract (``ar_risk.extract.mapping``);
2. type it to the contract (``raw.check_and_type_batch``): a value that does not parse stops
   the load naming table, column, row and source;
3. gate it (``ar_risk.quality.gate`` through ``raw.merge_batch``): a critical failure stops the
   load, rows failing other rules go to ``raw._quarantine`` with their reasons;
4. insert the rest into ``raw.<table>``, skipping rows whose hash is already there;
5. record the source's bookkeeping (the file's register entry, a full extract's keys) through
   the caller's ``record`` callback,

and commits all of it or nothing. A gate failure rolls back and keeps the refused batch's
validation results (``raw._validation_results``, GX Data Docs): they say why.

Files and databases report in one shape, :class:`ExtractReport` of :class:`TableReport`, which
``ar_risk.tasks`` summarises without knowing where a table came from.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import duckdb

from ar_risk.contract import EXTRACTION_ORDER, TABLES, Table
from ar_risk.errors import QualityGateError, RawLoadError
from ar_risk.extract.mapping import TableMapping, apply_mapping, identity_mapping
from ar_risk.extract.raw import BatchResult, TypedBatch, check_and_type_batch, first_lines, merge_batch
from ar_risk.extract.raw_columns import SOFT_DELETE_COLUMN
from ar_risk.quality.gate import (
    QUARANTINE_TABLE,
    QualityGate,
    default_gate,
    ensure_quality_tables,
    record_validation_results,
)
from ar_risk.warehouse import quote_ident

log = logging.getLogger(__name__)

# Called inside the batch's transaction, after the insert, with (typed relation, result).
RecordBatch = Callable[[str, BatchResult], None]


@dataclass(frozen=True)
class BatchSource:
    """Where a batch comes from, and how messages name it and its rows."""

    relation: str  # DuckDB relation: the source's columns plus _source_row (1-based)
    label: str  # the source in messages: a file path (and sheet), or conn_id:schema.table
    kind: str = "source"  # words "is not a valid contract <kind>": "file" for landing files
    row_word: str = "row"  # rows are named "<row_word> <_source_row + row_offset>" (CSV: "line", 1)
    row_offset: int = 0
    text_source: bool = True  # False: typed columns (Parquet, Excel, a database), their types compared
    stored_as: str | None = None  # what raw._source_file keeps (default: the label)
    error: type[RawLoadError] = RawLoadError  # the class the source's contract errors are raised as
    # A clearer error for a contract error of this source (e.g. an encoding hint), or None.
    explain: Callable[[RawLoadError], RawLoadError | None] | None = None

    @property
    def typed_relation(self) -> str:
        return f"{self.relation}_typed"


@dataclass
class LoadedBatch:
    typed: TypedBatch
    result: BatchResult


def load_batch(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    source: BatchSource,
    *,
    batch_id: str,
    mapping: TableMapping | None = None,
    gate: QualityGate | None = None,
    record: RecordBatch | None = None,
    stop_when_mostly_quarantined: bool = True,
) -> LoadedBatch:
    """Map, type, gate, insert and record one batch in one transaction (see the module docstring).

    ``mapping`` defaults to the identity; ``gate`` to the process's gate. A batch without rows
    (a file with only its header) is typed, not gated, and still recorded. Raises the source's
    ``error`` class for contract errors, :class:`QualityGateError` for a critical rule; any
    other exception (a locked warehouse) passes through after the rollback.
    """
    gate = gate or default_gate()
    mapped = f"{source.relation}_mapped"
    con.execute("BEGIN TRANSACTION")
    try:
        typed = _map_and_type(con, table, mapping or identity_mapping(table.name), source, mapped)
        if typed.rows_in_batch == 0:
            log.info("%s: %s has no rows: nothing new for this table", table.name, source.label)
            result = BatchResult(rows_in_batch=0, rows_loaded=0, rows_already_present=0)
        else:
            result = merge_batch(
                con,
                table,
                relation=source.typed_relation,
                batch_id=batch_id,
                source_label=source.label,
                rows_in_batch=typed.rows_in_batch,
                extras=typed.extras,
                source_file=source.stored_as,
                gate=gate,
                row_word=source.row_word,
                row_offset=source.row_offset,
                stop_when_mostly_quarantined=stop_when_mostly_quarantined,
            )
        if record is not None:
            record(source.typed_relation, result)
        con.execute("COMMIT")
    except QualityGateError as exc:
        con.execute("ROLLBACK")
        # The refused batch's results are kept (they say why), and shown in Data Docs.
        record_validation_results(con, exc.results)
        gate.build_data_docs()
        raise
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        # The content is wrong (bad bytes, bad shape): a data error, not worth a retry.
        con.execute("ROLLBACK")
        invalid = f"{table.name}: {source.label} is not a valid contract {source.kind}: {first_lines(exc)}"
        raise source.error(invalid) from exc
    except Exception:
        con.execute("ROLLBACK")
        raise
    return LoadedBatch(typed, result)


def _map_and_type(
    con: duckdb.DuckDBPyConnection, table: Table, mapping: TableMapping, source: BatchSource, mapped: str
) -> TypedBatch:
    try:
        apply_mapping(con, mapping, source_relation=source.relation, target_view=mapped, source_label=source.label)
        return check_and_type_batch(
            con,
            table,
            source_relation=mapped,
            typed_view=source.typed_relation,
            source_label=source.label,
            row_word=source.row_word,
            row_offset=source.row_offset,
            text_source=source.text_source,
            source_kind=source.kind,
        )
    except RawLoadError as exc:
        if isinstance(exc, source.error):
            raise
        better = source.explain(exc) if source.explain is not None else None
        raise (better or source.error(str(exc))) from exc


def drop_batch_views(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Drop the temp views :func:`load_batch` made for batches read from ``relation``."""
    for view in (f"{relation}_typed", f"{relation}_mapped"):
        con.execute(f"DROP VIEW IF EXISTS {view}")


# --- one report for every source -------------------------------------------------------------


@dataclass
class TableReport:
    """What an extraction did to one contract table, from files or from a database."""

    table: str
    available: bool
    source_table: str = ""  # the landing folder read, or conn_id:schema.table
    mode: str = ""  # files | incremental | full
    files_seen: int = 0  # files
    files_loaded: int = 0
    chunks: int = 0  # databases
    rows_extracted: int = 0  # rows read from the source (every batch, before the gate)
    rows_loaded: int = 0
    rows_already_present: int = 0
    rows_quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)  # "column rule" -> rows
    rows_released_from_quarantine: int = 0  # quarantined earlier, loaded now that their reference arrived
    rows_tombstoned: int = 0
    # A full extract over a raw table that already had rows looks for hard deletes.
    detects_hard_deletes: bool = False
    lower_bound: str | None = None
    watermark_before: str | None = None
    watermark_after: str | None = None
    extra_columns: list[str] = field(default_factory=list)
    type_changes: list[str] = field(default_factory=list)  # schema drift: "column: source type (contract type)"
    seconds: float = 0.0

    def add(self, batch: LoadedBatch) -> None:
        """Count one loaded batch."""
        typed, result = batch.typed, batch.result
        self.rows_extracted += typed.rows_in_batch
        self.rows_loaded += result.rows_loaded
        self.rows_already_present += result.rows_already_present
        self.rows_quarantined += result.rows_quarantined
        for reason, count in result.quarantine_reasons.items():
            self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + count
        self.extra_columns = sorted(set(self.extra_columns) | set(typed.extras))
        self.type_changes = sorted(set(self.type_changes) | set(typed.type_changes))


@dataclass
class ExtractReport:
    """One source's extraction: files or a database, the same shape."""

    source: str
    kind: str  # files | database
    batch_id: str
    tables: dict[str, TableReport]
    conn_id: str | None = None  # databases: the Airflow connection
    data_docs: str | None = None  # GX Data Docs index page of this run

    @property
    def rows_quarantined(self) -> int:
        return sum(load.rows_quarantined for load in self.tables.values())

    @property
    def unavailable_tables(self) -> list[str]:
        return [name for name, load in self.tables.items() if not load.available]

    def recheck_quarantine(self, con: duckdb.DuckDBPyConnection, gate: QualityGate) -> None:
        """Load the quarantined rows that pass now, counted on their tables (:func:`recheck_quarantine`)."""
        for name, count in recheck_quarantine(con, batch_id=self.batch_id, gate=gate).items():
            if name in self.tables:
                self.tables[name].rows_released_from_quarantine += count
                self.tables[name].rows_loaded += count

    def finish(self, gate: QualityGate) -> ExtractReport:
        """Render the run's Data Docs and keep their index page."""
        docs = gate.build_data_docs()
        self.data_docs = str(docs) if docs else None
        return self

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "kind": self.kind,
            "conn_id": self.conn_id,
            "batch_id": self.batch_id,
            "tables": {k: asdict(v) for k, v in self.tables.items()},
            "unavailable_tables": self.unavailable_tables,
            "data_docs": self.data_docs,
            # The quality status the DAG and the summary show.
            "quality": {
                "rows_quarantined": self.rows_quarantined,
                "quarantined_by_table": {k: v.rows_quarantined for k, v in self.tables.items() if v.rows_quarantined},
                "quarantine_reasons": {k: v.quarantine_reasons for k, v in self.tables.items() if v.quarantine_reasons},
                "type_changes": {k: v.type_changes for k, v in self.tables.items() if v.type_changes},
                "data_docs": self.data_docs,
            },
        }


# --- the quarantine's re-check ---------------------------------------------------------------

# Reasons that can pass later without the row being sent again: the reference (customer, document,
# FX rate) arrives, or the rows that held a delete back are gone. A row quarantined for anything
# else (a negative amount, a bad code) waits for a corrected re-send.
RECHECKED_RULES = ("reference_known", "still_referenced", "fx_rate_on_document_date", "currency_known")


def recheck_quarantine(con: duckdb.DuckDBPyConnection, *, batch_id: str, gate: QualityGate | None = None) -> dict:
    """Gate again every quarantined row that waits only for other data; load the ones that pass now.

    Run after a source's tables are loaded, so a payment quarantined for an unknown customer is
    loaded on the day the customer arrives, even when the payments file itself is not new (its hash
    is known, so it is never read again). A loaded row keeps its quarantine rows, marked
    ``released_at`` / ``released_batch_id``: nothing quarantined is ever silently gone. A row still
    failing for the same reasons keeps its quarantine rows as they are; one failing for other
    reasons now gets new quarantine rows and its old ones are released. Passes repeat while they
    free rows (a customer's delete waits for its invoices' deletes). Returns rows loaded per table.
    The caller owns no transaction: each source's re-check commits on its own.
    """
    ensure_quality_tables(con)
    loaded: dict[str, int] = {}
    rules = ", ".join(f"'{r}'" for r in RECHECKED_RULES)
    for _ in range(len(TABLES)):
        freed = 0
        for table_name in EXTRACTION_ORDER:
            groups = con.execute(
                f"""SELECT batch_id, source, coalesce(any_value(row_offset), 0) FROM {QUARANTINE_TABLE}
                    WHERE table_name = ? AND released_at IS NULL
                      -- this run's own rows were just judged against today's data (references load first)
                      AND batch_id <> ? AND NOT starts_with(batch_id, ? || '__recheck_')
                    GROUP BY batch_id, source
                    HAVING bool_or(rule IN ({rules})) ORDER BY min(quarantined_at), batch_id, source""",
                [table_name, batch_id, batch_id],
            ).fetchall()
            for old_batch, source, offset in groups:
                # Its own batch id per re-check, so the gate's new quarantine rows never mix with the old ones.
                recheck_batch = f"{batch_id}__recheck_{uuid.uuid4().hex[:8]}"
                count = _recheck_source(con, TABLES[table_name], old_batch, source, offset, recheck_batch, gate, rules)
                if count:
                    loaded[table_name] = loaded.get(table_name, 0) + count
                    freed += count
        if not freed:
            break
    return loaded


def _recheck_source(con, table: Table, old_batch: str, source: str, offset: int, batch_id: str, gate, rules) -> int:
    # One row per quarantined source row whose every reason can pass later.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _recheck_rows AS
            SELECT source_row, any_value(row_json) AS row_json, list_sort(list(DISTINCT rule)) AS rules
            FROM {QUARANTINE_TABLE}
            WHERE table_name = ? AND batch_id = ? AND source = ? AND released_at IS NULL
            GROUP BY source_row HAVING bool_and(rule IN ({rules}))""",
        [table.name, old_batch, source],
    )
    if not con.execute("SELECT count(*) FROM _recheck_rows").fetchone()[0]:
        return 0
    names = [*table.column_names, SOFT_DELETE_COLUMN]
    text_columns = ", ".join(f"json_extract_string(row_json, '$.{name}') AS {quote_ident(name)}" for name in names)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _recheck_source AS SELECT {text_columns}, "
        f"source_row - {int(offset)} AS _source_row FROM _recheck_rows"
    )
    row_word = "line" if offset == 1 and source.lower().endswith(".csv") else "row"
    released = 0

    def release(_typed: str, _result: BatchResult) -> None:
        """What the gate said now, per row, in the batch's transaction: the same reasons as before ->
        keep the old quarantine rows and drop the new copies; other reasons -> keep the new rows;
        loaded -> release the old ones."""
        nonlocal released
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _recheck_outcome AS
                SELECT o.source_row, o.rules AS old_rules,
                       coalesce(list_sort(list(DISTINCT q.rule) FILTER (WHERE q.rule IS NOT NULL)), []) AS new_rules
                FROM _recheck_rows AS o
                LEFT JOIN {QUARANTINE_TABLE} AS q ON q.table_name = ? AND q.batch_id = ? AND q.source = ?
                     AND q.source_row = o.source_row AND q.released_at IS NULL
                GROUP BY o.source_row, o.rules""",
            [table.name, batch_id, source],
        )
        con.execute(
            f"""DELETE FROM {QUARANTINE_TABLE} AS q USING _recheck_outcome AS o
                WHERE q.table_name = ? AND q.batch_id = ? AND q.source = ? AND q.source_row = o.source_row
                  AND o.new_rules = o.old_rules""",
            [table.name, batch_id, source],
        )
        con.execute(
            f"""UPDATE {QUARANTINE_TABLE} AS q SET released_at = now()::TIMESTAMP, released_batch_id = ?
                FROM _recheck_outcome AS o
                WHERE q.table_name = ? AND q.batch_id = ? AND q.source = ? AND q.source_row = o.source_row
                  AND q.released_at IS NULL AND o.new_rules IS DISTINCT FROM o.old_rules""",
            [batch_id, table.name, old_batch, source],
        )
        released = con.execute("SELECT count(*) FROM _recheck_outcome WHERE len(new_rules) = 0").fetchone()[0]

    recheck = BatchSource(
        relation="_recheck_source",
        label=source,
        row_word=row_word,
        row_offset=offset,
        stored_as=source.rsplit("/", 1)[-1],
    )
    # The re-checked rows are expected to wait again: a mostly quarantined re-check is no reason to stop.
    loaded = load_batch(
        con, table, recheck, batch_id=batch_id, gate=gate, record=release, stop_when_mostly_quarantined=False
    )
    if released:
        log.info(
            "%s: %s quarantined row(s) of %s passed the gate now and were loaded (%s new in raw)",
            table.name, released, source, loaded.result.rows_loaded,
        )  # fmt: skip
    return released
