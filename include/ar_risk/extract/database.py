"""Read ERP/CRM tables from a relational database into ``raw.<table>``.

Connections are Airflow connections (``AIRFLOW_CONN_<ID>`` or the metadata
database) and are opened by the Airflow provider's hook
(``BaseHook.get_connection(conn_id).get_hook()``): PostgreSQL, MySQL/MariaDB
or any other DB-API hook. Nothing here handles a password.

How a table is read:
- in one read-only snapshot transaction (REPEATABLE READ), so every chunk of
  a table sees the same state of the source;
- streamed through a server-side cursor (PostgreSQL) or an unbuffered cursor
  (MySQL/MariaDB) in chunks of ``chunk_size`` rows: never the whole table in
  memory;
- each chunk becomes an Arrow table with the contract's types and is loaded by
  :func:`ar_risk.extract.loader.load_batch`, the loader files use (mapping,
  contract types, quality gate, insert), and commits on its own;
- incremental: only rows with ``updated_at >= watermark - lookback``; the
  watermark advances in the transaction of the table's last step, after every
  chunk committed. A crash before that leaves the old watermark, and the rerun
  reads the same rows again; rows already in raw are skipped by their hash, so
  raw ends up exactly as after a clean run;
- full extract (first run, ``full_refresh``, tables without ``updated_at``):
  keys whose latest version in raw is live but that the source no longer has
  get a tombstone row (``is_deleted = true``): hard deletes are only visible
  on a full read.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ar_risk.config import Settings
from ar_risk.contract import ARROW_TYPES, TABLES, Table
from ar_risk.extract.loader import BatchSource, ExtractReport, TableReport, drop_batch_views, load_batch
from ar_risk.extract.mapping import IDENTITY, TableMapping, load_mapping
from ar_risk.extract.raw import BatchResult, ensure_raw_tables
from ar_risk.extract.raw_columns import METADATA_COLUMNS, RAW_SCHEMA, SOFT_DELETE_COLUMN
from ar_risk.extract.sources import EXTRACTION_ORDER, DatabaseSource, SourceConfigError, TableOptions
from ar_risk.extract.watermarks import Watermark, current_watermark, ensure_watermarks_table, record_extraction
from ar_risk.quality.gate import QualityGate, gate_for
from ar_risk.redact import redact, remember_secret
from ar_risk.warehouse import connect_warehouse, quote_ident

log = logging.getLogger(__name__)

INCREMENTAL_COLUMN = "updated_at"
# Text timestamps whose order is the order of their text: a text watermark compares correctly.
ORDERED_DATE_FORMATS = ("YYYY-MM-DD", "YYYYMMDD", "YYYY-MM-DD HH:MM:SS", "YYYYMMDDHHMMSS")
# Called after each committed chunk with (table, chunk number); tests inject crashes here.
AfterChunk = Callable[[str, int], None]


class SourceUnavailableError(RuntimeError):
    """The source database cannot be reached (or dropped the connection): a passing fault, retried.

    Deliberately not a ValueError: the task's retries handle it, not AirflowFailException.
    """


# --- connections ---------------------------------------------------------------------------------


@dataclass
class _SourceConnection:
    """An open DB-API connection from the provider hook, and what messages may say about it."""

    conn_id: str
    conn_type: str
    where: str  # "host:port/database": never the password
    dbapi: Any
    password: str | None
    placeholder: str = "%s"  # the driver's parameter marker (DbApiHook.placeholder)

    @property
    def is_postgres(self) -> bool:
        return self.conn_type in ("postgres", "postgresql")

    @property
    def is_mysql(self) -> bool:
        return self.conn_type == "mysql"

    def ident(self, name: str) -> str:
        if self.is_mysql:
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def scrub(self, text: str) -> str:
        """Messages from drivers never carry the password, even if a driver were to echo it."""
        text = text.replace(self.password, "***") if self.password else text
        return redact(text)  # and no other credential form either (a DSN, a URL's ?password=)

    def describe(self) -> str:
        return f"connection {self.conn_id!r} ({self.where})"


def _is_connection_fault(exc: BaseException) -> bool:
    """DB-API OperationalError / InterfaceError of a source driver: the network or server, not the data."""
    if type(exc).__module__.startswith("duckdb"):
        return False  # the warehouse, not the source
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"OperationalError", "InterfaceError"})


def _is_missing_table(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    errno = getattr(exc, "errno", None)
    return "UndefinedTable" in names or errno == 1146 or ("ProgrammingError" in names and "exist" in str(exc))


def open_source_connection(conn_id: str) -> _SourceConnection:
    """Open ``conn_id`` through its Airflow provider hook; clear errors, never the password."""
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise SourceConfigError(
            f"Airflow connection {conn_id!r} is not defined: add it in Airflow, or set the environment "
            f"variable AIRFLOW_CONN_{conn_id.upper()} (docs/sources.md)"
        ) from None
    database = conn.schema or ""
    where = f"{conn.conn_type}://{conn.host or 'localhost'}:{conn.port or 'default port'}/{database}"
    if conn.conn_type == "mysql" and conn.extra_dejson.get("client") != "mysql-connector-python":
        raise SourceConfigError(
            f"connection {conn_id!r} ({where}) is MySQL/MariaDB without the extra "
            '{"client": "mysql-connector-python"}; the compiled mysqlclient is not installed (docs/sources.md)'
        )
    try:
        hook = conn.get_hook()
    except Exception as exc:
        raise SourceConfigError(f"connection {conn_id!r} ({where}): no database hook for it: {exc}") from None
    if not isinstance(hook, DbApiHook):
        raise SourceConfigError(f"connection {conn_id!r} ({where}) is a {conn.conn_type} connection, not a database")
    remember_secret(conn.password)  # masked literally in every later log line and alert of the process
    started = time.monotonic()
    try:
        dbapi = hook.get_conn()
    except Exception as exc:
        message = redact(str(exc).replace(conn.password, "***") if conn.password else str(exc))
        raise SourceUnavailableError(
            f"source database unreachable: connection {conn_id!r} at {conn.host}:{conn.port}, database "
            f"{database!r}, user {conn.login!r} ({type(exc).__name__} after {time.monotonic() - started:.1f}s: "
            f"{message.strip().splitlines()[0] if message.strip() else 'no message'})"
        ) from None
    return _SourceConnection(conn_id, conn.conn_type, where, dbapi, conn.password, hook.placeholder)


def _begin_snapshot(source: _SourceConnection) -> Any:
    """Start a read-only, repeatable-read transaction in UTC; return a cursor for small queries."""
    cur = source.dbapi.cursor()
    if source.is_postgres:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute("SET LOCAL TIME ZONE 'UTC'")
    elif source.is_mysql:
        cur.execute("SET time_zone = '+00:00'")
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
    return cur


def _end_snapshot(source: _SourceConnection) -> None:
    try:
        source.dbapi.rollback()  # read only: nothing to keep
    except Exception as exc:
        log.debug("rollback on %s failed: %s", source.conn_id, exc)


def _stream_cursor(source: _SourceConnection, chunk_size: int) -> Any:
    if source.is_postgres:
        # A named cursor is a server-side cursor: rows travel chunk by chunk.
        cur = source.dbapi.cursor(name=f"ar_extract_{uuid.uuid4().hex[:12]}")
        cur.itersize = chunk_size
        return cur
    # mysql-connector-python's default cursor is unbuffered: rows stream as they are fetched.
    return source.dbapi.cursor()


# --- chunk -> Arrow ------------------------------------------------------------------------------


def _text(value: Any, naive_zone: dt.tzinfo) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=naive_zone)).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _text_array(values: Sequence[Any], naive_zone: dt.tzinfo) -> pa.Array:
    return pa.array([_text(v, naive_zone) for v in values], type=pa.string())


def _contract_array(values: Sequence[Any], logical_type: str, naive_zone: dt.tzinfo, zone_name: str) -> pa.Array:
    """The column as its contract Arrow type; as text when the source's values do not fit.

    Text is not a way round the contract: ``check_and_type_batch`` parses it and names the
    first row whose value is not valid, exactly as for a CSV file.
    """
    target = ARROW_TYPES[logical_type]
    try:
        if logical_type == "timestamp":
            arr = pa.array(values)
            if pa.types.is_null(arr.type):
                return pa.nulls(len(values), type=target)
            if not pa.types.is_timestamp(arr.type):
                return _text_array(values, naive_zone)
            if arr.type.tz is None and zone_name != "UTC":
                arr = pc.assume_timezone(arr, zone_name, ambiguous="earliest", nonexistent="earliest")
            return arr.cast(target)  # a naive timestamp is UTC from here on
        if logical_type == "bool":
            try:
                return pa.array(values, type=target)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                # MySQL has no boolean: BOOLEAN is TINYINT(1), read as 0/1.
                if all(v is None or (isinstance(v, int) and v in (0, 1)) for v in values):
                    return pa.array([None if v is None else bool(v) for v in values], type=target)
                raise
        return pa.array(values, type=target)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError, ValueError):
        return _text_array(values, naive_zone)


def typed_source_columns(table: Table, mapping: TableMapping) -> dict[str, str]:
    """Source column -> contract logical type, for the columns read into a contract column unchanged.

    Those travel typed; every other source column travels as text, which the mapping's rules
    (codes, date and number formats) and the contract check parse.
    """
    types = {c.name: c.type for c in table.columns} | {SOFT_DELETE_COLUMN: "bool"}
    if mapping.is_identity:
        return types
    return {
        spec.source_column: types[contract_column]
        for contract_column, spec in mapping.columns.items()
        if spec.source_column
        and not (spec.values or spec.date_format or spec.number_format or spec.plus_days or spec.constant)
    }


def chunk_to_arrow(
    rows: Sequence[Sequence[Any]],
    column_names: Sequence[str],
    typed_columns: dict[str, str],
    *,
    first_row: int,
    zone_name: str = "UTC",
) -> pa.Table:
    """One fetched chunk as Arrow: ``typed_columns`` as their contract type, others as text, plus ``_source_row``."""
    naive_zone = ZoneInfo(zone_name)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in column_names]
    arrays, names = [], []
    for name, values in zip(column_names, columns, strict=True):
        if name in typed_columns:
            arrays.append(_contract_array(values, typed_columns[name], naive_zone, zone_name))
        else:
            arrays.append(_text_array(values, naive_zone))
        names.append(name)
    arrays.append(pa.array(range(first_row, first_row + len(rows)), type=pa.int64()))
    names.append("_source_row")
    return pa.Table.from_arrays(arrays, names=names)


# --- one table -------------------------------------------------------------------------------------


def _source_columns(source: _SourceConnection, relation: str) -> list[str] | None:
    """The source table's columns, or None when the table does not exist."""
    cur = _begin_snapshot(source)
    try:
        cur.execute(f"SELECT * FROM {relation} WHERE 1 = 0")
        names = [d[0] for d in cur.description]
        cur.fetchall()
        return names
    except Exception as exc:
        if _is_missing_table(exc):
            return None
        if _is_connection_fault(exc):
            message = source.scrub(str(exc))
            raise SourceUnavailableError(f"{source.describe()}: lost the connection: {message}") from None
        raise
    finally:
        cur.close()
        _end_snapshot(source)


