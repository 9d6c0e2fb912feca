"""Load landing files (``<landing>/<table>/*.csv|*.parquet``) into ``raw.<table>``.

Guarantees:
- every contract column is present and parses as its contract type, or the
  load stops with an error naming table, column, file, line and value;
- each file is loaded in one transaction together with its entry in
  ``raw._ingested_files``: a crash leaves either the whole file or nothing;
- loading the same files again changes nothing (a file is known by its
  SHA-256; rows already in raw, by a hash of their contract values, are not
  inserted twice, so overlapping daily drops are harmless);
- extra source columns are kept in raw as text and reported;
- an absent optional table gets an empty raw table, and the run reports it
  as unavailable instead of faking its content.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import logging
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from ar_risk.config import Settings
from ar_risk.contract import TABLES, Table
from ar_risk.warehouse import connect_warehouse, quote_ident, sql_literal

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
SOFT_DELETE_COLUMN = "is_deleted"  # optional on every table (source contract, "Deletes")
LANDING_SUFFIXES = (".csv", ".parquet")
# Columns the loader adds to every raw table; they never come from a source.
METADATA_COLUMNS = {
    "_batch_id": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
    "_source_file": "VARCHAR",
    "_source_row": "BIGINT",
    "_row_hash": "VARCHAR",
}


class LandingError(ValueError):
    """A landing file does not meet the source contract."""


@dataclass
class TableLoad:
    table: str
    available: bool
    files_seen: int = 0
    files_loaded: int = 0
    rows_loaded: int = 0
    rows_already_present: int = 0
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class ExtractReport:
    batch_id: str
    tables: dict[str, TableLoad]

    @property
    def unavailable_tables(self) -> list[str]:
        return [name for name, load in self.tables.items() if not load.available]

    def to_dict(self) -> dict:
        return {"batch_id": self.batch_id, "tables": {k: asdict(v) for k, v in self.tables.items()}}


def landing_files(landing_dir: Path, table: str) -> list[Path]:
    folder = landing_dir / table
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in LANDING_SUFFIXES)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _raw_columns_ddl(table: Table) -> str:
    cols = [f"{quote_ident(c.name)} {c.duckdb_type}" for c in table.columns]
    cols.append(f"{quote_ident(SOFT_DELETE_COLUMN)} BOOLEAN")
    cols += [f"{quote_ident(name)} {typ}" for name, typ in METADATA_COLUMNS.items()]
    return ", ".join(cols)


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, every contract table (empty) and the file register."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for table in TABLES.values():
        con.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table.name} ({_raw_columns_ddl(table)})")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._ingested_files (
            table_name VARCHAR, file_name VARCHAR, file_sha256 VARCHAR, batch_id VARCHAR,
            loaded_at TIMESTAMP, rows_in_file BIGINT, rows_loaded BIGINT,
            PRIMARY KEY (table_name, file_sha256))"""
    )


def _csv_header(path: Path, encoding: str) -> list[str]:
    """The header row's column names (only the first line is decoded, so body errors are reported by line)."""
    with path.open("rb") as fh:
        first_line = fh.readline()
    py_encoding = "utf-8-sig" if encoding.replace("-", "").lower() == "utf8" else encoding  # tolerate a BOM
    try:
        text = first_line.decode(py_encoding)
    except UnicodeDecodeError as exc:
        raise LandingError(f"{path}: the header line is not {encoding} text (set AR_CSV_ENCODING): {exc}") from exc
    except LookupError as exc:
        raise LandingError(f"AR_CSV_ENCODING={encoding!r} is not an encoding Python knows") from exc
    return next(csv.reader([text]), [])


# Encodings DuckDB's CSV reader decodes itself; others (GB18030, GBK, Shift-JIS...) are
# transcoded to UTF-8 first, streaming, because its `encodings` extension is a download.
DUCKDB_NATIVE_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "latin-1", "latin1"}


