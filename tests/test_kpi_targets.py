"""KPI targets and the collection plan (issue 21 §4): the seed check, refusing each kind of bad edit.

The formulas (path, gaps, status, plan share, month-end judging) are pinned by dbt unit tests on
hand-made rows (models/marts/kpis/_marts__kpis.yml, models/scores/_scores__plan.yml, worked in
docs/metrics.md, "KPI targets"); here each bad edit of the seeds a finance manager touches is
refused naming file, row and column before dbt runs.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from collections_support import rows
from scores_support import prediction, with_project_copy, write_predictions
from seed_edits import SEEDS, edited_seeds, replace_once

from ar_risk.collections.build import build_collections
from ar_risk.extract.landing import load_landing
from ar_risk.kpi_targets import (
    KpiTargetsError,
    check_collection_plan,
    check_kpi_targets,
    check_scorecard_weights,
    validate_kpi_targets,
)
from ar_risk.transform.dbt import build, build_score_marts

FIXTURE = Path(__file__).parent / "fixtures" / "landing_ecl"

_edited = edited_seeds
_replace = replace_once


def _append(*rows: str):
    return lambda lines: [*lines, *rows]


def test_the_shipped_targets_pass_and_the_plan_ships_empty():
    assert check_kpi_targets(SEEDS) == {
        "overdue_rate": (0.18, 0.12), "dso_standard": (60, 45), "bad_debt_rate": (0.05, 0.05), "ar_turnover": (3, 3),
    }  # fmt: skip
    assert check_collection_plan(SEEDS) == {}
    assert check_scorecard_weights(SEEDS) == {
        "collections_in_terms_rate": 0.4, "overdue_rate": 0.3, "dso_standard": 0.2, "collection_success_rate": 0.1,
    }  # fmt: skip


def test_a_filled_in_plan_passes(tmp_path):
    seeds = _edited(tmp_path, "collection_plan", _append("2026-11,25000000,budget", "2026-12,0,"))
    assert check_collection_plan(seeds) == {"2026-11": 25_000_000, "2026-12": 0}


BAD_EDITS = [
    ("kpi_targets", _replace("dso_standard,", "dso,"),
     "kpi_targets.csv row 3, column kpi_code: 'dso' is not a KPI of agg_ar_kpis"),
    ("kpi_targets", _append("overdue_rate,above,0.2,2026-01-01,0.1,2026-12-31,Overdue rate,逾期率,"),
     "kpi_targets.csv row 6, column kpi_code: a second target for 'overdue_rate' (first on row 2)"),
    ("kpi_targets", _replace("0.18,2026-06-30,0.12,2026-12-31", "0.18,2026-06-30,0.12,2026-05-31"),
     "kpi_targets.csv row 2, column target_date: 2026-05-31 is before start_date 2026-06-30"),
    ("kpi_targets", _replace("60,2026-06-30,45", "sixty,2026-06-30,45"),
     "kpi_targets.csv row 3, column start_value: 'sixty' is not a number"),
    ("kpi_targets", _replace("0.18,2026-06-30,0.12", "18,2026-06-30,0.12"),
     "kpi_targets.csv row 2, column start_value: 18 is outside 0..1; overdue_rate is a fraction (write 0.18 for 18 %)"),
    ("kpi_targets", _replace("60,2026-06-30,45", "60,2026-06-30,-45"),
     "kpi_targets.csv row 3, column target_value: -45 is outside 0..1000000"),
    ("kpi_targets", _replace("ar_turnover,below", "ar_turnover,above"),
     "kpi_targets.csv row 5, column worse_when: 'above' for ar_turnover; it is worse when below"),
    ("kpi_targets", _replace("0.18,2026-06-30", "0.18,30/06/2026"),
     "kpi_targets.csv row 2, column start_date: '30/06/2026' is not a date (YYYY-MM-DD)"),
    ("kpi_targets", _replace("0.05,2026-06-30,0.05,2026-06-30", "0.05,2026-06-30,0.03,2026-06-30"),
     "kpi_targets.csv row 4, column target_date: due the day it starts (2026-06-30) but start_value 0.05 differs"),
    ("kpi_targets", _replace(",Overdue rate,逾期率,", ",Overdue rate,,"),
     "kpi_targets.csv row 2, column label_zh: a text is required"),
    ("collection_plan", _append("2026-13,100,"),
     "collection_plan.csv row 2, column month: '2026-13' is not a month (YYYY-MM, e.g. 2026-11)"),
    ("collection_plan", _append("2026-11,100,", "2026-11,200,"),
     "collection_plan.csv row 3, column month: a second plan for 2026-11 (first on row 2)"),
    ("collection_plan", _append("2026-11,1.2e,"),
     "collection_plan.csv row 2, column planned_collections_rc: '1.2e' is not a number"),
    ("collection_plan", _append("2026-11,-5,"),
     "collection_plan.csv row 2, column planned_collections_rc: -5 is outside 0..1000000000000000"),
    # the sales scorecards' weights (rpt_sales_scorecards)
    ("scorecard_kpi_weights", _replace("overdue_rate,0.3,", "overdue_rate,0.35,"),
     "scorecard_kpi_weights.csv: the weights sum to 1.05; they must sum to 1"),
    ("scorecard_kpi_weights", _replace("dso_standard,0.2,above,90,45", "dso_standard,0.2,above,45,90"),
     "scorecard_kpi_weights.csv row 4, column floor_value: 45 must be above target_value 90"),
    ("scorecard_kpi_weights", _replace("0.4,below,0.5,0.9", "0.4,below,50,90"),
     "scorecard_kpi_weights.csv row 2, column floor_value: 50 is outside 0..1; collections_in_terms_rate is a"),
    ("scorecard_kpi_weights", _replace("collection_success_rate,0.1,below", "promise_rate,0.1,below"),
     "scorecard_kpi_weights.csv row 5, column kpi_code: 'promise_rate' is not a scorecard KPI"),
    ("scorecard_kpi_weights", _replace("overdue_rate,0.3,above", "overdue_rate,0.3,below"),
     "scorecard_kpi_weights.csv row 3, column worse_when: 'below' for overdue_rate; it is worse when above"),
    ("scorecard_kpi_weights", _replace("collection_success_rate,0.1,", "collection_success_rate,0,"),
     "scorecard_kpi_weights.csv row 5, column weight: a weight above 0 is required"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "edit", "message"), BAD_EDITS, ids=[m.split(":")[0] for _, _, m in BAD_EDITS])
def test_a_bad_target_or_plan_edit_is_refused_naming_file_row_and_column(tmp_path, name, edit, message):
    seeds = _edited(tmp_path, name, edit)
    with pytest.raises(KpiTargetsError) as refused:
        validate_kpi_targets(seeds)
    assert message in str(refused.value)


@pytest.mark.parametrize("task", ["dbt_build", "build_score_marts"])
def test_a_bad_target_stops_the_daily_build_and_the_score_step_before_dbt(task, tmp_path, monkeypatch):
    """ar_transform and ar_score check the targets and plan first: a bad edit fails the task at once."""
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowFailException

    import ar_risk.collections.strategy
    import ar_risk.credit.config
    import ar_risk.kpi_targets
    import ar_risk.run_dates
    import ar_risk.transform.dbt
    from ar_risk import tasks

    monkeypatch.setenv("AR_HOME", str(tmp_path))
    bad = _edited(tmp_path, "collection_plan", _append("2026-11,100,", "2026-11,200,"))
    real_check = ar_risk.kpi_targets.validate_kpi_targets
    monkeypatch.setattr(ar_risk.kpi_targets, "validate_kpi_targets", lambda _seeds: real_check(bad))
    monkeypatch.setattr(ar_risk.collections.strategy, "validate_strategy", lambda _seeds: None)
    monkeypatch.setattr(ar_risk.credit.config, "validate_credit_config", lambda _seeds: None)
    monkeypatch.setattr(ar_risk.run_dates, "start_run_date", lambda *_args: None)

    def no_dbt(*_args, **_kwargs):
        raise AssertionError("dbt ran despite a bad collection plan")

    monkeypatch.setattr(ar_risk.transform.dbt, "build", no_dbt)
    monkeypatch.setattr(ar_risk.transform.dbt, "build_score_marts", no_dbt)
    context = {"params": {"as_of_date": "2026-10-31"}, "triggering_asset_events": {}, "run_id": "r1",
               "dag_run": SimpleNamespace(logical_date=None)}  # fmt: skip
    with pytest.raises(AirflowFailException, match="a second plan for 2026-11"):
        getattr(tasks, task)(context)


# -- the plan shortfall alert, end to end on a small book ---------------------------------------

PLAN_AS_OF = dt.date(2026, 3, 31)  # a month-end: the month is judged


@pytest.fixture(scope="module")
def month_end_book(tmp_path_factory):
    """tests/fixtures/landing_ecl as of 2026-03-31 with a plan for 2026-03 the book cannot meet."""
    from conftest import settings_for

    root = tmp_path_factory.mktemp("plan")
    home = root / "ar_home"
    shutil.copytree(FIXTURE, home / "landing")
    plan = "month,planned_collections_rc,note\n2026-03,100000000,a plan far above the book\n"
    settings = with_project_copy(settings_for(home), root, {"collection_plan.csv": plan})
    load_landing(settings, batch_id="b1")
    build(settings, PLAN_AS_OF)
    write_predictions(settings, PLAN_AS_OF, [prediction(PLAN_AS_OF, "F", "C1", 0.10)])
    build_score_marts(settings, PLAN_AS_OF)
    build_collections(settings, PLAN_AS_OF)
    return settings


def test_a_month_below_80_percent_of_plan_alerts_the_finance_manager_at_month_end(month_end_book):
    (progress,) = rows(month_end_book, "SELECT * FROM marts.collection_plan_progress")
    collected = progress["collected_month_to_date_rc"]
    share = collected / Decimal("100000000")
    assert (progress["plan_source"], progress["plan_status"], progress["is_month_end"]) == (
        "collection_plan", "below_plan", True,
    )  # fmt: skip
    assert progress["plan_share"] == round(share, 6) < Decimal("0.8")
    alerts = rows(month_end_book, "SELECT * FROM marts.alerts WHERE alert_type = 'collection_plan_shortfall'")
    assert [(a["severity"], a["owner_role"], a["alert_status"], a["amount"]) for a in alerts] == [
        ("critical", "finance_manager", "new", collected)
    ]
    share_pct = f"{round(100 * share, 1):.1f}"
    assert alerts[0]["message_en"] == (
        f"Collections of 2026-03: {collected:,.2f} CNY, {share_pct}% of the plan of 100,000,000.00 CNY (below 80.0%)."
    )
    assert alerts[0]["message_zh"] == (
        f"2026-03回款{collected:,.2f}CNY，仅完成回款计划100,000,000.00CNY的{share_pct}%（低于80.0%）。"
    )


def test_the_targets_mart_reads_the_company_kpis_of_the_day(month_end_book):
    targets = {r["kpi_code"]: r for r in rows(month_end_book, "SELECT * FROM marts.agg_kpi_targets")}
    (kpis,) = rows(
        month_end_book,
        "SELECT overdue_rate, dso_standard, bad_debt_rate, ar_turnover FROM marts.agg_ar_kpis "
        "WHERE scope_type = 'company' AND as_of_date = ?",
        [PLAN_AS_OF],
    )
    assert set(targets) == {"overdue_rate", "dso_standard", "bad_debt_rate", "ar_turnover"}
    for code, value in kpis.items():
        assert targets[code]["actual_value"] == (None if value is None else round(Decimal(value), 6))
    # 2026-03-31 is before every shipped start date (2026-06-30): the path is the start value
    assert all(r["path_value"] == r["start_value"] for r in targets.values())
