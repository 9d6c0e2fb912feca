"""The raw layer: contract-typed tables and the typing and merge steps of the batch loader.

Files (``ar_risk.extract.landing``) and databases (``ar_risk.extract.database``)
both hand a batch over as a DuckDB relation to ``ar_risk.extract.loader.load_batch``,
which calls the two steps here: :func:`check_and_type_batch` types it to the contract
with the same messages for both, :func:`merge_batch` runs the quality gate and
inserts the passing rows into ``raw.<table>`` with row-hash de-duplication.

Neither function here opens or commits a transaction: ``load_batch`` owns it, so a
file (or a DB chunk) and its bookkeeping commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from ar_risk.contract import TABLES, Column, Table
from ar_risk.errors import RawLoadError
from ar_risk.extract.raw_columns import EXACT_SUFFIX, METADATA_COLUMNS, RAW_SCHEMA, SOFT_DELETE_COLUMN
from ar_risk.quality.gate import QualityGate, ensure_quality_tables, run_gate
from ar_risk.warehouse import quote_ident


@dataclass
class TypedBatch:
    """What :func:`check_and_type_batch` found: extra columns, row count and type drift."""

    extras: list[str]
    rows_in_batch: int
    # Columns whose source type differs from the contract's (e.g. a DATE column arriving as text):
    # the values still parsed, so the batch loads, but the change is reported, never silent.
    type_changes: list[str] = field(default_factory=list)


@dataclass
class BatchResult:
    rows_in_batch: int
    rows_loaded: int
    rows_already_present: int
    rows_quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)  # rule -> rows


def _raw_columns_ddl(table: Table) -> str:
    cols = [f"{quote_ident(c.name)} {c.duckdb_type}" for c in table.columns]
    cols.append(f"{quote_ident(SOFT_DELETE_COLUMN)} BOOLEAN")
    cols += [f"{quote_ident(name)} {typ}" for name, typ in METADATA_COLUMNS.items()]
    return ", ".join(cols)


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, every contract table (empty), the file register and the gate's tables."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for table in TABLES.values():
        con.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table.name} ({_raw_columns_ddl(table)})")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._ingested_files (
            table_name VARCHAR, file_name VARCHAR, file_sha256 VARCHAR, batch_id VARCHAR,
            loaded_at TIMESTAMP, rows_in_file BIGINT, rows_loaded BIGINT,
            PRIMARY KEY (table_name, file_sha256))"""
    )
    ensure_quality_tables(con)  # raw._quarantine and raw._validation_results


def cast_expr(column: str, duckdb_type: str) -> str:
    """SQL that casts ``column`` to ``duckdb_type``, NULL when the value does not parse."""
    ident = quote_ident(column)
    if duckdb_type == "TIMESTAMP":
        # Offsets in the source (+08:00, Z) are honoured, then stored as UTC.
        return f"TRY_CAST(TRY_CAST({ident} AS TIMESTAMPTZ) AS TIMESTAMP)"
    return f"TRY_CAST({ident} AS {duckdb_type})"


def _blank_free(column: Column) -> str:
    """Booleans: an empty or blank cell is a missing value, not an invalid one."""
    if column.type != "bool":
        return "TRUE"
    return f"trim(CAST({quote_ident(column.name)} AS VARCHAR)) <> ''"


def first_lines(exc: Exception) -> str:
    """DuckDB's first lines name the line and show it; the rest is advice about its own options."""
    return "\n".join(str(exc).splitlines()[:3])


# Source types that carry a contract type without change; anything else on a typed source
# (Parquet, Excel, a database) is reported as type drift.
_COMPATIBLE_SOURCE_TYPES = {
    "VARCHAR": ("VARCHAR",),
    "DATE": ("DATE",),
    "TIMESTAMP": ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"),
    "DECIMAL(18,2)": ("DECIMAL", "DOUBLE", "FLOAT", "INTEGER", "BIGINT", "HUGEINT", "SMALLINT"),
    "DECIMAL(18,8)": ("DECIMAL", "DOUBLE", "FLOAT", "INTEGER", "BIGINT", "HUGEINT", "SMALLINT"),
    "INTEGER": ("INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UINTEGER", "UBIGINT", "USMALLINT"),
    "BOOLEAN": ("BOOLEAN",),
}