def _utf8_copy(path: Path, encoding: str, workdir: Path) -> Path:
    """Stream ``path`` from ``encoding`` into a UTF-8 copy; name the line of any undecodable byte."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError as exc:
        raise LandingError(f"AR_CSV_ENCODING={encoding!r} is not an encoding Python knows") from exc
    target = workdir / f"{path.stem}.utf8.csv"
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        # Line by line (bytes), so an error names its line; the incremental decoder keeps
        # multi-byte state across lines.
        for line_no, raw_line in enumerate(src, start=1):
            try:
                dst.write(decoder.decode(raw_line))
            except UnicodeDecodeError as exc:
                raise LandingError(
                    f"{path}: line {line_no} is not valid {encoding} text ({exc.reason}); "
                    "check AR_CSV_ENCODING (e.g. utf-8 or gb18030)"
                ) from exc
        dst.write(decoder.decode(b"", final=True))
    return target


def _read_file_relation(path: Path, encoding: str) -> str:
    """A SQL expression reading the file; CSV stays text so we can report bad values ourselves."""
    if path.suffix.lower() == ".parquet":
        return f"read_parquet({sql_literal(str(path))})"
    # The contract fixes the dialect and the header names the columns: no guessing, so a
    # malformed line is reported as that line, not as "every column is missing".
    columns = ", ".join(f"{sql_literal(name)}: 'VARCHAR'" for name in _csv_header(path, encoding))
    return (
        f"read_csv({sql_literal(str(path))}, header = true, auto_detect = false, columns = {{{columns}}}, "
        f"encoding = {sql_literal(encoding)}, delim = ',', quote = '\"', escape = '\"')"
    )


def _cast_expr(column: str, duckdb_type: str) -> str:
    ident = quote_ident(column)
    if duckdb_type == "TIMESTAMP":
        # Offsets in the source (+08:00, Z) are honoured, then stored as UTC.
        return f"TRY_CAST(TRY_CAST({ident} AS TIMESTAMPTZ) AS TIMESTAMP)"
    return f"TRY_CAST({ident} AS {duckdb_type})"


def _first_lines(exc: Exception) -> str:
    """DuckDB's first lines name the line and show it; the rest is advice about its own options."""
    return "\n".join(str(exc).splitlines()[:3])


def _staged_view(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, encoding: str, read_path: Path | None = None
) -> tuple[list[str], int]:
    """Stage the file as temp view ``landing_file``; check it; return (extra column names, rows in file).

    ``read_path`` is what DuckDB reads (a UTF-8 copy, for other encodings); messages name ``path``.
    """
    try:
        con.execute(
            "CREATE OR REPLACE TEMP VIEW landing_file_text AS "
            f"SELECT *, row_number() OVER () AS _source_row FROM {_read_file_relation(read_path or path, encoding)}"
        )
        found = [row[0] for row in con.execute("DESCRIBE landing_file_text").fetchall()]
    except duckdb.Error as exc:
        raise LandingError(f"{table.name}: {path} is not a valid contract file: {_first_lines(exc)}") from exc
    found.remove("_source_row")
    missing = [c for c in table.column_names if c not in found]
    if missing:
        raise LandingError(
            f"{table.name}: required column {missing[0]!r} is missing in {path}"
            + (f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else "")
            + f"; the file has columns: {', '.join(found)}"
        )
    known = set(table.column_names) | {SOFT_DELETE_COLUMN}
    extras = [c for c in found if c not in known and c not in METADATA_COLUMNS]

    # A value that is present but does not parse is an error, not a silent NULL. One pass over
    # the file counts its rows and finds the first bad line of every column; reading every
    # line also surfaces shape and encoding errors.
    probes = ", ".join(
        f"min(_source_row) FILTER (WHERE {quote_ident(c.name)} IS NOT NULL "
        f"AND {_cast_expr(c.name, c.duckdb_type)} IS NULL)"
        for c in table.columns
    )
    try:
        rows_in_file, *first_bad_rows = con.execute(f"SELECT count(*), {probes} FROM landing_file_text").fetchone()
    except duckdb.Error as exc:
        raise LandingError(f"{table.name}: {path} is not a valid contract file: {_first_lines(exc)}") from exc
    for col, bad_row in zip(table.columns, first_bad_rows, strict=True):
        if bad_row is None:
            continue
        value = con.execute(
            f"SELECT CAST({quote_ident(col.name)} AS VARCHAR) FROM landing_file_text WHERE _source_row = ?", [bad_row]
        ).fetchone()[0]
        line_offset = 1 if path.suffix.lower() == ".csv" else 0  # CSV line 1 is the header
        where = f"line {bad_row + line_offset}" if line_offset else f"row {bad_row}"
        raise LandingError(
            f"{table.name}.{col.name}: value {value!r} at {where} of {path} "
            f"is not a valid {col.type} ({col.duckdb_type})"
        )

    select = [f"{_cast_expr(c.name, c.duckdb_type)} AS {quote_ident(c.name)}" for c in table.columns]
    select.append(
        f"{_cast_expr(SOFT_DELETE_COLUMN, 'BOOLEAN')} AS {quote_ident(SOFT_DELETE_COLUMN)}"
        if SOFT_DELETE_COLUMN in found
        else f"CAST(NULL AS BOOLEAN) AS {quote_ident(SOFT_DELETE_COLUMN)}"
    )
    select += [f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in extras]
    select.append("_source_row")
    # The row hash covers contract values only, so the same row from CSV or Parquet is the same row.
    hashed = ", ".join(f"coalesce(CAST({quote_ident(c)} AS VARCHAR), '\\N')" for c in table.column_names)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW landing_file AS "
        f"SELECT *, md5(concat_ws('|', {hashed})) AS _row_hash FROM (SELECT {', '.join(select)} FROM landing_file_text)"
    )
    return extras, rows_in_file


