"""Build the collections marts (alerts, collection_worklist, strategy_effectiveness) for an as-of date.

Runs in ar_collections after scoring, in the warehouse pool: it checks the strategy
tables, writes the contact calendar of the countries on record, then runs the
dbt models tagged ``collections`` (they read the day's scores).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from ar_risk.collections.calendar import write_contact_calendar
from ar_risk.collections.receipt_anomalies import calendar_days_back, check_receipt_anomaly_rules
from ar_risk.collections.strategy import validate_strategy
from ar_risk.config import Settings
from ar_risk.errors import DataError
from ar_risk.transform.dbt import COLLECTIONS, run_dbt
from ar_risk.warehouse import connect_warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CollectionsResult:
    as_of_date: dt.date
    calendar_rows: int
    statuses: dict[str, int]


def _countries(con, company_country: str) -> set[str]:
    """The company's country and every customer's (a code the calendar lacks falls back to weekends only)."""
    rows = con.execute(
        "SELECT DISTINCT upper(country_code) FROM staging.stg_erp__customers WHERE country_code IS NOT NULL"
    ).fetchall()
    return {company_country} | {code for (code,) in rows if code and len(code) == 2 and code.isalpha()}


class CollectionsInputError(DataError, RuntimeError):
    """The warehouse is not ready for this as-of date's collections build; the message says what to run."""


def _check_built_for(con, as_of: dt.date) -> None:
    """The collections read tables the daily build keeps for one date only, and the day's scores."""
    built = con.execute("SELECT max(as_of_date) FROM intermediate.int_promises_evaluated").fetchone()[0]
    if built is not None and built != as_of:
        raise CollectionsInputError(
            f"the warehouse was last built for {built}, not {as_of}: run ar_transform and ar_score for {as_of} "
            "first (a backfill reruns every date up to the newest one, in date order; docs/collections.md)"
        )
    scored = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'marts' AND table_name = 'invoice_risk_scores'"
    ).fetchone()[0]
    if (
        scored
        and not con.execute("SELECT count(*) FROM marts.invoice_risk_scores WHERE as_of_date = ?", [as_of]).fetchone()[
            0
        ]
    ):
        raise CollectionsInputError(f"marts.invoice_risk_scores has no scores for {as_of}: run ar_score for it first")


def prepare_inputs(settings: Settings, as_of: dt.date, *, check_dates: bool = True) -> int:
    """Check the strategy tables and the warehouse, write the contact calendar; returns the calendar's rows."""
    from ar_risk.quality.gate import ensure_quality_tables

    params = validate_strategy(settings.dbt_project_dir / "seeds")
    receipt_checks = check_receipt_anomaly_rules(settings.dbt_project_dir / "seeds")
    con = connect_warehouse(settings)
    try:
        if check_dates:
            _check_built_for(con, as_of)
        # The alerts read the gate's results; a warehouse loaded without the gate has none yet.
        ensure_quality_tables(con)
        countries = _countries(con, str(params["company_country"]))
        return write_contact_calendar(con, countries, as_of, days_before=calendar_days_back(receipt_checks))
    finally:
        con.close()


def build_collections(settings: Settings, as_of: dt.date) -> CollectionsResult:
    rows = prepare_inputs(settings, as_of)
    results = run_dbt(
        settings, ["build", "--select", COLLECTIONS, "--exclude-resource-type", "unit_test"], as_of_date=as_of
    )
    statuses: dict[str, int] = {}
    for r in results.get("results", []):
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    log.info("collections marts built for %s: %s", as_of, statuses)
    return CollectionsResult(as_of_date=as_of, calendar_rows=rows, statuses=statuses)
