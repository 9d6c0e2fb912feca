"""The KPI targets and the monthly collection plan, checked before any run uses them.

A finance manager edits ``dbt_project/seeds/kpi_targets.csv`` (start and target of
each company KPI, policy 003 §4.4) and ``collection_plan.csv`` (planned collections
per month, optional: it may have no rows). dbt loads them as they are; this module
reads the same files first and stops the run naming file, row and column of a bad
edit (an unknown KPI, a target due before it starts, 18 typed for 18 %), instead of
a wrong path in agg_kpi_targets. docs/metrics.md, "KPI targets".
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ar_risk.errors import DataError
from ar_risk.seed_tables import Row, SeedReader

# The KPIs agg_kpi_targets reads from agg_ar_kpis (scope company): which way is worse, and
# whether the value is a fraction (0.18 = 18 %). The direction is the KPI's, not a choice: a
# row that says otherwise is a typing error.
KPIS = {
    "overdue_rate": ("above", True),
    "over_1y_share": ("above", True),
    "dso_standard": ("above", False),
    "countback_dso": ("above", False),
    "average_days_delinquent": ("above", False),
    "collection_effectiveness_index": ("below", True),
    "bad_debt_rate": ("above", True),
    "ar_turnover": ("below", False),
    "collection_rate": ("below", True),
    "top10_share": ("above", True),
}
MAX_VALUE = 1e6  # days or times a year beyond this are a typing error
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # fromisoformat alone also takes 20261031


class KpiTargetsError(DataError, ValueError):
    """A KPI target or collection plan seed has a value the pipeline cannot use; names file, row and column."""


_seeds = SeedReader(KpiTargetsError)


def _date(row: Row, column: str) -> dt.date:
    text = row.get(column)
    try:
        if not DATE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise KpiTargetsError(f"{row.where(column)}: {text!r} is not a date (YYYY-MM-DD)") from None


def _text(row: Row, column: str) -> str:
    value = row.get(column)
    if not value:
        raise KpiTargetsError(f"{row.where(column)}: a text is required")
    return value


def _kpi_row(row: Row, kpis: dict[str, tuple[str, bool]], seen: dict[str, int], what: str,
             value_columns: tuple[str, str], noun: str) -> tuple[str, list[float]]:  # fmt: skip
    """A seed row naming a KPI: known, once, in its own direction, its values in range (fractions within 0..1)."""
    code = row.get("kpi_code")
    if code not in kpis:
        raise KpiTargetsError(f"{row.where('kpi_code')}: {code!r} is not {what}; use one of {', '.join(kpis)}")
    if code in seen:
        raise KpiTargetsError(f"{row.where('kpi_code')}: a second {noun} for {code!r} (first on row {seen[code]})")
    seen[code] = row.number
    worse_when, is_fraction = kpis[code]
    if row.get("worse_when") != worse_when:
        raise KpiTargetsError(
            f"{row.where('worse_when')}: {row.get('worse_when')!r} for {code}; it is worse when {worse_when}"
        )
    values = []
    for column in value_columns:
        value = _seeds.number(row, column, low=0, high=MAX_VALUE)
        if is_fraction and value > 1:
            raise KpiTargetsError(
                f"{row.where(column)}: {row.get(column)} is outside 0..1; {code} is a fraction "
                f"(write {value / 100:g} for {row.get(column)} %)"
            )
        values.append(value)
    return code, values


def check_kpi_targets(seeds_dir: Path) -> dict[str, tuple[float, float]]:
    """kpi_targets: known KPIs once each, their own direction, values in range, target due on or after start.

    Returns kpi_code -> (start_value, target_value).
    """
    columns = ("kpi_code", "worse_when", "start_value", "start_date", "target_value", "target_date",
               "label_en", "label_zh", "note")  # fmt: skip
    rows = _seeds.table(seeds_dir, "kpi_targets", columns)
    seen: dict[str, int] = {}
    targets: dict[str, tuple[float, float]] = {}
    for row in rows:
        code, values = _kpi_row(row, KPIS, seen, "a KPI of agg_ar_kpis", ("start_value", "target_value"), "target")
        start, target = _date(row, "start_date"), _date(row, "target_date")
        if target < start:
            raise KpiTargetsError(
                f"{row.where('target_date')}: {target} is before start_date {start} "
                "(a target is due on or after the day it starts)"
            )
        if target == start and values[0] != values[1]:
            raise KpiTargetsError(
                f"{row.where('target_date')}: due the day it starts ({start}) but start_value {row.get('start_value')} "
                f"differs from target_value {row.get('target_value')}; give the path some time, or start = target "
                "for a ceiling or floor"
            )
        _text(row, "label_en")
        _text(row, "label_zh")
        targets[code] = (values[0], values[1])
    return targets


def check_collection_plan(seeds_dir: Path) -> dict[str, float]:
    """collection_plan: may be empty; each month once, as YYYY-MM, with an amount of 0 or more."""
    rows = _seeds.table(seeds_dir, "collection_plan", ("month", "planned_collections_rc", "note"), may_be_empty=True)
    plan: dict[str, float] = {}
    first: dict[str, int] = {}
    for row in rows:
        month = row.get("month")
        if not MONTH.match(month):
            raise KpiTargetsError(f"{row.where('month')}: {month!r} is not a month (YYYY-MM, e.g. 2026-11)")
        if month in first:
            raise KpiTargetsError(f"{row.where('month')}: a second plan for {month} (first on row {first[month]})")
        first[month] = row.number
        plan[month] = _seeds.number(row, "planned_collections_rc", low=0, high=1e15)
    return plan


# The KPIs a scorecard (rpt_sales_scorecards) may weigh: the rates and days int_kpi_formulas computes
# per scope, with their direction and whether they are fractions, as KPIS above.
SCORECARD_KPIS = {
    "collections_in_terms_rate": ("below", True),
    "overdue_rate": ("above", True),
    "dso_standard": ("above", False),
    "collection_success_rate": ("below", True),
    "collection_rate": ("below", True),
    "collection_effectiveness_index": ("below", True),
    "bad_debt_rate": ("above", True),
    "average_days_delinquent": ("above", False),
}


def check_scorecard_weights(seeds_dir: Path) -> dict[str, float]:
    """scorecard_kpi_weights: known KPIs once each, their own direction, floor on the worse side of the target,
    weights above 0 that sum to 1. Returns kpi_code -> weight."""
    columns = ("kpi_code", "weight", "worse_when", "floor_value", "target_value", "label_en", "label_zh", "note")
    rows = _seeds.table(seeds_dir, "scorecard_kpi_weights", columns)
    weights: dict[str, float] = {}
    seen: dict[str, int] = {}
    for row in rows:
        code, (floor, target) = _kpi_row(
            row, SCORECARD_KPIS, seen, "a scorecard KPI", ("floor_value", "target_value"), "weight"
        )
        worse_when = SCORECARD_KPIS[code][0]
        weight = _seeds.number(row, "weight", low=0, high=1)
        if weight == 0:
            raise KpiTargetsError(f"{row.where('weight')}: a weight above 0 is required (remove the row instead)")
        if (worse_when == "above" and not floor > target) or (worse_when == "below" and not floor < target):
            side = "above" if worse_when == "above" else "below"
            raise KpiTargetsError(
                f"{row.where('floor_value')}: {row.get('floor_value')} must be {side} target_value "
                f"{row.get('target_value')}: {code} is worse when {worse_when}, and the floor scores 0 points"
            )
        _text(row, "label_en")
        _text(row, "label_zh")
        weights[code] = weight
    total = sum(weights.values())
    if abs(total - 1) > 1e-6:
        raise KpiTargetsError(f"scorecard_kpi_weights.csv: the weights sum to {total:g}; they must sum to 1")
    return weights


def validate_kpi_targets(seeds_dir: Path) -> None:
    """Check kpi_targets, collection_plan and scorecard_kpi_weights; raises KpiTargetsError naming file, row
    and column."""
    check_kpi_targets(seeds_dir)
    check_collection_plan(seeds_dir)
    check_scorecard_weights(seeds_dir)