def _load_file(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, sha: str, batch_id: str, encoding: str, workdir: Path
) -> tuple[int, int, list[str]]:
    if path.suffix.lower() == ".csv" and encoding.lower() not in DUCKDB_NATIVE_ENCODINGS:
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            utf8 = _utf8_copy(path, encoding, Path(tmp))
            return _insert_file(con, table, path, sha, batch_id, *_staged_view(con, table, path, "utf-8", utf8))
    return _insert_file(con, table, path, sha, batch_id, *_staged_view(con, table, path, encoding))


def _insert_file(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    sha: str,
    batch_id: str,
    extras: list[str],
    rows_in_file: int,
) -> tuple[int, int, list[str]]:
    target = f"{RAW_SCHEMA}.{table.name}"
    for col in extras:
        con.execute(f"ALTER TABLE {target} ADD COLUMN IF NOT EXISTS {quote_ident(col)} VARCHAR")
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # DuckDB answers an INSERT with the number of rows it inserted.
    (rows_loaded,) = con.execute(
        f"""INSERT INTO {target} BY NAME
            SELECT f.*, ? AS _batch_id, ? AS _loaded_at, ? AS _source_file
            FROM landing_file AS f
            WHERE NOT EXISTS (SELECT 1 FROM {target} AS r WHERE r._row_hash = f._row_hash)
            QUALIFY row_number() OVER (PARTITION BY f._row_hash ORDER BY f._source_row) = 1""",
        [batch_id, loaded_at, path.name],
    ).fetchone()
    con.execute(
        f"INSERT INTO {RAW_SCHEMA}._ingested_files VALUES (?, ?, ?, ?, ?, ?, ?)",
        [table.name, path.name, sha, batch_id, loaded_at, rows_in_file, rows_loaded],
    )
    return rows_in_file, rows_loaded, extras


def load_landing(settings: Settings, batch_id: str) -> ExtractReport:
    """Load every new landing file into raw; see the module docstring for the guarantees."""
    landing_dir = settings.landing_dir
    if not landing_dir.is_dir():
        raise LandingError(f"landing folder {landing_dir} does not exist (set AR_LANDING_DIR, or run `make demo`)")
    missing_required = [t.name for t in TABLES.values() if t.required and not landing_files(landing_dir, t.name)]
    if missing_required:
        raise LandingError(
            f"required table(s) {', '.join(missing_required)} have no .csv or .parquet files "
            f"under {landing_dir}/<table>/"
        )

    report = ExtractReport(batch_id=batch_id, tables={})
    workdir = settings.home / "tmp"  # transcoded copies live here while a file loads
    workdir.mkdir(parents=True, exist_ok=True)
    con = connect_warehouse(settings)
    try:
        ensure_raw_tables(con)
        done = {
            (r[0], r[1])
            for r in con.execute(f"SELECT table_name, file_sha256 FROM {RAW_SCHEMA}._ingested_files").fetchall()
        }
        for table in TABLES.values():
            files = landing_files(landing_dir, table.name)
            already_in_raw = con.execute(f"SELECT count(*) > 0 FROM {RAW_SCHEMA}.{table.name}").fetchone()[0]
            load = TableLoad(table=table.name, available=bool(files) or already_in_raw, files_seen=len(files))
            for path in files:
                sha = file_sha256(path)
                if (table.name, sha) in done:
                    continue
                if path.stat().st_size == 0:
                    raise LandingError(f"{table.name}: file {path} is empty (not even a header row)")
                con.execute("BEGIN TRANSACTION")
                try:
                    rows_in_file, rows_loaded, extras = _load_file(
                        con, table, path, sha, batch_id, settings.csv_encoding, workdir
                    )
                    con.execute("COMMIT")
                except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
                    # The file's content is wrong (bad bytes, bad shape): a data error, not worth a retry.
                    con.execute("ROLLBACK")
                    raise LandingError(
                        f"{table.name}: {path} is not a valid contract file: {_first_lines(exc)}"
                    ) from exc
                except Exception:
                    con.execute("ROLLBACK")
                    raise
                done.add((table.name, sha))
                load.files_loaded += 1
                load.rows_loaded += rows_loaded
                load.rows_already_present += rows_in_file - rows_loaded
                load.extra_columns = sorted(set(load.extra_columns) | set(extras))
                log.info("%s: loaded %s new rows of %s from %s", table.name, rows_loaded, rows_in_file, path.name)
            if load.extra_columns:
                log.warning("%s: extra columns kept in raw, not used downstream: %s", table.name, load.extra_columns)
            if not load.available:
                log.warning("%s: no landing files; features that need it are unavailable", table.name)
            report.tables[table.name] = load
        con.execute("DROP VIEW IF EXISTS landing_file")
        con.execute("DROP VIEW IF EXISTS landing_file_text")
    finally:
        con.close()
    return report
