"""Which as-of dates a completed run published: ``meta.as_of_runs`` in the warehouse.

The daily marts are incremental by as_of_date: a run for a date writes that
date's rows stage by stage (dbt build, scoring, collections). A run that fails
after the first of them leaves rows of its date behind, and the next good run
of another date would publish them beside its own, although no run completed
for that date.

So every run records its date as ``started`` when the day's dbt build begins
and as ``published`` when the publication is swapped in. Before anything else
is built, the day's build removes from the as-of marts every row of a date
whose last run started and never published (its own date included: a retry or
a rerun rebuilds it whole). Dates no run recorded (history built before this
table existed, or by hand) are left alone.
"""

from __future__ import annotations

import datetime as dt
import logging

import duckdb

from ar_risk.config import MARTS_SCHEMA, Settings
from ar_risk.warehouse import connect_warehouse, quote_ident

log = logging.getLogger(__name__)

RUNS_SCHEMA = "meta"
RUNS_TABLE = f"{RUNS_SCHEMA}.as_of_runs"
# The schemas whose tables keep as-of history: the BI marts (dbt, scores, collections)
# and the collections' own history (collection_worklist_items).
AS_OF_SCHEMAS = (MARTS_SCHEMA, "collections")


def _ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RUNS_SCHEMA}")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} "
        "(as_of_date DATE, run_id VARCHAR, status VARCHAR, recorded_at TIMESTAMP)"
    )


def _record(con: duckdb.DuckDBPyConnection, as_of: dt.date, run_id: str, status: str) -> None:
    _ensure_table(con)
    recorded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(f"INSERT INTO {RUNS_TABLE} VALUES (?, ?, ?, ?)", [as_of, run_id, status, recorded_at])


def unpublished_dates(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Dates whose last recorded run started and did not publish."""
    _ensure_table(con)
    rows = con.execute(
        f"""SELECT as_of_date FROM {RUNS_TABLE}
            QUALIFY row_number() OVER (PARTITION BY as_of_date ORDER BY recorded_at DESC, status) = 1
                AND status = 'started'
            ORDER BY as_of_date"""
    ).fetchall()
    return [r[0] for r in rows]


def start_run_date(settings: Settings, as_of: dt.date, run_id: str) -> dict[str, int]:
    """Record the run of ``as_of`` as started, then remove the rows of every unpublished date.

    Returns rows removed per table. Called first by the day's dbt build (tasks.dbt_build).
    """
    con = connect_warehouse(settings)
    removed: dict[str, int] = {}
    try:
        con.execute("BEGIN TRANSACTION")
        _record(con, as_of, run_id, "started")
        dates = unpublished_dates(con)
        tables = con.execute(
            """SELECT c.table_schema, c.table_name FROM information_schema.columns AS c
               JOIN information_schema.tables AS t USING (table_catalog, table_schema, table_name)
               WHERE c.column_name = 'as_of_date' AND t.table_type = 'BASE TABLE'
                 AND c.table_schema IN (SELECT unnest(?::VARCHAR[]))
               ORDER BY ALL""",
            [list(AS_OF_SCHEMAS)],
        ).fetchall()
        for schema, table in tables:
            target = f"{quote_ident(schema)}.{quote_ident(table)}"
            (count,) = con.execute(
                f"DELETE FROM {target} WHERE as_of_date IN (SELECT unnest(?::DATE[]))", [dates]
            ).fetchone()
            if count:
                removed[f"{schema}.{table}"] = count
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    others = [d.isoformat() for d in dates if d != as_of]
    if others:
        log.warning(
            "removed the rows of %s (runs that did not publish) from the as-of marts: %s", ", ".join(others), removed
        )
    return removed


def record_published(settings: Settings, as_of: dt.date, run_id: str) -> None:
    """Record that a run published ``as_of`` (called by publish_marts after the swap)."""
    con = connect_warehouse(settings)
    try:
        _record(con, as_of, run_id, "published")
    finally:
        con.close()