def _contract_names(names: list[str], table: Table, mapping: TableMapping) -> list[str]:
    """Without a mapping, source column names as the contract spells them (any case); else unchanged."""
    if not mapping.is_identity:
        return list(names)
    known = {c.lower(): c for c in [*table.column_names, SOFT_DELETE_COLUMN]}
    return [known.get(n.lower(), n) for n in names]


def _incremental_source_column(names: list[str], table: Table, mapping: TableMapping) -> str | None:
    """The source column behind ``updated_at`` if rows can be selected by it, else None (full reads)."""
    if INCREMENTAL_COLUMN not in table.column_names:
        return None
    if mapping.is_identity:
        return next((n for n in names if n.lower() == INCREMENTAL_COLUMN), None)
    spec = mapping.columns.get(INCREMENTAL_COLUMN)
    if spec is None or not spec.source_column or spec.values or spec.plus_days or spec.number_format:
        return None
    if spec.date_format and spec.date_format not in ORDERED_DATE_FORMATS:
        return None  # e.g. DD.MM.YYYY text: its order is not time order
    return spec.source_column if spec.source_column in names else None


def _tombstone_hard_deletes(con: duckdb.DuckDBPyConnection, table: Table, batch_id: str, label: str) -> int:
    """Tombstones for keys live in raw but absent from this full extract (same ordering as staging)."""
    target = f"{RAW_SCHEMA}.{table.name}"
    keys = [quote_ident(k) for k in table.key]
    order = ", ".join(
        (["updated_at DESC NULLS LAST"] if "updated_at" in table.column_names else [])
        + ["_loaded_at DESC", "_source_row DESC"]
    )
    replaced = ", ".join([quote_ident(SOFT_DELETE_COLUMN), *map(quote_ident, METADATA_COLUMNS)])
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # The tombstone repeats the latest version's values with is_deleted = true; same updated_at, a
    # later load time, so staging's latest_version picks it. Its hash differs from the live row's.
    (rows,) = con.execute(
        f"""INSERT INTO {target} BY NAME
            SELECT latest.* EXCLUDE ({replaced}),
                   true AS {quote_ident(SOFT_DELETE_COLUMN)},
                   ? AS _batch_id, ? AS _loaded_at, ? AS _source_file, 0 AS _source_row,
                   md5(latest._row_hash || '|hard_deleted') AS _row_hash
            FROM (
                SELECT * FROM {target}
                QUALIFY row_number() OVER (PARTITION BY {", ".join(keys)} ORDER BY {order}) = 1
            ) AS latest
            WHERE coalesce(latest.{quote_ident(SOFT_DELETE_COLUMN)}, false) = false
              AND NOT EXISTS (
                SELECT 1 FROM full_extract_keys AS k WHERE {" AND ".join(f"k.{c} = latest.{c}" for c in keys)}
              )""",
        [batch_id, loaded_at, label],
    ).fetchall()[0]
    return rows


