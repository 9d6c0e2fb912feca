"""Backtest of the worklist's ranking: does working it top-down reach the money that later goes bad?

For a past date T0 the whole pipeline runs as it would have that day (dbt build,
a model trained on what was known at T0, scoring, collections). A later date T1
then tells which invoices open at T0 went 90+ days overdue (not fully paid by
due date + 90 days: the model's second label, ``ml.int_ml_document_outcomes``
built as of T1). The target amount is the open amount at T0 of those invoices
that were not yet 90 days past due at T0 and whose outcome is known at T1.

Coverage of a ranking = target amount in the invoices of its top ``top_share``
rows / target amount in all the worklist's rows. The worklist (priority score)
is compared with the same rows ranked by overdue amount alone. How much of the
whole book's target the worklist holds at all is reported beside it (invoices
not yet due, paused by a promise or below the prevention risk are not on it). docs/collections.md reports the
demo's figures; tests/test_collections_backtest.py asserts the floor.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

from ar_risk.config import Settings
from ar_risk.warehouse import connect_warehouse

log = logging.getLogger(__name__)

BAD_DEBT_DAYS = 90
OUTCOMES_TABLE = "collections.backtest_outcomes"


@dataclass(frozen=True)
class BacktestResult:
    as_of_date: dt.date
    outcome_date: dt.date
    rows: int
    top_rows: int
    target_amount_rc: float
    book_target_amount_rc: float
    worklist_coverage: float
    overdue_amount_coverage: float

    def markdown(self) -> str:
        return (
            "| as-of date (T0) | outcomes known at (T1) | worklist rows | top 20 % rows | went 90+ days overdue: "
            "in the worklist | in the whole book | worklist ranking covers | overdue-amount ranking covers |\n"
            "|---|---|---|---|---|---|---|---|\n"
            f"| {self.as_of_date} | {self.outcome_date} | {self.rows} | {self.top_rows} | "
            f"{self.target_amount_rc:,.2f} | {self.book_target_amount_rc:,.2f} | "
            f"{self.worklist_coverage:.1%} | {self.overdue_amount_coverage:.1%} |\n"
        )


def run_day(settings: Settings, as_of: dt.date, *, train: bool) -> None:
    """The pipeline of one day without Airflow (the same functions the DAG tasks call)."""
    from ar_risk_ml.score import score
    from ar_risk_ml.train import train_and_promote

    from ar_risk.collections.build import build_collections
    from ar_risk.transform.dbt import build, build_score_marts, build_training_features

    build(settings, as_of)
    if train:
        build_training_features(settings, as_of)
        train_and_promote(settings, as_of)
    score(settings, as_of)
    build_score_marts(settings, as_of)
    build_collections(settings, as_of)


def keep_outcomes(settings: Settings) -> None:
    """Keep the labels of the warehouse's last build (the outcome date) before T0 is built over them."""
    con = connect_warehouse(settings)
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {OUTCOMES_TABLE.split('.')[0]}")
        con.execute(
            f"CREATE OR REPLACE TABLE {OUTCOMES_TABLE} AS "
            "SELECT invoice_id, is_90_plus_late FROM ml.int_ml_document_outcomes"
        )
    finally:
        con.close()


def measure(settings: Settings, as_of: dt.date, outcome_date: dt.date, top_share: float = 0.2) -> BacktestResult:
    """Coverage of the worklist at ``as_of``, judged by the outcomes known at ``outcome_date``.

    Needs the worklist of ``as_of`` (collection_worklist_items) and the labels of the build as of
    ``outcome_date`` kept by ``keep_outcomes``.
    """
    con = connect_warehouse(settings, read_only=True)
    try:
        con.execute(
            f"""CREATE TEMP TABLE targets AS
                SELECT items.invoice_id, items.open_amount_rc AS target_rc
                FROM collections.collection_worklist_items AS items
                JOIN marts.fct_ar_open_items AS open_items
                  ON open_items.as_of_date = items.as_of_date AND open_items.invoice_id = items.invoice_id
                JOIN {OUTCOMES_TABLE} AS outcomes ON outcomes.invoice_id = items.invoice_id
                WHERE items.as_of_date = ? AND open_items.days_past_due < {BAD_DEBT_DAYS}
                  AND outcomes.is_90_plus_late""",
            [as_of],
        )
        book_target = con.execute(
            f"""SELECT coalesce(sum(open_items.open_amount_rc), 0)
                FROM marts.fct_ar_open_items AS open_items
                JOIN {OUTCOMES_TABLE} AS outcomes ON outcomes.invoice_id = open_items.invoice_id
                WHERE open_items.as_of_date = ? AND open_items.days_past_due < {BAD_DEBT_DAYS}
                  AND outcomes.is_90_plus_late""",
            [as_of],
        ).fetchone()[0]
        rows = con.execute(
            """SELECT worklist.customer_id, worklist.action_code, worklist.worklist_rank, worklist.overdue_amount_rc,
                      coalesce(sum(targets.target_rc), 0) AS target_rc
               FROM marts.collection_worklist AS worklist
               LEFT JOIN collections.collection_worklist_items AS items
                 ON items.as_of_date = worklist.as_of_date AND items.customer_id = worklist.customer_id
                AND items.action_code = worklist.action_code
               LEFT JOIN targets ON targets.invoice_id = items.invoice_id
               WHERE worklist.as_of_date = ?
               GROUP BY ALL""",
            [as_of],
        ).df()
    finally:
        con.close()
    top = math.ceil(len(rows) * top_share)
    total = float(rows.target_rc.astype(float).sum())

    def coverage(order: list[str], ascending: list[bool]) -> float:
        ranked = rows.sort_values(order, ascending=ascending)
        return float(ranked.head(top).target_rc.astype(float).sum()) / total if total else 0.0

    result = BacktestResult(
        as_of_date=as_of,
        outcome_date=outcome_date,
        rows=len(rows),
        top_rows=top,
        target_amount_rc=total,
        book_target_amount_rc=float(book_target),
        worklist_coverage=coverage(["worklist_rank"], [True]),
        overdue_amount_coverage=coverage(["overdue_amount_rc", "customer_id", "action_code"], [False, True, True]),
    )
    log.info("backtest %s -> %s: %s", as_of, outcome_date, result)
    return result


def backtest(
    settings: Settings, as_of: dt.date, outcome_date: dt.date, top_share: float = 0.2, *, built_for_outcomes=False
) -> BacktestResult:
    """Build T1 for the outcomes (unless the warehouse already is), run T0 with a model trained at T0, measure.

    Use a warehouse and an MLflow store of its own: T0's model must not see what T1 knows.
    """
    if outcome_date < as_of + dt.timedelta(days=BAD_DEBT_DAYS):
        raise ValueError(f"the outcome date {outcome_date} must be at least {BAD_DEBT_DAYS} days after {as_of}")
    from ar_risk.transform.dbt import build

    if not built_for_outcomes:
        build(settings, outcome_date)
    keep_outcomes(settings)
    run_day(settings, as_of, train=True)
    return measure(settings, as_of, outcome_date, top_share)
