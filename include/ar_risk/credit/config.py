"""The credit scorecard and policy seeds, checked before any run uses them.

A credit manager edits eight CSV files in ``dbt_project/seeds``:
``credit_score_components`` (weights), ``credit_score_points`` (points bands of
each component), ``credit_score_bands`` (score -> band), ``credit_policy``
(terms per band), ``credit_approval_levels``, ``credit_score_parameters``,
``order_hold_rules`` and ``late_fee_rates`` (the contractual late fee).
dbt loads them as they are; this module reads the same files first and stops
the run with file, row and column of a bad edit (weights that do not add up
to 100, bands that leave a gap in 1-100, a band without a policy), instead of
a wrong score. docs/metrics.md, "Credit score" and "Credit policy".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from ar_risk.errors import DataError
from ar_risk.seed_tables import Row, SeedReader

# What int_credit_score_measures and customer_credit_scores measure: exactly these components.
COMPONENTS = (
    "days_late", "late_share", "promises_broken", "disputes", "writeoffs", "utilisation", "pd_default",
    "tenure", "sales", "litigation", "negative_news", "blacklist",
)  # fmt: skip
CREDIT_TERMS = ("open_terms", "cash_in_advance")
HOLD_REASONS = ("utilisation", "credit_score")
# Each late-fee basis and the rate columns it uses (fct_late_payment_interest); the others stay empty.
LATE_FEE_BASES = {"daily_rate": ("daily_rate",), "lpr_multiple": ("lpr_annual_rate", "lpr_multiple"), "waived": ()}
# Highest value of each rate column: above 1 % a day (365 % a year) or an LPR above 20 % is a typing
# error, not a contract.
LATE_FEE_MAXIMA = {"daily_rate": 0.01, "lpr_annual_rate": 0.2, "lpr_multiple": 10.0}
PARAMETERS = {"score_window_days": (1, 3660), "late_grace_days": (0, 365), "min_documents_for_history": (0, 1000)}
TOTAL_WEIGHT = 100.0
MIN_SCORE, MAX_SCORE = 1, 100


class CreditConfigError(DataError, ValueError):
    """A credit seed has a value the pipeline cannot use; the message names file, row and column."""


@dataclass(frozen=True)
class CreditConfig:
    weights: dict[str, float]
    bands: list[tuple[str, int, int]]  # (score_band, min_score, max_score), lowest first
    policies: dict[str, str]  # score_band -> credit_terms
    parameters: dict[str, int]


_seeds = SeedReader(CreditConfigError)
_read = _seeds.table
_number = _seeds.number


def _whole(row: Row, column: str, *, low: int, high: int, optional=False) -> int | None:
    value = _number(row, column, low=low, high=high, optional=optional)
    if value is None:
        return None
    if value != int(value):
        raise CreditConfigError(f"{row.where(column)}: {row.get(column)} must be a whole number")
    return int(value)


def _text(row: Row, column: str) -> str:
    value = row.get(column)
    if not value:
        raise CreditConfigError(f"{row.where(column)}: a text is required")
    return value


def _unique(rows: list[Row], column: str) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        value = row.get(column)
        if value in seen:
            raise CreditConfigError(f"{row.where(column)}: duplicate {value!r} (first on row {seen[value]})")
        seen[value] = row.number


def load_components(seeds_dir: Path) -> dict[str, float]:
    columns = ("component", "component_order", "weight", "neutral_share", "label_en", "label_zh")
    rows = _read(seeds_dir, "credit_score_components", columns)
    _unique(rows, "component")
    _unique(rows, "component_order")
    weights: dict[str, float] = {}
    for row in rows:
        component = row.get("component")
        if component not in COMPONENTS:
            raise CreditConfigError(
                f"{row.where('component')}: {component!r} is not a component the score measures; "
                f"use one of {', '.join(COMPONENTS)}"
            )
        _whole(row, "component_order", low=0, high=1000)
        weights[component] = _number(row, "weight", low=0, high=TOTAL_WEIGHT)
        _number(row, "neutral_share", low=0, high=1)
        _text(row, "label_en")
        _text(row, "label_zh")
    missing = [c for c in COMPONENTS if c not in weights]
    if missing:
        raise CreditConfigError(
            f"credit_score_components.csv: component(s) {missing} missing (give a weight of 0 to leave one out)"
        )
    total = sum(weights.values())
    if abs(total - TOTAL_WEIGHT) > 1e-6:
        raise CreditConfigError(f"credit_score_components.csv, column weight: the weights add up to {total:g}, not 100")
    return weights


def check_points(seeds_dir: Path) -> None:
    columns = ("component", "min_value", "points_share", "score_cap", "reason_en", "reason_zh")
    rows = _read(seeds_dir, "credit_score_points", columns)
    by_component: dict[str, list[Row]] = {}
    for row in rows:
        component = row.get("component")
        if component not in COMPONENTS:
            raise CreditConfigError(
                f"{row.where('component')}: {component!r} is not a component the score measures; "
                f"use one of {', '.join(COMPONENTS)}"
            )
        _number(row, "min_value", low=0, high=1e12)
        _number(row, "points_share", low=0, high=1)
        _whole(row, "score_cap", low=MIN_SCORE, high=MAX_SCORE)
        _text(row, "reason_en")
        _text(row, "reason_zh")
        by_component.setdefault(component, []).append(row)
    for component in COMPONENTS:
        bands = sorted(by_component.get(component, []), key=lambda r: _number(r, "min_value"))
        if not bands:
            raise CreditConfigError(f"credit_score_points.csv: component {component!r} has no points bands")
        if _number(bands[0], "min_value") != 0:
            raise CreditConfigError(
                f"{bands[0].where('min_value')}: the first band of {component} must start at 0 "
                f"(every measure is 0 or more), not {bands[0].get('min_value')}"
            )
        for previous, row in itertools.pairwise(bands):
            if _number(previous, "min_value") == _number(row, "min_value"):
                raise CreditConfigError(
                    f"{row.where('min_value')}: {component} has two bands starting at {row.get('min_value')} "
                    f"(also row {previous.number})"
                )


def load_bands(seeds_dir: Path) -> list[tuple[str, int, int]]:
    columns = ("score_band", "band_order", "min_score", "max_score", "label_en", "label_zh")
    rows = _read(seeds_dir, "credit_score_bands", columns)
    _unique(rows, "score_band")
    _unique(rows, "band_order")
    for row in rows:
        _text(row, "score_band")
        _whole(row, "band_order", low=0, high=1000)
        _text(row, "label_en")
        _text(row, "label_zh")
        low = _whole(row, "min_score", low=MIN_SCORE, high=MAX_SCORE)
        high = _whole(row, "max_score", low=MIN_SCORE, high=MAX_SCORE)
        if high < low:
            raise CreditConfigError(f"{row.where('max_score')}: {high} is below min_score {low}")
    ordered = sorted(rows, key=lambda r: _whole(r, "min_score", low=MIN_SCORE, high=MAX_SCORE))
    if _whole(ordered[0], "min_score", low=MIN_SCORE, high=MAX_SCORE) != MIN_SCORE:
        raise CreditConfigError(f"{ordered[0].where('min_score')}: the lowest band must start at {MIN_SCORE}")
    for previous, row in itertools.pairwise(ordered):
        high = _whole(previous, "max_score", low=MIN_SCORE, high=MAX_SCORE)
        low = _whole(row, "min_score", low=MIN_SCORE, high=MAX_SCORE)
        if low != high + 1:
            raise CreditConfigError(
                f"{row.where('min_score')}: the bands must cover 1-100 without gap or overlap; "
                f"row {previous.number} ends at {high}, this one starts at {low} (expected {high + 1})"
            )
    if _whole(ordered[-1], "max_score", low=MIN_SCORE, high=MAX_SCORE) != MAX_SCORE:
        raise CreditConfigError(f"{ordered[-1].where('max_score')}: the highest band must end at {MAX_SCORE}")
    return [(r.get("score_band"), int(r.get("min_score")), int(r.get("max_score"))) for r in ordered]


def load_policies(seeds_dir: Path, bands: list[tuple[str, int, int]]) -> dict[str, str]:
    columns = ("score_band", "credit_terms", "max_credit_limit_rc", "max_payment_terms_days",
               "review_interval_months", "policy_en", "policy_zh")  # fmt: skip
    rows = _read(seeds_dir, "credit_policy", columns)
    _unique(rows, "score_band")
    known = [band for band, _, _ in bands]
    policies: dict[str, str] = {}
    for row in rows:
        band = row.get("score_band")
        if band not in known:
            raise CreditConfigError(
                f"{row.where('score_band')}: {band!r} is not a band of credit_score_bands.csv ({', '.join(known)})"
            )
        terms = row.get("credit_terms")
        if terms not in CREDIT_TERMS:
            raise CreditConfigError(f"{row.where('credit_terms')}: {terms!r} is not one of {', '.join(CREDIT_TERMS)}")
        limit = _number(row, "max_credit_limit_rc", low=0, high=1e15, optional=True)
        days = _whole(row, "max_payment_terms_days", low=0, high=3660, optional=True)
        if terms == "cash_in_advance" and ((limit or 0) > 0 or (days or 0) > 0):
            raise CreditConfigError(
                f"{row.where('max_credit_limit_rc')}: cash_in_advance means no credit; "
                "leave the limit and terms caps at 0 or empty"
            )
        _whole(row, "review_interval_months", low=1, high=120)
        _text(row, "policy_en")
        _text(row, "policy_zh")
        policies[band] = terms
    missing = [band for band in known if band not in policies]
    if missing:
        raise CreditConfigError(f"credit_policy.csv: no policy for band(s) {missing} of credit_score_bands.csv")
    return policies


def check_approval_levels(seeds_dir: Path) -> None:
    columns = ("approval_level", "level_order", "min_limit_change_rc", "label_en", "label_zh")
    rows = _read(seeds_dir, "credit_approval_levels", columns)
    _unique(rows, "approval_level")
    _unique(rows, "level_order")
    for row in rows:
        _text(row, "approval_level")
        if row.get("approval_level") == "none":
            raise CreditConfigError(f"{row.where('approval_level')}: 'none' is reserved for no change")
        _whole(row, "level_order", low=0, high=1000)
        _number(row, "min_limit_change_rc", low=0, high=1e15)
        _text(row, "label_en")
        _text(row, "label_zh")
    ordered = sorted(rows, key=lambda r: _whole(r, "level_order", low=0, high=1000))
    if _number(ordered[0], "min_limit_change_rc") != 0:
        raise CreditConfigError(
            f"{ordered[0].where('min_limit_change_rc')}: the first level must approve every change (0)"
        )
    for previous, row in itertools.pairwise(ordered):
        if _number(row, "min_limit_change_rc") <= _number(previous, "min_limit_change_rc"):
            raise CreditConfigError(
                f"{row.where('min_limit_change_rc')}: a higher level must start above the level before it "
                f"(row {previous.number}: {previous.get('min_limit_change_rc')})"
            )


def check_order_hold_rules(seeds_dir: Path) -> None:
    columns = ("hold_level", "level_order", "hold_reason", "min_utilisation_pct", "action_en", "action_zh",
               "release_en", "release_zh")  # fmt: skip
    rows = _read(seeds_dir, "order_hold_rules", columns)
    _unique(rows, "hold_level")
    _unique(rows, "level_order")
    for row in rows:
        _text(row, "hold_level")
        _whole(row, "level_order", low=0, high=1000)
        reason = row.get("hold_reason")
        if reason not in HOLD_REASONS:
            raise CreditConfigError(f"{row.where('hold_reason')}: {reason!r} is not one of {', '.join(HOLD_REASONS)}")
        threshold = _number(row, "min_utilisation_pct", low=0, high=10000, optional=reason == "credit_score")
        if reason == "credit_score" and threshold is not None:
            raise CreditConfigError(
                f"{row.where('min_utilisation_pct')}: a credit_score rule has no utilisation threshold; leave it empty"
            )
        for column in ("action_en", "action_zh", "release_en", "release_zh"):
            _text(row, column)
    utilisation = sorted(
        (r for r in rows if r.get("hold_reason") == "utilisation"), key=lambda r: _number(r, "level_order")
    )
    for previous, row in itertools.pairwise(utilisation):
        if _number(row, "min_utilisation_pct") <= _number(previous, "min_utilisation_pct"):
            raise CreditConfigError(
                f"{row.where('min_utilisation_pct')}: a more severe utilisation rule must start at a higher "
                f"utilisation than row {previous.number} ({previous.get('min_utilisation_pct')})"
            )


def check_late_fee_rates(seeds_dir: Path) -> None:
    """late_fee_rates: one default row, known tiers, the values its rate_basis needs and no others."""
    columns = ("customer_tier", "customer_id", "rate_basis", "daily_rate", "lpr_annual_rate", "lpr_multiple",
               "note_en", "note_zh")  # fmt: skip
    rows = _read(seeds_dir, "late_fee_rates", columns)
    tiers = {r.get("customer_tier") for r in _read(seeds_dir, "customer_tiers", ("customer_tier",))}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        tier, customer = row.get("customer_tier"), row.get("customer_id")
        if tier != "*" and tier not in tiers:
            known = ", ".join(sorted(tiers))
            raise CreditConfigError(f"{row.where('customer_tier')}: {tier!r} is not '*' or a tier ({known})")
        if customer and tier != "*":
            raise CreditConfigError(f"{row.where('customer_tier')}: a customer's own row has customer_tier '*'")
        key = (tier, customer)
        if key in seen:
            where, first = row.where("customer_tier"), seen[key]
            raise CreditConfigError(f"{where}: a second row for {customer or tier!r} (first on row {first})")
        seen[key] = row.number
        basis = row.get("rate_basis")
        if basis not in LATE_FEE_BASES:
            raise CreditConfigError(f"{row.where('rate_basis')}: {basis!r} is not one of {', '.join(LATE_FEE_BASES)}")
        for column, high in LATE_FEE_MAXIMA.items():
            if column in LATE_FEE_BASES[basis]:
                _number(row, column, low=0, high=high)
            elif row.get(column):
                raise CreditConfigError(f"{row.where(column)}: rate_basis {basis} does not use it; leave it empty")
        for column in ("note_en", "note_zh"):
            _text(row, column)
    if ("*", "") not in seen:
        raise CreditConfigError("late_fee_rates.csv: no default row (customer_tier '*', customer_id empty)")


def load_parameters(seeds_dir: Path) -> dict[str, int]:
    rows = _read(seeds_dir, "credit_score_parameters", ("parameter", "value"))
    _unique(rows, "parameter")
    by_name = {r.get("parameter"): r for r in rows}
    unknown = sorted(set(by_name) - set(PARAMETERS))
    if unknown:
        raise CreditConfigError(f"{by_name[unknown[0]].where('parameter')}: unknown parameter {unknown[0]!r}")
    missing = sorted(set(PARAMETERS) - set(by_name))
    if missing:
        raise CreditConfigError(f"credit_score_parameters.csv: missing parameter(s) {missing}")
    return {name: _whole(by_name[name], "value", low=low, high=high) for name, (low, high) in PARAMETERS.items()}


def validate_credit_config(seeds_dir: Path) -> CreditConfig:
    """Check the seven credit seeds; raises CreditConfigError naming file, row and column."""
    weights = load_components(seeds_dir)
    check_points(seeds_dir)
    bands = load_bands(seeds_dir)
    policies = load_policies(seeds_dir, bands)
    check_approval_levels(seeds_dir)
    check_order_hold_rules(seeds_dir)
    check_late_fee_rates(seeds_dir)
    return CreditConfig(weights=weights, bands=bands, policies=policies, parameters=load_parameters(seeds_dir))
