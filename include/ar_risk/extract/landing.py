"""Load landing files (``<landing>/<table>/*.csv|*.parquet|*.xlsx``) into ``raw.<table>``.

Guarantees:
- every contract column is present and parses as its contract type, or the
  load stops with an error naming table, column, file, line and value;
- each file is loaded in one transaction together with its entry in
  ``raw._ingested_files``: a crash leaves either the whole file or nothing;
- loading the same files again changes nothing (a file is known by its
  SHA-256; rows already in raw, by a hash of their contract values, are not
  inserted twice, so overlapping daily drops are harmless);
- every file is loaded by ``ar_risk.extract.loader.load_batch``, the loader database
  sources use: mapped, typed, then gated (``ar_risk.quality.gate``): a critical failure
  stops the load, rows failing other rules go to ``raw._quarantine``;
- extra source columns are kept in raw as text and reported; a column whose
  type changed (Parquet) is reported, never silently coerced;
- an absent optional table gets an empty raw table, and the run reports it
  as unavailable instead of faking its content;
- raw is the memory, not the landing folder: a required table needs new files
  only while raw has none of its rows (loaded files may be archived), and a
  file with only its header row loads 0 rows (a day with no new data).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import logging
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ar_risk.config import Settings
from ar_risk.contract import EXTRACTION_ORDER, TABLES, Table
from ar_risk.errors import RawLoadError
from ar_risk.extract.loader import BatchSource, ExtractReport, LoadedBatch, TableReport, drop_batch_views, load_batch
from ar_risk.extract.mapping import IDENTITY, SourceMapping, TableMapping, load_mapping
from ar_risk.extract.raw import BatchResult, ensure_raw_tables, first_lines
from ar_risk.extract.raw_columns import RAW_SCHEMA
from ar_risk.quality.gate import QualityGate, gate_for
from ar_risk.warehouse import connect_warehouse, sql_literal

log = logging.getLogger(__name__)

LANDING_SUFFIXES = (".csv", ".parquet", ".xlsx")
SUFFIXES_TEXT = ".csv, .parquet or .xlsx"


class LandingError(RawLoadError):
    """A landing file does not meet the source contract (same messages as a database source)."""


def landing_files(landing_dir: Path, table: str) -> list[Path]:
    folder = landing_dir / table
    if not folder.is_dir():
        return []
    # Excel leaves "~$name.xlsx" lock files beside an open workbook; hidden files are not exports either.
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in LANDING_SUFFIXES and not p.name.startswith(("~$", "."))
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _check_header(names: list[str], label: str, table: str) -> None:
    """Header mistakes a person can fix, named by column position, before DuckDB sees them.

    DuckDB would answer with binder errors about its own SQL ("Positional argument cannot
    follow named arguments", "Duplicate named argument"), and a name with a trailing space
    would look like a missing column.
    """
    seen: dict[str, tuple[int, str]] = {}
    for position, name in enumerate(names, start=1):
        if not name.strip():
            hint = " (a trailing comma at the end of the header line?)" if position == len(names) else ""
            raise LandingError(f"{table}: {label}: header column {position} has no name{hint}")
        if name != name.strip():
            raise LandingError(
                f"{table}: {label}: header column {position} {name!r} has spaces before or after the name; "
                f"rename it to {name.strip()!r}"
            )
        earlier = seen.get(name.lower())
        if earlier is not None:
            problem = "repeats" if earlier[1] == name else "differs only in upper/lower case from"
            raise LandingError(
                f"{table}: {label}: header column {position} {name!r} {problem} column {earlier[0]} "
                f"{earlier[1]!r}; column names must be unique, whatever their case"
            )
        seen[name.lower()] = (position, name)


def _may_span_lines(path: Path) -> bool:
    """Whether a record can start on a line other than its number + 1: a line with an odd
    number of quotes (a quoted field goes on past its end; doubled quotes inside a field keep
    the count even) or a blank line (DuckDB skips it). Bytes only, so it is cheap."""
    carry = b""
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            lines = (carry + block).split(b"\n")
            carry = lines.pop()  # the unfinished last line goes on in the next block
            if any(line.count(b'"') & 1 or line in (b"", b"\r") for line in lines):
                return True
    return False


def _record_start_lines(path: Path, encoding: str) -> list[int] | None:
    """The physical line on which each data record starts, when that is not simply record + 1.

    A CSV field may hold a newline inside quotes, and DuckDB skips blank lines: then "line N"
    computed from the record number would point at the wrong line of the file. Python's csv
    module reads the same dialect (comma, double quote, doubled quote as escape).
    """
    if not _may_span_lines(path):
        return None
    py_encoding = "utf-8-sig" if encoding.replace("-", "").lower() == "utf8" else encoding
    starts: list[int] = []
    try:
        with path.open(encoding=py_encoding, newline="") as fh:
            reader = csv.reader(fh)
            previous_end = 0
            for record in reader:
                if record:  # a blank line is no record for DuckDB either
                    starts.append(previous_end + 1)
                previous_end = reader.line_num
    except UnicodeDecodeError:
        return None  # not text in this encoding: DuckDB's read reports it, with the encoding hint
    data_starts = starts[1:]  # the header is the first record
    if all(line == number + 1 for number, line in enumerate(data_starts, start=1)):
        return None
    return data_starts


def _not_text_error(path: Path, encoding: str, label: str, table: str) -> LandingError | None:
    """The encoding hint for a file that is not in the configured encoding, naming the first bad line."""
    py_encoding = "utf-8-sig" if encoding.replace("-", "").lower() == "utf8" else encoding
    try:
        decoder = codecs.getincrementaldecoder(py_encoding)()
    except LookupError:
        return None
    with path.open("rb") as fh:
        for line_no, raw_line in enumerate(fh, start=1):
            try:
                decoder.decode(raw_line)
            except UnicodeDecodeError:
                # "Line: N" as DuckDB words it, so that the message reads the same from either reader.
                return LandingError(
                    f"{table}: {label} is not a valid contract file: Line: {line_no} is not {encoding} text; "
                    f"not {encoding}: set AR_CSV_ENCODING, e.g. gb18030 (or `encoding:` in the mapping file)"
                )
    return None


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


def _xlsx_to_csv(
    path: Path, sheet: str | None, workdir: Path, expected_columns: Collection[str] = ()
) -> tuple[Path, str]:
    """Stream an Excel sheet (header in row 1) into a UTF-8 CSV copy; returns (copy, sheet name).

    openpyxl's read-only mode reads row by row, so memory stays bounded. Cells keep their
    Excel types: dates become YYYY-MM-DD (a time other than midnight is kept), numbers are
    written exactly as stored, booleans as true/false. The copy carries ``_source_row``, the
    Excel row number minus the header row, so messages name the row a user sees in Excel.
    A sheet with none of ``expected_columns`` in row 1 (a cover or notes sheet) is an error
    naming the workbook's sheets and the mapping option that picks one.
    """
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException...
        raise LandingError(f"{path} is not a readable .xlsx workbook: {exc}") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise LandingError(f"{path}: sheet {sheet!r} not found; the workbook has {book.sheetnames}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = list(next(rows, None) or [])
        while header and header[-1] is None:  # formatted but empty trailing cells
            header.pop()
        names = {str(h).strip() for h in header if h is not None}
        if expected_columns and not names & set(expected_columns) and len(book.sheetnames) > 1:
            missing = ", ".join(list(expected_columns)[:4]) + (", …" if len(expected_columns) > 4 else "")
            others = [name for name in book.sheetnames if name != ws.title]
            raise LandingError(
                f"{path}: sheet {ws.title!r} has no contract columns (missing: {missing}); the workbook has "
                f"sheets {book.sheetnames}: set 'sheet: {others[0]}' (the sheet that holds the data) for this "
                "table in the mapping file (format: include/ar_risk/extract/mapping.py, README "
                '"Exports in your ERP\'s own shape")'
            )
        if not header:
            raise LandingError(f"{path}: sheet {ws.title!r} has no header row (row 1 is empty)")
        for index, name in enumerate(header):
            if name is None or not str(name).strip():
                letter = openpyxl.utils.get_column_letter(index + 1)
                raise LandingError(f"{path}: sheet {ws.title!r}, header cell {letter}1 is empty")
        target = workdir / f"{path.stem}.xlsx.csv"
        with target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([str(h).strip() for h in header] + ["_source_row"])
            for row_number, values in enumerate(rows, start=2):
                cells = list(values[: len(header)]) + [None] * (len(header) - len(values))
                if all(c is None for c in cells):
                    continue  # blank rows between or after the data
                writer.writerow([_cell_text(c) for c in cells] + [row_number - 1])
        return target, ws.title
    finally:
        book.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _read_file_relation(path: Path, encoding: str) -> str:
    """A SQL expression reading the file; CSV stays text so we can report bad values ourselves."""
    if path.suffix.lower() == ".parquet":
        return f"read_parquet({sql_literal(str(path))})"
    # The contract fixes the dialect and the header names the columns: no guessing, so a
    # malformed line is reported as that line, not as "every column is missing".
    columns = ", ".join(
        f"{sql_literal(name)}: '{'BIGINT' if name == '_source_row' else 'VARCHAR'}'"
        for name in _csv_header(path, encoding)
    )
    return (
        f"read_csv({sql_literal(str(path))}, header = true, auto_detect = false, columns = {{{columns}}}, "
        f"encoding = {sql_literal(encoding)}, delim = ',', quote = '\"', escape = '\"')"
    )


@dataclass(frozen=True)
class _FileSource:
    """How one landing file is read and how its rows are named in messages."""

    read_path: Path  # what DuckDB reads (a UTF-8 copy for other encodings and Excel)
    encoding: str
    label: str  # the file (and sheet) as messages name it
    row_word: str  # "line" (CSV) or "row" (Parquet, Excel)
    row_offset: int  # added to _source_row: the header line / row
    numbered: bool  # the copy already carries _source_row (Excel)
    text_source: bool


def _file_source(
    path: Path, encoding: str, sheet: str | None, tmp: Path, expected_columns: Collection[str] = ()
) -> _FileSource:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        copy, sheet_name = _xlsx_to_csv(path, sheet, tmp, expected_columns)
        return _FileSource(copy, "utf-8", f"{path} (sheet {sheet_name!r})", "row", 1, True, True)
    if suffix == ".parquet":
        return _FileSource(path, encoding, str(path), "row", 0, False, False)
    if encoding.lower() not in DUCKDB_NATIVE_ENCODINGS:
        return _FileSource(_utf8_copy(path, encoding, tmp), "utf-8", str(path), "line", 1, False, True)
    return _FileSource(path, encoding, str(path), "line", 1, False, True)


def _load_file(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    tmap: TableMapping,
    path: Path,
    *,
    sha: str,
    batch_id: str,
    encoding: str,
    workdir: Path,
    gate: QualityGate,
) -> LoadedBatch:
    """Stage one file as the relation ``landing_source``, then load it with its register entry."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        # The columns a sheet must show (contract names, or the mapping's source names).
        expected = list(tmap.source_columns.values()) if not tmap.is_identity else table.column_names
        src = _file_source(path, encoding, tmap.sheet, Path(tmp), expected)
        if src.text_source:
            _check_header(_csv_header(src.read_path, src.encoding), src.label, table.name)
        relation = _read_file_relation(src.read_path, src.encoding)
        start_lines = None if src.numbered or not src.text_source else _record_start_lines(src.read_path, src.encoding)
        try:
            if src.numbered:
                source_sql = f"SELECT * FROM {relation}"
            elif start_lines is None:
                source_sql = f"SELECT *, row_number() OVER () AS _source_row FROM {relation}"
            else:
                # Records spanning lines: _source_row + 1 is the line the record starts on, as for
                # every other CSV file, so each message names the line a person finds in an editor.
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE landing_record_lines AS "
                    "SELECT unnest(lines) AS start_line, generate_subscripts(lines, 1) AS record "
                    "FROM (SELECT ?::BIGINT[] AS lines)",
                    [start_lines],
                )
                source_sql = (
                    "SELECT s.* EXCLUDE (_record), r.start_line - 1 AS _source_row "
                    f"FROM (SELECT *, row_number() OVER () AS _record FROM {relation}) AS s "
                    "LEFT JOIN landing_record_lines AS r ON r.record = s._record"
                )
            con.execute(f"CREATE OR REPLACE TEMP VIEW landing_source AS {source_sql}")
        except duckdb.Error as exc:
            raise LandingError(f"{table.name}: {src.label} is not a valid contract file: {first_lines(exc)}") from exc

        def not_text(exc: RawLoadError) -> LandingError | None:
            """DuckDB's "Invalid unicode" becomes the encoding hint naming the file's first bad line."""
            return _not_text_error(path, encoding, src.label, table.name) if "Invalid unicode" in str(exc) else None

        def register(_typed: str, result: BatchResult) -> None:
            """The file's entry in raw._ingested_files, in the file's transaction: a file loads once."""
            con.execute(
                f"INSERT INTO {RAW_SCHEMA}._ingested_files VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?, ?)",
                [table.name, path.name, sha, batch_id, result.rows_in_batch, result.rows_loaded],
            )

        # A file with only its header is a valid delta (a day with no new rows): load_batch
        # registers it without gating, so it is not read again.
        source = BatchSource(
            relation="landing_source",
            label=src.label,
            kind="file",
            row_word=src.row_word,
            row_offset=src.row_offset,
            text_source=src.text_source,
            stored_as=path.name,  # raw keeps the file's name; messages show its path
            error=LandingError,
            explain=not_text,
        )
        return load_batch(con, table, source, batch_id=batch_id, mapping=tmap, gate=gate, record=register)


