"""Where the pipeline reads from: the sources configuration (``AR_SOURCES_FILE``).

A YAML file a data engineer edits, validated on load; every error names the
file, the source and the key. Without the file there is one source, the
landing folder (``AR_LANDING_DIR``), exactly as before. Example:
``include/ar_risk/extract/sources.example.yml``; guide: ``docs/sources.md``.

Credentials never live here: a database source names an Airflow connection
(``conn_id``), which comes from Airflow's connections or an
``AIRFLOW_CONN_<ID>`` environment variable.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ar_risk.config import Settings
from ar_risk.contract import EXTRACTION_ORDER, TABLE_RANKS, TABLES
from ar_risk.errors import DataError


class SourceConfigError(DataError, ValueError):
    """The sources configuration cannot be used (a data error: fix the file, do not retry)."""


KINDS = ("files", "database")
DEFAULT_CHUNK_SIZE = 50_000
DEFAULT_LOOKBACK = dt.timedelta(hours=1)
# Table groups a database source may name instead of a list.
TABLE_GROUPS = {
    "erp": [t.name for t in TABLES.values() if t.system == "erp"],
    "crm": [t.name for t in TABLES.values() if t.system == "crm"],
    "all": list(TABLES),
}
_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_DURATION = re.compile(r"\s*(\d+)\s*(m|min|h|d)\s*", re.IGNORECASE)
_DURATION_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class TableOptions:
    """How one contract table is read from a database source."""

    name: str
    full_refresh: bool
    lookback: dt.timedelta
    chunk_size: int


@dataclass(frozen=True)
class FilesSource:
    name: str
    landing_dir: Path
    encoding: str | None  # None: the mapping's encoding, else AR_CSV_ENCODING
    mapping: Path | None = None
    kind: str = "files"


@dataclass(frozen=True)
class DatabaseSource:
    name: str
    conn_id: str
    schema: str | None
    tables: tuple[TableOptions, ...]
    mapping: Path | None = None
    # Source timestamps without a zone (PostgreSQL `timestamp`, MySQL DATETIME) are in this zone.
    naive_timestamps_in: str = "UTC"
    kind: str = "database"

    def table(self, name: str) -> TableOptions:
        for options in self.tables:
            if options.name == name:
                return options
        raise KeyError(f"source {self.name!r} does not read {name!r}")


Source = FilesSource | DatabaseSource


@dataclass(frozen=True)
class SourcesConfig:
    sources: tuple[Source, ...]
    path: Path | None = None  # None: the built-in default (the landing folder only)

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        where = self.path or "the default configuration"
        known = ", ".join(s.name for s in self.sources)
        raise SourceConfigError(f"{where}: there is no source named {name!r} (sources: {known})")

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources]


def default_sources(settings: Settings) -> SourcesConfig:
    """No sources file: the landing folder, as configured by AR_LANDING_DIR / AR_CSV_ENCODING."""
    return SourcesConfig(sources=(FilesSource("landing", settings.landing_dir, settings.csv_encoding),))


def parse_duration(value: Any, where: str) -> dt.timedelta:
    """``90m``, ``2h``, ``1d`` or a whole number of minutes."""
    if isinstance(value, bool):
        raise SourceConfigError(f"{where}: {value!r} is not a duration such as 30m, 2h or 1d")
    if isinstance(value, int) and value >= 0:
        return dt.timedelta(minutes=value)
    match = _DURATION.fullmatch(str(value))
    if not match:
        raise SourceConfigError(f"{where}: {value!r} is not a duration such as 30m, 2h or 1d")
    return dt.timedelta(**{_DURATION_UNITS[match.group(2).lower()]: int(match.group(1))})


class _Reader:
    """Typed access to one YAML mapping, with errors that say where."""

    def __init__(self, data: Any, where: str, allowed: set[str]) -> None:
        if not isinstance(data, dict):
            raise SourceConfigError(f"{where}: expected a mapping of keys, got {type(data).__name__}")
        unknown = sorted(set(map(str, data)) - allowed)
        if unknown:
            raise SourceConfigError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
        self.data, self.where = data, where

    def str(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.data.get(key, default)
        if value is None:
            if required:
                raise SourceConfigError(f"{self.where}: key {key!r} is required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise SourceConfigError(f"{self.where}.{key}: expected text, got {value!r}")
        return value.strip()

    def bool(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise SourceConfigError(f"{self.where}.{key}: expected true or false, got {value!r}")
        return value

    def positive_int(self, key: str, default: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SourceConfigError(f"{self.where}.{key}: expected a whole number >= 1, got {value!r}")
        return value

    def duration(self, key: str, default: dt.timedelta) -> dt.timedelta:
        return parse_duration(self.data[key], f"{self.where}.{key}") if key in self.data else default

    def path(self, key: str, base: Path) -> Path | None:
        value = self.str(key)
        return None if value is None else (base / Path(value).expanduser()).resolve()


def _table_options(raw: Any, source: _Reader, defaults: dict) -> list[TableOptions]:
    where = f"{source.where}.tables"
    if isinstance(raw, str):
        if raw not in TABLE_GROUPS:
            raise SourceConfigError(
                f"{where}: {raw!r} is not a list of tables nor one of {', '.join(TABLE_GROUPS)} "
                "(the contract tables of that system)"
            )
        raw = TABLE_GROUPS[raw]
    if not isinstance(raw, list) or not raw:
        raise SourceConfigError(f"{where}: expected a non-empty list of contract tables, or erp / crm / all")
    options = []
    for i, entry in enumerate(raw):
        item_where = f"{where}[{i}]"
        if isinstance(entry, str):
            entry = {"table": entry}
        item = _Reader(entry, item_where, {"table", "full_refresh", "lookback", "chunk_size"})
        name = item.str("table", required=True)
        if name not in TABLES:
            raise SourceConfigError(
                f"{item_where}: {name!r} is not a table of the source contract "
                f"(one of: {', '.join(TABLES)}; source table names go in the mapping file)"
            )
        options.append(
            TableOptions(
                name=name,
                full_refresh=item.bool("full_refresh", defaults["full_refresh"]),
                lookback=item.duration("lookback", defaults["lookback"]),
                chunk_size=item.positive_int("chunk_size", defaults["chunk_size"]),
            )
        )
    names = [o.name for o in options]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SourceConfigError(f"{where}: table {repeated[0]!r} is listed more than once")
    return options


def _parse_source(raw: Any, index: int, path: Path, settings: Settings) -> Source:
    where = f"{path}: sources[{index}]"
    if isinstance(raw, dict) and isinstance(raw.get("name"), str):
        where = f"{path}: source {raw['name']!r}"
    common = {"name", "kind", "mapping"}
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind not in KINDS:
        raise SourceConfigError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    base = path.parent
    if kind == "files":
        r = _Reader(raw, where, common | {"landing_dir", "encoding"})
        name = r.str("name", required=True)
        encoding = r.str("encoding")
        if encoding is not None:
            encoding = encoding.lower()
            try:
                "".encode(encoding)
            except LookupError:
                raise SourceConfigError(f"{where}.encoding: {encoding!r} is not an encoding Python knows") from None
        source: Source = FilesSource(
            name=name,
            landing_dir=r.path("landing_dir", base) or settings.landing_dir,
            encoding=encoding,
            mapping=r.path("mapping", base),
        )
    else:
        r = _Reader(
            raw,
            where,
            common | {"conn_id", "schema", "tables", "full_refresh", "lookback", "chunk_size", "naive_timestamps_in"},
        )
        name = r.str("name", required=True)
        conn_id = r.str("conn_id", required=True)
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", conn_id):
            raise SourceConfigError(f"{where}.conn_id: {conn_id!r} is not an Airflow connection id")
        if "tables" not in raw:
            raise SourceConfigError(f"{where}: key 'tables' is required (a list of contract tables, or erp / crm)")
        defaults = {
            "full_refresh": r.bool("full_refresh", False),
            "lookback": r.duration("lookback", DEFAULT_LOOKBACK),
            "chunk_size": r.positive_int("chunk_size", DEFAULT_CHUNK_SIZE),
        }
        zone = r.str("naive_timestamps_in", "UTC")
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(zone)
        except (KeyError, ValueError):
            raise SourceConfigError(f"{where}.naive_timestamps_in: {zone!r} is not an IANA time zone") from None
        source = DatabaseSource(
            name=name,
            conn_id=conn_id,
            schema=r.str("schema"),
            tables=tuple(_table_options(raw["tables"], r, defaults)),
            mapping=r.path("mapping", base),
            naive_timestamps_in=zone,
        )
    if not _NAME.fullmatch(source.name):
        raise SourceConfigError(f"{where}.name: {source.name!r} must be lower_snake_case (a-z, 0-9, _)")
    if source.mapping is not None:
        from ar_risk.extract.mapping import SHIPPED_MAPPINGS_DIR, load_mapping

        name = str(raw["mapping"]).strip()
        if not source.mapping.is_file() and (SHIPPED_MAPPINGS_DIR / f"{name}.yml").is_file():
            source = replace(source, mapping=SHIPPED_MAPPINGS_DIR / f"{name}.yml")  # a shipped example, by name
        if not source.mapping.is_file():
            raise SourceConfigError(f"{where}.mapping: file {source.mapping} does not exist")
        load_mapping(source.mapping)  # validated now: a MappingError names the file, table and key
    return source


def load_sources(settings: Settings, path: Path | None = None) -> SourcesConfig:
    """The sources of ``path`` (default ``AR_SOURCES_FILE``), or the landing folder when unset."""
    path = path or settings.sources_file
    if path is None:
        return default_sources(settings)
    path = Path(path)
    if not path.is_file():
        raise SourceConfigError(f"AR_SOURCES_FILE={path}: the file does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SourceConfigError(f"{path}: not valid YAML: {exc}") from exc
    top = _Reader(data, str(path), {"sources"})
    raw_sources = top.data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourceConfigError(f"{path}: 'sources' must be a non-empty list")
    sources = tuple(_parse_source(raw, i, path, settings) for i, raw in enumerate(raw_sources))

    names = [s.name for s in sources]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SourceConfigError(f"{path}: source name {repeated[0]!r} is used more than once")
    owner: dict[str, str] = {}
    for source in sources:
        for options in getattr(source, "tables", ()):
            if options.name in owner:
                raise SourceConfigError(
                    f"{path}: table {options.name!r} is read by both source {owner[options.name]!r} "
                    f"and source {source.name!r}; each table comes from one source"
                )
            owner[options.name] = source.name
    # Without a files source, the databases must provide the required tables.
    if not any(isinstance(s, FilesSource) for s in sources):
        missing = [t for t in TABLES if TABLES[t].required and t not in owner]
        if missing:
            raise SourceConfigError(
                f"{path}: required table(s) {', '.join(missing)} are read by no source; "
                "list them under a database source's tables, or add a files source"
            )
    return SourcesConfig(sources=sources, path=path)


def source_tables(source: Source, database_tables: Collection[str] = ()) -> list[str]:
    """The contract tables a source provides (for files: the table folders that exist and that no
    database source in ``database_tables`` reads)."""
    if isinstance(source, DatabaseSource):
        return [o.name for o in source.tables]
    names = [n for n in TABLES if n not in database_tables] if database_tables else list(TABLES)
    if source.mapping is not None:
        from ar_risk.extract.mapping import load_mapping

        mapping = load_mapping(source.mapping)
        return [n for n in names if (source.landing_dir / mapping.for_table(n).source_table).is_dir()]
    return [n for n in names if (source.landing_dir / n).is_dir()]


def files_source_tables(config: SourcesConfig) -> list[str]:
    """The contract tables a files source provides: every table that no database source reads."""
    from_databases = {o.name for s in config.sources if isinstance(s, DatabaseSource) for o in s.tables}
    return [name for name in TABLES if name not in from_databases]


def ordered_sources(config: SourcesConfig) -> list[Source]:
    """Sources in the order they must load, and each database source's tables in reference order.

    The quality gate checks references against raw, so the source holding customers and FX rates
    runs before the one whose rows point at them (ERP before CRM).
    """

    from_databases = [o.name for s in config.sources if isinstance(s, DatabaseSource) for o in s.tables]

    def first_rank(source: Source) -> int:
        return min((TABLE_RANKS[t] for t in source_tables(source, from_databases)), default=len(TABLES))

    ordered = []
    for source in sorted(config.sources, key=first_rank):
        if isinstance(source, DatabaseSource):
            source = replace(source, tables=tuple(sorted(source.tables, key=lambda o: EXTRACTION_ORDER.index(o.name))))
        ordered.append(source)
    return ordered
