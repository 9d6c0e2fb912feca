"""Map any ERP's own tables, columns and codes onto the source contract.

A mapping is a YAML file a finance or data person edits; no SQL is written.
Two examples ship with the package (``mappings/sap_export.yml`` and
``mappings/kingdee_export.yml``). The format::

    name: sap_export             # used in messages
    encoding: utf-8              # optional: CSV encoding of this source's files
    tables:
      erp_invoices:              # a contract table
        source_table: BSID_EXPORT  # folder (files) or table (databases); default: the contract name
        columns:                 # contract column: source column, or a spec
          invoice_id: BELNR
          invoice_date: {column: BUDAT, date_format: YYYYMMDD}
          due_date: {column: ZFBDT, date_format: YYYYMMDD, plus_days: ZBD1T}
          amount: {column: DMBTR, number_format: "1.234,56"}
          document_type: {column: BLART, values: {RV: invoice, DG: credit_note}}
          currency: {constant: CNY}
          updated_at: {column: CPUDT, date_format: YYYYMMDD, time_zone: Europe/Berlin}

Every non-nullable contract column of a listed table must be mapped; nullable
ones left out are NULL. A table listed without ``columns`` only renames its
folder or table (``source_table``) or picks the Excel ``sheet`` to read.
Source columns the mapping does not use are kept in raw as extra columns.
A table that is not listed is read as is (identity).
Codes not listed in ``values`` pass through unchanged, so the quality gate
reports them (e.g. an unknown ``document_type``) instead of the mapping
hiding them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import yaml

from ar_risk.contract import TABLES
from ar_risk.errors import DataError
from ar_risk.extract.raw_columns import SOFT_DELETE_COLUMN
from ar_risk.warehouse import quote_ident, sql_literal

SHIPPED_MAPPINGS_DIR = Path(__file__).parent / "mappings"

# Date formats as finance people write them -> strptime formats.
DATE_FORMATS = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "YYYYMMDD": "%Y%m%d",
    "YYYY/MM/DD": "%Y/%m/%d",
    "YYYY/M/D": "%Y/%-m/%-d",
    "DD.MM.YYYY": "%d.%m.%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "YYYY-MM-DD HH:MM:SS": "%Y-%m-%d %H:%M:%S",
    "YYYY/MM/DD HH:MM:SS": "%Y/%m/%d %H:%M:%S",
    "YYYYMMDDHHMMSS": "%Y%m%d%H%M%S",
}
# Number formats: how 1234.56 is written -> (thousands separator, decimal separator).
NUMBER_FORMATS = {"1234.56": ("", "."), "1,234.56": (",", "."), "1.234,56": (".", ","), "1 234,56": (" ", ",")}
COLUMN_SPEC_KEYS = {"column", "constant", "date_format", "plus_days", "values", "number_format", "time_zone"}
TOP_LEVEL_KEYS = {"name", "description", "encoding", "tables"}
TABLE_KEYS = {"source_table", "columns", "sheet"}


class MappingError(DataError, ValueError):
    """A mapping file cannot be used; the message names the file, table and key."""


@dataclass(frozen=True)
class ColumnMapping:
    contract_column: str
    source_column: str | None = None  # None: a constant
    constant: str | None = None
    date_format: str | None = None  # a key of DATE_FORMATS
    plus_days: str | None = None  # source column holding a number of days to add (due = baseline + days)
    values: dict[str, str] = field(default_factory=dict)  # source code -> contract code
    number_format: str | None = None  # a key of NUMBER_FORMATS
    time_zone: str | None = None  # timestamps written in local time of this IANA zone (stored as UTC)

    @property
    def source_columns(self) -> list[str]:
        return [c for c in (self.source_column, self.plus_days) if c]


@dataclass(frozen=True)
class TableMapping:
    contract_table: str
    source_table: str
    columns: dict[str, ColumnMapping]  # contract column -> how to get it; empty for identity
    sheet: str | None = None  # Excel: the sheet to read (default: the first)

    @property
    def is_identity(self) -> bool:
        return not self.columns

    @property
    def source_columns(self) -> dict[str, str]:
        """contract column -> source column, for the columns read straight from one column."""
        return {k: v.source_column for k, v in self.columns.items() if v.source_column}


@dataclass(frozen=True)
class SourceMapping:
    name: str
    tables: dict[str, TableMapping]
    encoding: str | None = None
    path: Path | None = None

    def for_table(self, contract_table: str) -> TableMapping:
        if contract_table not in TABLES:
            raise MappingError(f"{contract_table!r} is not a contract table")
        return self.tables.get(contract_table) or identity_mapping(contract_table)


def identity_mapping(contract_table: str) -> TableMapping:
    return TableMapping(contract_table=contract_table, source_table=contract_table, columns={})


IDENTITY = SourceMapping(name="contract", tables={})


class _StrictLoader(yaml.SafeLoader):
    """YAML loader that refuses duplicate keys (two lines mapping one column is a mistake)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise MappingError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen[key] = loader.construct_object(value_node, deep=deep)
    return seen


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _scalar(value, where: str) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise MappingError(f"{where}: expected a text value, got {value!r}")
    return str(value)