def _check_required_tables(
    con: duckdb.DuckDBPyConnection,
    required_without_files: list[str],
    table_mappings: dict[str, TableMapping],
    landing_dir: Path,
) -> None:
    """A required table needs files now or rows in raw from earlier days.

    Raw is the memory, not the landing folder: loaded files may be archived (moved out of
    the landing folder), and a day without new documents is a normal day.
    """
    missing_required = []
    for name in required_without_files:
        if con.execute(f"SELECT count(*) > 0 FROM {RAW_SCHEMA}.{name}").fetchone()[0]:
            log.info("%s: no new landing files; the rows already in raw are used", name)
        else:
            missing_required.append(table_mappings[name].source_table)
    if missing_required:
        raise LandingError(
            f"required table(s) {', '.join(missing_required)} have no {SUFFIXES_TEXT} files "
            f"under {landing_dir}/<table>/ and no rows in raw from earlier loads"
        )


def load_order() -> list[Table]:
    """Reference tables first (the contract's EXTRACTION_ORDER): the gate checks references against raw."""
    return [TABLES[name] for name in EXTRACTION_ORDER]


def load_landing(
    settings: Settings,
    batch_id: str,
    *,
    landing_dir: Path | None = None,
    encoding: str | None = None,
    mapping: SourceMapping | str | Path | None = None,
    gate: QualityGate | None = None,
    tables: Collection[str] | None = None,
    source_name: str = "files",
) -> ExtractReport:
    """Load every new landing file into raw; see the module docstring for the guarantees.

    ``landing_dir`` defaults to ``AR_LANDING_DIR``; ``mapping`` (a mapping or its file) maps an
    ERP's own folders and columns onto the contract; the CSV encoding is ``encoding``, else the
    mapping's, else ``AR_CSV_ENCODING``. ``gate`` defaults to one that writes GX Data Docs to
    ``$AR_HOME/gx/data_docs``. ``tables`` limits the load to those contract tables (default: all):
    beside database sources, a files source provides only the tables no database reads, and
    only those of them that are required must have files. ``source_name`` is the source's name
    in the sources file, as the report names it.
    """
    provided = set(TABLES) if tables is None else set(tables)
    landing_dir = Path(landing_dir) if landing_dir is not None else settings.landing_dir
    if mapping is None:
        mapping = IDENTITY
    elif not isinstance(mapping, SourceMapping):
        mapping = load_mapping(mapping)
    encoding = (encoding or mapping.encoding or settings.csv_encoding).lower()
    table_mappings = {name: mapping.for_table(name) for name in TABLES}
    if not landing_dir.is_dir():
        raise LandingError(f"landing folder {landing_dir} does not exist (set AR_LANDING_DIR, or run `make demo`)")
    required_without_files = [
        t.name
        for t in TABLES.values()
        if t.required and t.name in provided and not landing_files(landing_dir, table_mappings[t.name].source_table)
    ]
    gate = gate or gate_for(settings)

    report = ExtractReport(source=source_name, kind="files", batch_id=batch_id, tables={})
    workdir = settings.home / "tmp"  # transcoded copies live here while a file loads
    workdir.mkdir(parents=True, exist_ok=True)
    con = connect_warehouse(settings)
    try:
        ensure_raw_tables(con)
        _check_required_tables(con, required_without_files, table_mappings, landing_dir)
        done = {
            (r[0], r[1])
            for r in con.execute(f"SELECT table_name, file_sha256 FROM {RAW_SCHEMA}._ingested_files").fetchall()
        }
        for table in load_order():
            if table.name not in provided:
                continue
            started = time.monotonic()
            tmap = table_mappings[table.name]
            files = landing_files(landing_dir, tmap.source_table)
            already_in_raw = con.execute(f"SELECT count(*) > 0 FROM {RAW_SCHEMA}.{table.name}").fetchone()[0]
            load = TableReport(
                table=table.name,
                available=bool(files) or already_in_raw,
                source_table=tmap.source_table,
                mode="files",
                files_seen=len(files),
            )
            for path in files:
                sha = file_sha256(path)
                if (table.name, sha) in done:
                    continue
                if path.stat().st_size == 0:
                    raise LandingError(f"{table.name}: file {path} is empty (not even a header row)")
                loaded = _load_file(
                    con, table, tmap, path, sha=sha, batch_id=batch_id, encoding=encoding, workdir=workdir, gate=gate
                )
                done.add((table.name, sha))
                load.files_loaded += 1
                load.add(loaded)
                typed, result = loaded.typed, loaded.result
                log.info(
                    "%s: loaded %s new rows of %s from %s (%s quarantined)",
                    table.name,
                    result.rows_loaded,
                    result.rows_in_batch,
                    path.name,
                    result.rows_quarantined,
                )
                for change in typed.type_changes:
                    log.warning("%s: column type changed in %s (reported, not coerced): %s", table.name, path, change)
            if load.extra_columns:
                log.warning("%s: extra columns kept in raw, not used downstream: %s", table.name, load.extra_columns)
            if not load.available:
                log.warning("%s: no landing files; features that need it are unavailable", table.name)
            load.seconds = round(time.monotonic() - started, 3)
            report.tables[table.name] = load
        # Rows quarantined earlier for a missing reference load now if it arrived (files seen before are skipped).
        report.recheck_quarantine(con, gate)
        drop_batch_views(con, "landing_source")
        con.execute("DROP VIEW IF EXISTS landing_source")
    finally:
        con.close()
    report.tables = {name: report.tables[name] for name in TABLES if name in provided}  # contract order
    return report.finish(gate)
