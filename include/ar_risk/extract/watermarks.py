"""Per-table ``updated_at`` watermarks, kept in the warehouse (``raw._watermarks``).

One row per extraction of a table: the history says what each run read. The
current watermark of (source, table) is the row of its latest extraction. It
is written in the same transaction as the table's last step, so it advances
only once every chunk of the extraction has committed; a crash leaves the
previous watermark and the rerun reads the same rows again (raw skips rows it
already holds).

The watermark is kept twice: as the source returned it (``watermark_value``,
ISO text plus its kind), so the next query compares in the source's own type
(``timestamp`` or ``timestamptz`` on PostgreSQL, DATETIME on MySQL) with no
time-zone guessing; and in UTC (``watermark_utc``) for people and reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

WATERMARKS_TABLE = "raw._watermarks"


@dataclass(frozen=True)
class Watermark:
    """The highest ``updated_at`` read so far from one source table, in the source's own type."""

    value: Any  # datetime (naive or aware), date, int or str, as the source's driver returned it

    def to_text(self) -> tuple[str, str]:
        """(kind, ISO text) for storage."""
        v = self.value
        if isinstance(v, dt.datetime):
            return "datetime", v.isoformat()
        if isinstance(v, dt.date):
            return "date", v.isoformat()
        if isinstance(v, bool):
            raise TypeError("a boolean cannot be a watermark")
        if isinstance(v, int):
            return "int", str(v)
        return "text", str(v)

    @classmethod
    def from_text(cls, kind: str, text: str) -> Watermark:
        if kind == "datetime":
            return cls(dt.datetime.fromisoformat(text))
        if kind == "date":
            return cls(dt.date.fromisoformat(text))
        if kind == "int":
            return cls(int(text))
        return cls(text)

    def minus(self, lookback: dt.timedelta) -> Any:
        """The lower bound of the next incremental query: the watermark minus the lookback."""
        v = self.value
        if isinstance(v, dt.datetime):
            return v - lookback
        if isinstance(v, dt.date):
            return v - dt.timedelta(days=max(lookback.days, 1 if lookback else 0))
        return v  # text or numbers: no arithmetic; the lookback cannot apply

    def to_utc(self, naive_zone: dt.tzinfo) -> dt.datetime | None:
        v = self.value
        if isinstance(v, dt.datetime):
            aware = v if v.tzinfo is not None else v.replace(tzinfo=naive_zone)
            return aware.astimezone(dt.UTC).replace(tzinfo=None)
        if isinstance(v, dt.date):
            return dt.datetime(v.year, v.month, v.day)
        return None


def ensure_watermarks_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {WATERMARKS_TABLE} (
            source_name VARCHAR NOT NULL,      -- the source's name in the sources configuration
            table_name VARCHAR NOT NULL,       -- the contract table
            source_table VARCHAR,              -- conn_id:schema.table it was read from
            mode VARCHAR NOT NULL,             -- incremental | full
            lower_bound VARCHAR,               -- what the query read from (watermark - lookback), ISO
            watermark_kind VARCHAR,            -- datetime | date | int | text; NULL: nothing read yet
            watermark_value VARCHAR,           -- the highest updated_at read, as the source returned it
            watermark_utc TIMESTAMP,           -- the same in UTC, for people
            batch_id VARCHAR NOT NULL,
            rows_extracted BIGINT NOT NULL,
            rows_loaded BIGINT NOT NULL,
            rows_quarantined BIGINT NOT NULL,
            rows_tombstoned BIGINT NOT NULL,   -- hard deletes found by a full extract
            extracted_at TIMESTAMP NOT NULL    -- when this extraction committed (UTC)
        )"""
    )


def current_watermark(con: duckdb.DuckDBPyConnection, source_name: str, table_name: str) -> Watermark | None:
    """The watermark of the latest committed extraction of the table, or None (never read)."""
    rows = con.execute(
        f"""SELECT watermark_kind, watermark_value FROM {WATERMARKS_TABLE}
            WHERE source_name = ? AND table_name = ? AND watermark_value IS NOT NULL
            ORDER BY extracted_at DESC LIMIT 1""",
        [source_name, table_name],
    ).fetchall()  # read to the end: DuckDB refuses new work while a result is open
    return Watermark.from_text(*rows[0]) if rows else None


def record_extraction(
    con: duckdb.DuckDBPyConnection,
    *,
    source_name: str,
    table_name: str,
    source_table: str,
    mode: str,
    lower_bound: Any,
    watermark: Watermark | None,
    naive_zone: dt.tzinfo,
    batch_id: str,
    rows_extracted: int,
    rows_loaded: int,
    rows_quarantined: int,
    rows_tombstoned: int,
) -> None:
    """Append the extraction's row; the caller commits it with the table's last step."""
    kind, text = watermark.to_text() if watermark else (None, None)
    con.execute(
        f"INSERT INTO {WATERMARKS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source_name,
            table_name,
            source_table,
            mode,
            None if lower_bound is None else Watermark(lower_bound).to_text()[1],
            kind,
            text,
            watermark.to_utc(naive_zone) if watermark else None,
            batch_id,
            rows_extracted,
            rows_loaded,
            rows_quarantined,
            rows_tombstoned,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
        ],
    )
