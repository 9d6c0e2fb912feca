"""The anomalous-receipt checks (seed ``receipt_anomaly_rules``), checked before any run uses them.

A finance manager edits ``dbt_project/seeds/receipt_anomaly_rules.csv``: per check whether it
runs, its threshold, the history a customer needs and the days of receipts judged, with the
reason texts in zh-CN and en. dbt loads the file as it is; this module reads it first and stops
the run naming file, row and column of a bad edit (a z-score of 0 that flags every receipt, a
window longer than the contact calendar can cover), instead of a mart full of false flags.
docs/metrics.md, "Anomalous receipts".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ar_risk.errors import DataError
from ar_risk.seed_tables import SeedReader

CHECKS = ("large_amount", "non_working_day", "unapplied")
# The source contract's erp_payments has no payer column: a payer check cannot be told from the data.
ABSENT_CHECKS = {"third_party_payer": "erp_payments has no payer column in the source contract"}
REASON_PLACEHOLDERS = frozenset(
    {"amount", "currency", "robust_z", "median_amount", "history_receipts", "threshold", "payment_date",
     "holiday_name", "unapplied_amount", "days_unapplied"}
)  # fmt: skip
MAX_WINDOW_DAYS = 366  # the calendar is written back this far at most
COLUMNS = ("check_code", "is_enabled", "threshold", "min_history_receipts", "review_window_days",
           "label_en", "label_zh", "reason_en", "reason_zh")  # fmt: skip


class ReceiptAnomalyRulesError(DataError, ValueError):
    """receipt_anomaly_rules has a value the pipeline cannot use; the message names file, row and column."""


_seeds = SeedReader(ReceiptAnomalyRulesError)


@dataclass(frozen=True)
class ReceiptCheck:
    check_code: str
    is_enabled: bool
    threshold: float | None
    min_history_receipts: int | None
    review_window_days: int


def check_receipt_anomaly_rules(seeds_dir: Path) -> dict[str, ReceiptCheck]:
    """Every check once, thresholds in range; returns check_code -> ReceiptCheck."""
    rows = _seeds.table(seeds_dir, "receipt_anomaly_rules", COLUMNS)
    checks: dict[str, ReceiptCheck] = {}
    first: dict[str, int] = {}
    for row in rows:
        code = row.get("check_code")
        if code in ABSENT_CHECKS:
            raise ReceiptAnomalyRulesError(
                f"{row.where('check_code')}: {code!r} cannot be checked: {ABSENT_CHECKS[code]}"
            )
        if code not in CHECKS:
            raise ReceiptAnomalyRulesError(f"{row.where('check_code')}: {code!r} is not one of {', '.join(CHECKS)}")
        if code in first:
            raise ReceiptAnomalyRulesError(
                f"{row.where('check_code')}: a second row for {code} (first on row {first[code]})"
            )
        first[code] = row.number
        enabled = _seeds.boolean(row, "is_enabled")
        threshold = history = None
        if code == "large_amount":
            # below 1 robust z-score half of every customer's receipts would be "far above" its history
            threshold = _seeds.number(row, "threshold", low=1, high=100)
            history = int(_seeds.number(row, "min_history_receipts", low=3, high=10_000))
        elif code == "unapplied":
            threshold = _seeds.number(row, "threshold", low=1, high=3_650)
        window = int(_seeds.number(row, "review_window_days", low=1, high=MAX_WINDOW_DAYS))
        for column in ("label_en", "label_zh"):
            if not row.get(column):
                raise ReceiptAnomalyRulesError(f"{row.where(column)}: a text is required")
        for column in ("reason_en", "reason_zh"):
            _seeds.template(row, column, REASON_PLACEHOLDERS, required=True)
        checks[code] = ReceiptCheck(code, enabled, threshold, history, window)
    missing = [c for c in CHECKS if c not in checks]
    if missing:
        raise ReceiptAnomalyRulesError(
            f"receipt_anomaly_rules.csv: no row for {', '.join(missing)} (switch a check off with is_enabled false)"
        )
    return checks


def calendar_days_back(checks: dict[str, ReceiptCheck]) -> int:
    """How far back the working-day calendar must reach for the non-working-day check."""
    return checks["non_working_day"].review_window_days


def validate_receipt_anomaly_rules(seeds_dir: Path) -> None:
    """Check receipt_anomaly_rules; raises ReceiptAnomalyRulesError naming file, row and column."""
    check_receipt_anomaly_rules(seeds_dir)