def _type_changed(contract_type: str, source_type: str) -> bool:
    allowed = _COMPATIBLE_SOURCE_TYPES.get(contract_type, (contract_type,))
    return not any(source_type == a or source_type.startswith(a + "(") for a in allowed)


def check_and_type_batch(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    *,
    source_relation: str,
    typed_view: str,
    source_label: str,
    row_word: str = "row",
    row_offset: int = 0,
    text_source: bool = True,
    source_kind: str = "source",
) -> TypedBatch:
    """Check a batch against the contract and create temp view ``typed_view`` typed to it.

    ``source_relation`` holds contract-named columns (any types; text for CSV) plus
    ``_source_row`` (1-based row within the source). Errors name table, column, the row
    as ``<row_word> <_source_row + row_offset>`` (CSV: "line", offset 1 for the header)
    and ``source_label``. ``text_source`` is False for typed sources (Parquet, Excel, DB),
    whose column types are compared with the contract and reported when they differ.
    ``source_kind`` words messages ("file", "table").
    """
    try:
        described = con.execute(f"DESCRIBE {source_relation}").fetchall()
    except duckdb.Error as exc:
        invalid = f"{table.name}: {source_label} is not a valid contract {source_kind}: {first_lines(exc)}"
        raise RawLoadError(invalid) from exc
    source_types = {row[0]: row[1] for row in described if row[0] != "_source_row"}
    found = list(source_types)
    missing = [c for c in table.column_names if c not in found]
    if missing:
        raise RawLoadError(
            f"{table.name}: required column {missing[0]!r} is missing in {source_label}"
            + (f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else "")
            + f"; the source has columns: {', '.join(found)}"
        )
    known = set(table.column_names) | {SOFT_DELETE_COLUMN}
    extras = [c for c in found if c not in known and c not in METADATA_COLUMNS]
    type_changes = []
    if not text_source:
        type_changes = [
            f"{c.name}: {source_types[c.name]} (contract {c.duckdb_type})"
            for c in table.columns
            if _type_changed(c.duckdb_type, source_types[c.name])
        ]

    # A value that is present but does not parse is an error, not a silent NULL. One pass over
    # the batch counts its rows and finds the first bad row of every column; reading every
    # row also surfaces shape and encoding errors. is_deleted is checked like a contract
    # column: 'X' is not "not deleted" but an error.
    checked = list(table.columns)
    if SOFT_DELETE_COLUMN in found:
        checked.append(Column(SOFT_DELETE_COLUMN, "bool", nullable=True))
    probes = ", ".join(
        f"min(_source_row) FILTER (WHERE {quote_ident(c.name)} IS NOT NULL "
        f"AND {_blank_free(c)} AND {cast_expr(c.name, c.duckdb_type)} IS NULL)"
        for c in checked
    )
    try:
        rows_in_batch, *first_bad_rows = con.execute(f"SELECT count(*), {probes} FROM {source_relation}").fetchone()
    except duckdb.Error as exc:
        invalid = f"{table.name}: {source_label} is not a valid contract {source_kind}: {first_lines(exc)}"
        raise RawLoadError(invalid) from exc
    for col, bad_row in zip(checked, first_bad_rows, strict=True):
        if bad_row is None:
            continue
        value = con.execute(
            f"SELECT CAST({quote_ident(col.name)} AS VARCHAR) FROM {source_relation} WHERE _source_row = ?", [bad_row]
        ).fetchone()[0]
        raise RawLoadError(
            f"{table.name}.{col.name}: value {value!r} at {row_word} {bad_row + row_offset} of {source_label} "
            f"is not a valid {col.type} ({col.duckdb_type})"
        )

    select = [f"{cast_expr(c.name, c.duckdb_type)} AS {quote_ident(c.name)}" for c in table.columns]
    select.append(
        f"{cast_expr(SOFT_DELETE_COLUMN, 'BOOLEAN')} AS {quote_ident(SOFT_DELETE_COLUMN)}"
        if SOFT_DELETE_COLUMN in found
        else f"CAST(NULL AS BOOLEAN) AS {quote_ident(SOFT_DELETE_COLUMN)}"
    )
    # Money has cents: a value with more decimals (0.004) would be rounded silently by the cast, so
    # the gate gets <column>__exact and quarantines it (rule amount_in_cents). Float noise from a
    # typed source (0.30000000000000004) is not a sub-cent amount: compared at 6 decimals.
    select += [
        f"round(TRY_CAST({quote_ident(c.name)} AS DECIMAL(38,10)), 6) = {cast_expr(c.name, c.duckdb_type)} "
        f"AS {quote_ident(c.name + EXACT_SUFFIX)}"
        for c in table.columns
        if c.duckdb_type == "DECIMAL(18,2)"
    ]
    select += [f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in extras]
    select.append("CAST(_source_row AS BIGINT) AS _source_row")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {typed_view} AS SELECT {', '.join(select)} FROM {source_relation}")
    return TypedBatch(extras=extras, rows_in_batch=rows_in_batch, type_changes=type_changes)