def extract_table(
    con: duckdb.DuckDBPyConnection,
    source_conn: _SourceConnection,
    source: DatabaseSource,
    options: TableOptions,
    *,
    batch_id: str,
    mapping: TableMapping,
    gate: QualityGate | None = None,
    force_full_refresh: bool = False,
    after_chunk: AfterChunk | None = None,
) -> TableReport:
    table = TABLES[options.name]
    started = time.monotonic()
    source_table = mapping.source_table
    relation = (
        f"{source_conn.ident(source.schema)}.{source_conn.ident(source_table)}"
        if source.schema
        else source_conn.ident(source_table)
    )
    label = f"{source.conn_id}:{source.schema + '.' if source.schema else ''}{source_table}"
    result = TableReport(table=table.name, available=True, source_table=label)

    names = _source_columns(source_conn, relation)
    if names is None:
        if table.required:
            raise SourceConfigError(
                f"{table.name}: required table {relation} does not exist in {source_conn.describe()} "
                f"(source {source.name!r})"
            )
        log.warning("%s: %s has no table %s; features that need it are unavailable", table.name, label, relation)
        result.available = False
        return result
    incremental_source_column = _incremental_source_column(names, table, mapping)
    previous = current_watermark(con, source.name, table.name)
    result.watermark_before = previous.to_text()[1] if previous else None
    incremental = (
        previous is not None
        and incremental_source_column is not None
        and not options.full_refresh
        and not force_full_refresh
    )
    lower_bound = previous.minus(options.lookback) if incremental else None
    result.mode = "incremental" if incremental else "full"
    result.lower_bound = Watermark(lower_bound).to_text()[1] if lower_bound is not None else None

    query = f"SELECT * FROM {relation}"
    params: list[Any] = []
    if incremental:
        query += f" WHERE {source_conn.ident(incremental_source_column)} >= {source_conn.placeholder}"
        params.append(lower_bound)
    typed_columns = typed_source_columns(table, mapping)

    # The first load of a table has nothing to tombstone: skip collecting its keys.
    result.detects_hard_deletes = result.mode == "full" and bool(
        con.execute(f"SELECT count(*) > 0 FROM {RAW_SCHEMA}.{table.name}").fetchall()[0][0]
    )
    if result.detects_hard_deletes:
        key_ddl = ", ".join(f"{quote_ident(k)} {table.column(k).duckdb_type}" for k in table.key)
        con.execute(f"CREATE OR REPLACE TEMP TABLE full_extract_keys ({key_ddl})")

    def keep_keys(typed: str, _result: BatchResult) -> None:
        """A full extract's keys, in the chunk's transaction: what the source still has."""
        keys = ", ".join(quote_ident(k) for k in table.key)
        con.execute(f"INSERT INTO full_extract_keys SELECT {keys} FROM {typed}")

    # Each chunk is an Arrow table registered as db_chunk; rows are named by their order in the read.
    chunk_source = BatchSource(relation="db_chunk", label=label, row_word="extracted row", text_source=False)
    highest: Any = None
    _begin_snapshot(source_conn).close()
    cur = _stream_cursor(source_conn, options.chunk_size)
    try:
        cur.execute(query, params or None)
        fetched_names = _contract_names([d[0] for d in cur.description], table, mapping)
        raw_names = [d[0] for d in cur.description]
        updated_index = raw_names.index(incremental_source_column) if incremental_source_column else None
        while True:
            rows = cur.fetchmany(options.chunk_size)
            if not rows:
                break
            result.chunks += 1
            if updated_index is not None:
                chunk_high = max((r[updated_index] for r in rows if r[updated_index] is not None), default=None)
                if chunk_high is not None and (highest is None or chunk_high > highest):
                    highest = chunk_high
            batch = chunk_to_arrow(
                rows,
                fetched_names,
                typed_columns,
                first_row=result.rows_extracted + 1,
                zone_name=source.naive_timestamps_in,
            )
            del rows
            con.register("db_chunk", batch)
            try:
                loaded = load_batch(
                    con,
                    table,
                    chunk_source,
                    batch_id=batch_id,
                    mapping=mapping,
                    gate=gate,
                    record=keep_keys if result.detects_hard_deletes else None,
                )
            finally:
                con.unregister("db_chunk")
            result.add(loaded)
            log.info(
                "%s: chunk %s from %s committed (%s rows read so far, %s new)",
                table.name,
                result.chunks,
                label,
                result.rows_extracted,
                result.rows_loaded,
            )
            if after_chunk is not None:
                after_chunk(table.name, result.chunks)
    except Exception as exc:
        if _is_connection_fault(exc):
            raise SourceUnavailableError(
                f"{table.name}: {source_conn.describe()} failed while reading {relation} after "
                f"{result.rows_extracted} rows: {source_conn.scrub(str(exc)).strip()}; the watermark did not move, "
                "a retry reads these rows again"
            ) from None
        raise
    finally:
        try:
            cur.close()
        except Exception as exc:
            log.debug("closing the cursor on %s failed: %s", source_conn.conn_id, exc)
        _end_snapshot(source_conn)

    new_watermark = Watermark(highest) if highest is not None else previous
    con.execute("BEGIN TRANSACTION")
    try:
        if result.detects_hard_deletes:
            result.rows_tombstoned = _tombstone_hard_deletes(con, table, batch_id, label)
        record_extraction(
            con,
            source_name=source.name,
            table_name=table.name,
            source_table=label,
            mode=result.mode,
            lower_bound=lower_bound,
            watermark=new_watermark,
            naive_zone=ZoneInfo(source.naive_timestamps_in),
            batch_id=batch_id,
            rows_extracted=result.rows_extracted,
            rows_loaded=result.rows_loaded,
            rows_quarantined=result.rows_quarantined,
            rows_tombstoned=result.rows_tombstoned,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    if result.detects_hard_deletes:
        con.execute("DROP TABLE IF EXISTS full_extract_keys")
    result.watermark_after = new_watermark.to_text()[1] if new_watermark else None
    result.seconds = round(time.monotonic() - started, 3)
    if result.rows_tombstoned:
        log.warning("%s: %s keys gone from %s (hard deletes): tombstoned", table.name, result.rows_tombstoned, label)
    if result.extra_columns:
        log.warning("%s: extra columns kept in raw, not used downstream: %s", table.name, result.extra_columns)
    if result.type_changes:
        log.warning("%s: source types differ from the contract: %s", table.name, "; ".join(result.type_changes))
    log.info(
        "%s: %s extract of %s: %s rows read, %s new, %s already in raw, %s quarantined; watermark %s -> %s",
        table.name,
        result.mode,
        label,
        result.rows_extracted,
        result.rows_loaded,
        result.rows_already_present,
        result.rows_quarantined,
        result.watermark_before,
        result.watermark_after,
    )
    return result


# --- one source ----------------------------------------------------------------------------------


def extract_database(
    settings: Settings,
    source: DatabaseSource,
    batch_id: str,
    *,
    force_full_refresh: bool = False,
    after_chunk: AfterChunk | None = None,
) -> ExtractReport:
    """Extract every configured table of ``source`` into raw; see the module docstring."""
    mapping = load_mapping(source.mapping) if source.mapping else IDENTITY
    gate = gate_for(settings)  # these settings' GX context: Data Docs under this AR_HOME
    source_conn = open_source_connection(source.conn_id)
    report = ExtractReport(source=source.name, kind="database", batch_id=batch_id, tables={}, conn_id=source.conn_id)
    try:
        con = connect_warehouse(settings)
        try:
            ensure_raw_tables(con)
            ensure_watermarks_table(con)
            # Reference order (FX rates, customers, documents...): the gate checks references against raw.
            for options in sorted(source.tables, key=lambda o: EXTRACTION_ORDER.index(o.name)):
                report.tables[options.name] = extract_table(
                    con,
                    source_conn,
                    source,
                    options,
                    batch_id=batch_id,
                    mapping=mapping.for_table(options.name),
                    gate=gate,
                    force_full_refresh=force_full_refresh,
                    after_chunk=after_chunk,
                )
            # Rows quarantined earlier for a missing reference load now if it arrived.
            report.recheck_quarantine(con, gate)
            drop_batch_views(con, "db_chunk")
        finally:
            con.close()
    finally:
        try:
            source_conn.dbapi.close()
        except Exception as exc:
            log.debug("closing %s failed: %s", source.conn_id, exc)
    return report.finish(gate)
