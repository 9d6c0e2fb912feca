"""Atomic publication of the warehouse's ``marts`` schema to the serving file.

BI tools open ``serving.duckdb`` read-only while the next run writes the
warehouse. A publication is built in a temporary file beside the serving file
and moved over it with one ``os.replace``: a reader sees the old file or the
new one, never a mix, and a failure at any step leaves the previous
publication exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ar_risk.config import MARTS_SCHEMA, Settings
from ar_risk.errors import DataError
from ar_risk.run_dates import record_published
from ar_risk.warehouse import quote_ident, sql_literal

log = logging.getLogger(__name__)

MANIFEST_SCHEMA = "meta"  # kept apart from marts so the BI tables stay identical between reruns


class PublicationError(DataError, RuntimeError):
    """The publication could not be built; the previous one is untouched."""


@dataclass(frozen=True)
class Publication:
    serving_path: Path
    run_id: str
    as_of_date: dt.date
    row_counts: dict[str, int]
    model_version: str | None = None
    data_quality_status: str = "not_checked"
    postgres_schema: str | None = None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_data_quality(con: duckdb.DuckDBPyConnection, as_of_date: dt.date) -> None:
    """Copy the quality-gate results of the as-of date's extraction batches into the manifest schema.

    Batch ids start with the as-of date (``<as_of>__<run_id>``). BI tools and the report then
    show the data-quality status of the run from the published file, never from the warehouse.
    Empty tables when the warehouse has no quality tables (nothing was extracted through the gate).
    """
    from ar_risk.quality.gate import QUARANTINE_TABLE, VALIDATION_RESULTS_TABLE

    prefix = f"{as_of_date.isoformat()}__"
    present = {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = 'warehouse'"
        ).fetchall()
    }
    con.execute(
        f"""CREATE TABLE {MANIFEST_SCHEMA}.data_quality (
            batch_id VARCHAR, table_name VARCHAR, source VARCHAR, rule VARCHAR, expectation_type VARCHAR,
            column_name VARCHAR, severity VARCHAR, success BOOLEAN, element_count BIGINT,
            unexpected_count BIGINT, outcome VARCHAR, validated_at TIMESTAMP)"""
    )
    con.execute(
        f"CREATE TABLE {MANIFEST_SCHEMA}.quarantine_counts "
        "(batch_id VARCHAR, table_name VARCHAR, rows_quarantined BIGINT)"
    )
    con.execute(
        f"CREATE TABLE {MANIFEST_SCHEMA}.quarantine_reasons "
        "(batch_id VARCHAR, table_name VARCHAR, column_name VARCHAR, rule VARCHAR, rows_quarantined BIGINT)"
    )
    if VALIDATION_RESULTS_TABLE in present:
        con.execute(
            f"""INSERT INTO {MANIFEST_SCHEMA}.data_quality BY NAME
                SELECT * REPLACE (split_part(batch_id, '__recheck_', 1) AS batch_id)
                FROM warehouse.{VALIDATION_RESULTS_TABLE} WHERE starts_with(batch_id, ?) ORDER BY ALL""",
            [prefix],
        )
    if QUARANTINE_TABLE in present:
        con.execute(
            # Rows, not rule failures: raw._quarantine has one row per rule a source row failed. The
            # re-check of waiting rows runs under "<batch>__recheck_<n>": it counts as its day's batch.
            f"""INSERT INTO {MANIFEST_SCHEMA}.quarantine_counts
                SELECT split_part(batch_id, '__recheck_', 1), table_name, count(DISTINCT (source, source_row))
                FROM warehouse.{QUARANTINE_TABLE}
                WHERE starts_with(batch_id, ?) GROUP BY ALL ORDER BY ALL""",
            [prefix],
        )
        con.execute(
            f"""INSERT INTO {MANIFEST_SCHEMA}.quarantine_reasons
                SELECT split_part(batch_id, '__recheck_', 1), table_name, column_name, rule,
                       count(DISTINCT (source, source_row))
                FROM warehouse.{QUARANTINE_TABLE}
                WHERE starts_with(batch_id, ?) GROUP BY ALL ORDER BY ALL""",
            [prefix],
        )


def _model_version(con: duckdb.DuckDBPyConnection, tables: list[str], as_of_date: dt.date) -> str | None:
    """The champions that scored the as-of date (marts.model_card), e.g. "p_late:3,p_paid_30d:3,pd_default:4"."""
    if "model_card" not in tables:
        return None
    row = con.execute(
        f"""SELECT string_agg(target || ':' || model_version, ',' ORDER BY target)
            FROM {MARTS_SCHEMA}.model_card WHERE as_of_date = ?""",
        [as_of_date],
    ).fetchone()
    return row[0] if row else None


def _data_quality_status(con: duckdb.DuckDBPyConnection) -> str:
    """passed / warnings (rows quarantined) / not_checked (nothing came through the gate that day)."""
    checked, failed = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE NOT success) FROM {MANIFEST_SCHEMA}.data_quality"
    ).fetchone()
    if not checked:
        return "not_checked"
    return "warnings" if failed else "passed"


def publish_marts(settings: Settings, *, run_id: str, as_of_date: dt.date) -> Publication:
    """Copy every table and view of ``marts`` into a fresh serving file and swap it in.

    With ``AR_BI_POSTGRES_URL`` set, the same tables also go to PostgreSQL
    (ar_risk.publish.postgres), before the file is swapped in: when
    PostgreSQL fails, neither target changes.
    """
    serving = settings.serving_path
    serving.parent.mkdir(parents=True, exist_ok=True)
    safe_run = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in run_id)[:80]
    tmp = serving.with_name(f".{serving.name}.{safe_run}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)

    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(f"ATTACH {sql_literal(str(settings.warehouse_path))} AS warehouse (READ_ONLY)")
            tables = [
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_catalog = 'warehouse' AND table_schema = ? ORDER BY table_name",
                    [MARTS_SCHEMA],
                ).fetchall()
            ]
            if not tables:
                raise PublicationError(
                    f"the warehouse {settings.warehouse_path} has no tables in schema {MARTS_SCHEMA!r}: "
                    "run the transform DAG before publishing"
                )
            con.execute(f"CREATE SCHEMA {MARTS_SCHEMA}")
            row_counts: dict[str, int] = {}
            for table in tables:
                source = f"warehouse.{MARTS_SCHEMA}.{quote_ident(table)}"
                target = f"{MARTS_SCHEMA}.{quote_ident(table)}"
                # Sorted, so that the same inputs give byte-for-byte the same tables.
                con.execute(f"CREATE TABLE {target} AS SELECT * FROM {source} ORDER BY ALL")
                row_counts[table] = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
            con.execute(f"CREATE SCHEMA {MANIFEST_SCHEMA}")
            _copy_data_quality(con, as_of_date)
            model_version = _model_version(con, tables, as_of_date)
            quality_status = _data_quality_status(con)
            con.execute(
                f"CREATE TABLE {MANIFEST_SCHEMA}.publication (run_id VARCHAR, as_of_date DATE, "
                "published_at TIMESTAMP, table_name VARCHAR, row_count BIGINT, model_version VARCHAR, "
                "data_quality_status VARCHAR)"
            )
            published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            con.executemany(
                f"INSERT INTO {MANIFEST_SCHEMA}.publication VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    [run_id, as_of_date, published_at, t, n, model_version, quality_status]
                    for t, n in row_counts.items()
                ],
            )
            con.execute("DETACH warehouse")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _fsync(tmp)
        if settings.bi_postgres_url:
            from ar_risk.publish.postgres import publish_to_postgres

            publish_to_postgres(tmp, settings.bi_postgres_url, settings.bi_postgres_schema)
        os.replace(tmp, serving)  # the atomic step
        _fsync(serving.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        raise
    # Only now is the date published: a later run keeps its rows (ar_risk.run_dates).
    record_published(settings, as_of_date, run_id)
    log.info("published %s tables to %s for %s", len(row_counts), serving, as_of_date)
    return Publication(
        serving_path=serving,
        run_id=run_id,
        as_of_date=as_of_date,
        row_counts=row_counts,
        model_version=model_version,
        data_quality_status=quality_status,
        postgres_schema=settings.bi_postgres_schema if settings.bi_postgres_url else None,
    )


def connect_serving(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published file, as a BI tool opens it."""
    if not settings.serving_path.exists():
        raise FileNotFoundError(f"nothing is published yet at {settings.serving_path}: run the pipeline first")
    return duckdb.connect(str(settings.serving_path), read_only=True)
