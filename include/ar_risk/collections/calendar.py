"""The contact calendar: working days per country, from the maintained ``holidays`` package.

Contacts are never scheduled on weekends or public holidays of the customer's
country, and a working weekend day (China's 调休 make-up days) counts as a
working day. The calendar is written to ``reference.contact_calendar`` for the
dbt collections models, for a window around the as-of date: the same as-of date
and package version give the same table. The same table tells fct_receipt_anomalies
whether a receipt came in on a non-working day (one calendar, one place), so the
window reaches back over the receipts that check judges.
"""

from __future__ import annotations

import datetime as dt
import logging

import duckdb
import holidays
import pandas as pd

log = logging.getLogger(__name__)

CALENDAR_TABLE = "reference.contact_calendar"
DAYS_BEFORE = 7
DAYS_AFTER = 190  # covers the latest contact date the worklist can plan (frequency caps, pay habits)


def country_calendar(country: str, start: dt.date, end: dt.date) -> tuple[pd.DataFrame, str]:
    """Working days of ``country`` from start to end (inclusive), and where they came from."""
    years = range(start.year, end.year + 1)
    try:
        calendar = holidays.country_holidays(country, years=years)
        source = f"holidays {holidays.__version__}"
    except NotImplementedError:
        # A country the package does not know: weekends only, and the run says so.
        log.warning("no public-holiday calendar for country %r: only weekends are avoided", country)
        calendar = holidays.HolidayBase(years=years)
        source = "weekends only"
    days = pd.date_range(start, end, freq="D").date
    working = [calendar.is_working_day(day) for day in days]
    names = [calendar.get(day) for day in days]
    frame = pd.DataFrame(
        {"country_code": country, "calendar_date": days, "is_working_day": working, "holiday_name": names}
    )
    # The first working day on or after each date (the last dates of the window look further ahead).
    next_working: list[dt.date | None] = [None] * len(days)
    upcoming = None
    for i in range(len(days) - 1, -1, -1):
        if working[i]:
            upcoming = days[i]
        next_working[i] = upcoming
    frame["next_working_date"] = next_working
    frame["calendar_source"] = source
    return frame, source


def write_contact_calendar(
    con: duckdb.DuckDBPyConnection, countries: set[str], as_of: dt.date, days_before: int = DAYS_BEFORE
) -> int:
    """Replace the calendar table with the window around ``as_of`` for ``countries``; returns rows.

    ``days_before``: how far back the window reaches (at least DAYS_BEFORE), e.g. the receipt checks' window.
    """
    start = as_of - dt.timedelta(days=max(DAYS_BEFORE, days_before))
    end = as_of + dt.timedelta(days=DAYS_AFTER)
    frames = [country_calendar(c, start, end)[0] for c in sorted(countries)]
    calendar = pd.concat(frames, ignore_index=True)
    calendar = calendar[calendar.next_working_date.notna()]
    con.execute("CREATE SCHEMA IF NOT EXISTS reference")
    con.register("calendar_frame", calendar)
    try:
        con.execute(
            f"""CREATE OR REPLACE TABLE {CALENDAR_TABLE} AS
                SELECT cast(country_code AS VARCHAR) AS country_code, cast(calendar_date AS DATE) AS calendar_date,
                       cast(is_working_day AS BOOLEAN) AS is_working_day, cast(holiday_name AS VARCHAR) AS holiday_name,
                       cast(next_working_date AS DATE) AS next_working_date,
                       cast(calendar_source AS VARCHAR) AS calendar_source
                FROM calendar_frame ORDER BY country_code, calendar_date"""
        )
    finally:
        con.unregister("calendar_frame")
    return len(calendar)