def _column_mapping(table: str, column: str, spec, where: str) -> ColumnMapping:
    contract_type = "bool" if column == SOFT_DELETE_COLUMN else TABLES[table].column(column).type
    if isinstance(spec, str):
        return ColumnMapping(contract_column=column, source_column=spec)
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: expected a source column name or a mapping, got {spec!r}")
    unknown = set(spec) - COLUMN_SPEC_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(COLUMN_SPEC_KEYS)}")
    if ("column" in spec) == ("constant" in spec):
        raise MappingError(f"{where}: give exactly one of 'column' (a source column) or 'constant'")
    date_format = spec.get("date_format")
    if date_format is not None:
        if contract_type not in ("date", "timestamp"):
            raise MappingError(f"{where}: date_format applies to date and timestamp columns, not {contract_type}")
        if date_format not in DATE_FORMATS:
            raise MappingError(f"{where}: date_format {date_format!r} is not one of {sorted(DATE_FORMATS)}")
    plus_days = spec.get("plus_days")
    if plus_days is not None and (contract_type != "date" or "column" not in spec):
        raise MappingError(f"{where}: plus_days adds days to a date read from a 'column'")
    number_format = spec.get("number_format")
    if number_format is not None:
        if contract_type not in ("money", "rate", "int"):
            raise MappingError(f"{where}: number_format applies to amounts and numbers, not {contract_type}")
        if str(number_format) not in NUMBER_FORMATS:
            raise MappingError(f"{where}: number_format {number_format!r} is not one of {sorted(NUMBER_FORMATS)}")
    time_zone = spec.get("time_zone")
    if time_zone is not None:
        if contract_type != "timestamp" or date_format is None:
            raise MappingError(f"{where}: time_zone applies to timestamp columns read with a date_format")
        try:
            ZoneInfo(str(time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingError(f"{where}: time_zone {time_zone!r} is not an IANA zone such as Asia/Shanghai") from None
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        raise MappingError(f"{where}.values: expected source code: contract code pairs")
    return ColumnMapping(
        contract_column=column,
        source_column=_scalar(spec["column"], f"{where}.column") if "column" in spec else None,
        constant=_scalar(spec["constant"], f"{where}.constant") if "constant" in spec else None,
        date_format=date_format,
        plus_days=_scalar(plus_days, f"{where}.plus_days") if plus_days is not None else None,
        values={_scalar(k, f"{where}.values key"): _scalar(v, f"{where}.values[{k!r}]") for k, v in values.items()},
        number_format=str(number_format) if number_format is not None else None,
        time_zone=str(time_zone) if time_zone is not None else None,
    )


def _table_mapping(table: str, body, where: str) -> TableMapping:
    if table not in TABLES:
        raise MappingError(f"{where}: {table!r} is not a contract table; known: {', '.join(TABLES)}")
    if not isinstance(body, dict):
        raise MappingError(f"{where}: expected 'source_table' and 'columns'")
    unknown = set(body) - TABLE_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(TABLE_KEYS)}")
    if "columns" not in body:  # only a folder/table name or a sheet: columns already have contract names
        sheet = body.get("sheet")
        return TableMapping(
            contract_table=table,
            source_table=_scalar(body.get("source_table", table), f"{where}.source_table"),
            columns={},
            sheet=_scalar(sheet, f"{where}.sheet") if sheet is not None else None,
        )
    raw_columns = body.get("columns")
    if not isinstance(raw_columns, dict) or not raw_columns:
        raise MappingError(f"{where}.columns: map every required contract column to a source column")
    contract = TABLES[table]
    allowed = set(contract.column_names) | {SOFT_DELETE_COLUMN}
    columns: dict[str, ColumnMapping] = {}
    for column, spec in raw_columns.items():
        if column not in allowed:
            raise MappingError(
                f"{where}.columns: {column!r} is not a column of {table}; known: {', '.join(contract.column_names)}"
            )
        columns[column] = _column_mapping(table, column, spec, f"{where}.columns.{column}")
    missing = [c.name for c in contract.columns if not c.nullable and c.name not in columns]
    if missing:
        raise MappingError(f"{where}.columns: required contract column(s) not mapped: {', '.join(missing)}")
    used: dict[str, str] = {}
    for column, spec in columns.items():
        for source in spec.source_columns:
            if source in used:
                raise MappingError(
                    f"{where}.columns: source column {source!r} is mapped twice ({used[source]} and {column})"
                )
            used[source] = column
    sheet = body.get("sheet")
    return TableMapping(
        contract_table=table,
        source_table=_scalar(body.get("source_table", table), f"{where}.source_table"),
        columns=columns,
        sheet=_scalar(sheet, f"{where}.sheet") if sheet is not None else None,
    )


def load_mapping(path: str | Path) -> SourceMapping:
    """Read and validate a mapping file; a name without a folder finds a shipped example."""
    path = Path(path)
    if not path.exists() and path.parent == Path(".") and (SHIPPED_MAPPINGS_DIR / path.with_suffix(".yml")).exists():
        path = SHIPPED_MAPPINGS_DIR / path.with_suffix(".yml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"mapping file {path} cannot be read: {exc.strerror}") from exc
    try:
        doc = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except MappingError as exc:
        raise MappingError(f"{path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise MappingError(f"{path}: expected keys {sorted(TOP_LEVEL_KEYS)} at the top level")
    unknown = set(doc) - TOP_LEVEL_KEYS
    if unknown:
        raise MappingError(f"{path}: unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(TOP_LEVEL_KEYS)}")
    tables = doc.get("tables")
    if not isinstance(tables, dict) or not tables:
        raise MappingError(f"{path}: 'tables' must map contract tables to their source")
    encoding = doc.get("encoding")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise MappingError(f"{path}: encoding {encoding!r} is not an encoding Python knows") from None
    return SourceMapping(
        name=str(doc.get("name") or path.stem),
        tables={name: _table_mapping(name, body, f"{path}: tables.{name}") for name, body in tables.items()},
        encoding=str(encoding).lower() if encoding is not None else None,
        path=path,
    )


def _text(ident: str) -> str:
    return f"trim(CAST({ident} AS VARCHAR))"


def _column_sql(spec: ColumnMapping, contract_type: str) -> str:
    """SQL giving the contract column from the source row.

    A value a rule cannot convert is passed on as text (never NULL), so the contract check that
    follows names it with its row, just like a bad value in a contract-shaped file.
    """
    if spec.constant is not None:
        return sql_literal(spec.constant)
    src = quote_ident(spec.source_column)
    expr = src
    if spec.values:
        cases = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in spec.values.items())
        expr = f"CASE {_text(src)} {cases} ELSE CAST({src} AS VARCHAR) END"
    if spec.number_format:
        thousands, decimal = NUMBER_FORMATS[spec.number_format]
        text = _text(expr)
        if thousands:
            text = f"replace({text}, {sql_literal(thousands)}, '')"
        if decimal != ".":
            text = f"replace({text}, {sql_literal(decimal)}, '.')"
        expr = text
    if spec.date_format:
        fmt = sql_literal(DATE_FORMATS[spec.date_format])
        out = sql_literal("%Y-%m-%d" if contract_type == "date" else "%Y-%m-%d %H:%M:%S")
        parsed = f"try_strptime({_text(expr)}, {fmt})"
        if spec.plus_days:
            days = quote_ident(spec.plus_days)
            parsed = f"({parsed} + to_days(TRY_CAST({_text(days)} AS INTEGER)))"
            fallback = f"{_text(expr)} || ' + ' || coalesce({_text(days)}, '') || ' days'"
        else:
            fallback = _text(expr)
        if spec.time_zone:  # local wall-clock time -> UTC, as raw stores timestamps
            parsed = f"timezone('UTC', timezone({sql_literal(spec.time_zone)}, {parsed}))"
        expr = f"CASE WHEN {src} IS NULL THEN NULL ELSE coalesce(strftime({parsed}, {out}), {fallback}) END"
    return expr


def apply_mapping(
    con: duckdb.DuckDBPyConnection,
    mapping: TableMapping,
    *,
    source_relation: str,
    target_view: str,
    source_label: str,
) -> None:
    """Create temp view ``target_view`` with contract-named columns from ``source_relation``.

    ``source_relation`` is what the source holds (text columns for CSV/Excel, typed for
    Parquet or databases) plus ``_source_row``. Unused source columns are kept as extras;
    a mapped source column that is absent is an error naming table, both columns and the source.
    """
    if mapping.is_identity:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {target_view} AS SELECT * FROM {source_relation}")
        return
    present = [row[0] for row in con.execute(f"DESCRIBE {source_relation}").fetchall()]
    contract = TABLES[mapping.contract_table]
    select = []
    for column, spec in mapping.columns.items():
        for source in spec.source_columns:
            if source not in present:
                raise MappingError(
                    f"{mapping.contract_table}.{column}: source column {source!r} is missing in {source_label}; "
                    f"the source has columns: {', '.join(c for c in present if c != '_source_row')}"
                )
        contract_type = "bool" if column == SOFT_DELETE_COLUMN else contract.column(column).type
        select.append(f"{_column_sql(spec, contract_type)} AS {quote_ident(column)}")
    for column in contract.columns:
        if column.name not in mapping.columns:  # nullable and not mapped (required ones are checked on load)
            select.append(f"CAST(NULL AS VARCHAR) AS {quote_ident(column.name)}")
    used = {s for spec in mapping.columns.values() for s in spec.source_columns}
    taken = set(contract.column_names) | {SOFT_DELETE_COLUMN}
    for source in present:
        if source in used or source == "_source_row":
            continue
        # Kept as an extra; a source name that collides with a contract name gets a suffix.
        alias = f"{source}_source" if source in taken else source
        select.append(f"{quote_ident(source)} AS {quote_ident(alias)}")
    select.append("_source_row")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {target_view} AS SELECT {', '.join(select)} FROM {source_relation}")