def merge_batch(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    *,
    relation: str,
    batch_id: str,
    source_label: str,
    rows_in_batch: int,
    extras: list[str],
    source_file: str | None = None,
    gate: QualityGate | None = None,
    row_word: str = "row",
    row_offset: int = 0,
    stop_when_mostly_quarantined: bool = True,
) -> BatchResult:
    """Gate the batch in ``relation`` (typed to the contract), then insert it into ``raw.<table>``.

    The quality gate (``ar_risk.quality.gate``) raises ``QualityGateError`` on a critical
    failure and moves rows failing other rules to ``raw._quarantine``. Of the rest, rows whose
    contract values hash to a row already in raw are skipped, and so are repeats within the
    batch (first source row wins). The caller owns the transaction.

    ``source_label`` names the source in messages; ``source_file`` (default: the label) is
    what ``_source_file`` stores (landing files store their name, messages show the path);
    rows are named ``<row_word> <_source_row + row_offset>`` (CSV: "line", 1). ``gate``
    defaults to a process-wide gate built from the settings. A batch of which most rows would be
    quarantined is refused (expectations/gate.yml), unless ``stop_when_mostly_quarantined`` is False
    (the quarantine's own re-check, whose rows are expected to wait again).
    """
    target = f"{RAW_SCHEMA}.{table.name}"
    for col in extras:
        con.execute(f"ALTER TABLE {target} ADD COLUMN IF NOT EXISTS {quote_ident(col)} VARCHAR")
    batch, outcome = run_gate(
        con,
        table,
        relation=relation,
        rows_in_batch=rows_in_batch,
        batch_id=batch_id,
        source_label=source_label,
        gate=gate,
        row_word=row_word,
        row_offset=row_offset,
        stop_when_mostly_quarantined=stop_when_mostly_quarantined,
    )
    # The batch table holds distinct rows with their _row_hash (contract values only, so the same
    # row from CSV, Parquet or a database is the same row) and gate-only lookup columns.
    columns = [*table.column_names, SOFT_DELETE_COLUMN, *extras, "_source_row", "_row_hash"]
    select = ", ".join(f"f.{quote_ident(c)}" for c in columns)
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # DuckDB answers an INSERT with the number of rows it inserted.
    (rows_loaded,) = con.execute(
        f"""INSERT INTO {target} BY NAME
            SELECT {select}, ? AS _batch_id, ? AS _loaded_at, ? AS _source_file
            FROM {batch} AS f
            WHERE NOT EXISTS (SELECT 1 FROM {target} AS r WHERE r._row_hash = f._row_hash)""",
        [batch_id, loaded_at, source_file or source_label],
    ).fetchone()
    con.execute(f"DROP TABLE IF EXISTS {batch}")
    return BatchResult(
        rows_in_batch=rows_in_batch,
        rows_loaded=rows_loaded,
        rows_already_present=rows_in_batch - rows_loaded - outcome.quarantined_rows,
        rows_quarantined=outcome.quarantined_rows,
        quarantine_reasons=outcome.quarantine_reasons,
    )
