"""History from the first run: the aging and KPI marts at the month-ends before the first as-of date.

The marts are computed for any as-of date, so a first run need not wait a year for its trends. When the
warehouse holds no KPI row before the run's date (a first run, or a warehouse rebuilt from scratch), the
day's dbt build is preceded by one run per month-end of the last ``history_month_ends`` months
(``analytics_parameters``, 12; ``AR_HISTORY_MONTH_ENDS`` overrides, 0 turns it off): the models behind
``agg_ar_aging`` and ``agg_ar_kpis`` only, oldest first, never before the first invoice's month.

Only those two marts (and their intermediate parents) get history: they are what the trends, "vs last
month" and the DSO change read. ``fct_ar_open_items`` does not: the alerts compare the day with the previous
date it holds, and a month-old "previous run" would turn a month of events into one day's alerts. The history
runs skip the data tests; the day's build right after them tests every model and mart, history rows included.
The dates are not recorded as runs (``meta.as_of_runs``), so they are kept as history (ar_risk.run_dates).
"""

from __future__ import annotations

import datetime as dt
import logging

from ar_risk.config import MARTS_SCHEMA, Settings
from ar_risk.errors import DataError
from ar_risk.seed_tables import SeedReader
from ar_risk.warehouse import connect_warehouse

log = logging.getLogger(__name__)

PARAMETER = "history_month_ends"
MAX_MONTH_ENDS = 60
# The marts whose history the report and BI trends read, with every model they are built from.
HISTORY_SELECTION = ("+agg_ar_aging", "+agg_ar_kpis")


class HistoryConfigError(DataError, ValueError):
    """history_month_ends is not a whole number of months the build can use."""


def configured_month_ends(settings: Settings) -> int:
    """AR_HISTORY_MONTH_ENDS when set, else the seed's history_month_ends (checked: a whole number 0-60)."""
    if settings.history_month_ends is not None:
        return settings.history_month_ends
    reader = SeedReader(HistoryConfigError)
    rows = reader.table(settings.dbt_project_dir / "seeds", "analytics_parameters", ("parameter", "value"))
    found = [row for row in rows if row.get("parameter") == PARAMETER]
    if not found:
        return 0
    value = reader.number(found[0], "value", low=0, high=MAX_MONTH_ENDS)
    if value != int(value):
        raise HistoryConfigError(f"{found[0].where('value')}: {PARAMETER} must be a whole number of months")
    return int(value)


def month_ends_before(as_of: dt.date, count: int, earliest: dt.date | None) -> list[dt.date]:
    """The last ``count`` month-ends before ``as_of`` (oldest first), none before ``earliest``'s month-end."""
    ends: list[dt.date] = []
    day = as_of.replace(day=1) - dt.timedelta(days=1)
    while len(ends) < count and (earliest is None or day >= _month_end(earliest)):
        ends.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return ends[::-1]


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _history_needed(settings: Settings, as_of: dt.date) -> tuple[bool, dt.date | None]:
    """(no KPI row before ``as_of`` in the warehouse, the first invoice date in raw)."""
    con = connect_warehouse(settings)
    try:
        tables = {
            (schema, name)
            for schema, name in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE (table_schema, table_name) IN ((?, 'agg_ar_kpis'), ('raw', 'erp_invoices'))",
                [MARTS_SCHEMA],
            ).fetchall()
        }
        earlier = 0
        if (MARTS_SCHEMA, "agg_ar_kpis") in tables:
            earlier = con.execute(
                f"SELECT count(*) FROM {MARTS_SCHEMA}.agg_ar_kpis WHERE as_of_date < ?", [as_of]
            ).fetchone()[0]
        earliest = None
        if ("raw", "erp_invoices") in tables:
            earliest = con.execute("SELECT min(CAST(invoice_date AS DATE)) FROM raw.erp_invoices").fetchone()[0]
    finally:
        con.close()
    return earlier == 0, earliest


def build_history(settings: Settings, as_of: dt.date) -> list[dt.date]:
    """Before a first run's build: the aging and KPI marts at its earlier month-ends; returns the dates built."""
    from ar_risk.transform.dbt import COLLECTIONS, SCORES, TRAINING_FEATURES, run_dbt

    count = configured_month_ends(settings)
    if count == 0:
        log.info("history: %s is 0, no month-ends before %s are built", PARAMETER, as_of)
        return []
    first_run, earliest = _history_needed(settings, as_of)
    if not first_run:
        return []
    dates = month_ends_before(as_of, count, earliest)
    if not dates:
        log.info("history: no month-end before %s holds invoices (first invoice %s)", as_of, earliest)
        return []
    log.info("history: a first run; building %d month-ends before %s: %s .. %s", len(dates), as_of, dates[0], dates[-1])
    exclude = ["--exclude", TRAINING_FEATURES, SCORES, COLLECTIONS]
    for index, day in enumerate(dates):
        # The first pass also loads the seeds the models read; the others only rerun the models.
        if index == 0:
            command = ["build", "--select", *HISTORY_SELECTION, *exclude,
                       "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]  # fmt: skip
        else:
            command = ["run", "--select", *HISTORY_SELECTION, *exclude]
        run_dbt(settings, command, as_of_date=day)
    return dates
