"""The credit score (1-100), credit policy and order holds (issue 21 §1-3): dbt marts and the seed check.

The formulas are pinned by dbt unit tests on hand-made rows
(models/intermediate/credit/_intermediate__credit.yml, models/scores/_scores__unit_tests.yml,
worked in docs/metrics.md); here they run, the marts build on a real book with optional tables
absent (tests/fixtures/landing_ecl: no CRM, no credit limits, no orders), and each kind of bad
seed edit is refused naming file, row and column.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from scores_support import prediction, write_predictions
from seed_edits import edited_seeds, replace_once

from ar_risk.config import PROJECT_DIR
from ar_risk.credit.config import CreditConfigError, validate_credit_config
from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import build, build_score_marts, run_dbt
from ar_risk.warehouse import connect_warehouse

FIXTURE = Path(__file__).parent / "fixtures" / "landing_ecl"
SEEDS = PROJECT_DIR / "dbt_project" / "seeds"
AS_OF = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    from conftest import settings_for

    home = tmp_path_factory.mktemp("credit") / "ar_home"
    shutil.copytree(FIXTURE, home / "landing")
    settings = settings_for(home)
    load_landing(settings, batch_id="b1")
    build(settings, AS_OF)
    # C1 scored by a champion (version "1"), C2 by the provision-matrix fallback (no champion)
    write_predictions(settings, AS_OF, [
        prediction(AS_OF, "F", "C1", 0.10),
        prediction(AS_OF, "G", "C2", 0.40, model_version_pd_default="provision_matrix"),
        prediction(AS_OF, "H", "C2", 1.0, model_version_pd_default="provision_matrix"),
    ])  # fmt: skip
    build_score_marts(settings, AS_OF)
    return settings


def _rows(settings, sql: str) -> list[dict]:
    con = connect_warehouse(settings, read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def test_unit_tests_of_the_score_and_the_policy(book):
    results = run_dbt(
        book,
        ["test", "--select", "int_credit_score_measures", "customer_credit_scores", "customer_credit_policy",
         "order_hold_recommendations", "--resource-type", "unit_test"],
        as_of_date=AS_OF,
    )  # fmt: skip
    passed = sorted(r["unique_id"].rsplit(".", 1)[-1] for r in results["results"] if r["status"] == "pass")
    assert passed == [
        "test_credit_policy_limits_terms_approval_and_groups", "test_credit_score_measures_by_hand",
        "test_credit_score_measures_without_optional_tables", "test_credit_score_points_caps_and_bands",
        "test_order_holds_levels_since_and_release",
    ]  # fmt: skip


def test_every_customer_gets_a_score_and_the_absent_tables_are_neutral_with_their_reason(book):
    customers = {r["customer_id"] for r in _rows(book, "SELECT customer_id FROM staging.stg_erp__customers")}
    scores = {r["customer_id"]: r for r in _rows(book, "SELECT * FROM marts.customer_credit_scores")}
    assert set(scores) == customers
    for row in scores.values():
        assert 1 <= row["credit_score"] <= 100 and row["score_band"] in ("restricted", "standard", "prime")
        points = [v for k, v in row.items() if k.endswith("_points")]
        assert len(points) == 12 and float(sum(points)) == pytest.approx(float(row["points_total"]))
        for table in ("crm_promises", "crm_disputes", "crm_accounts", "erp_credit_limits"):
            assert table in row["neutral_reasons_en"], (table, row["neutral_reasons_en"])
        assert row["neutral_reasons_zh"] and row["promises_broken"] is None and row["litigation_flag"] is None
    # the champion's pd_default counts; the provision matrix is not a model's: neutral, saying so
    assert float(scores["C1"]["pd_default"]) == pytest.approx(0.1)
    assert float(scores["C1"]["pd_default_points"]) == 4.8  # band 0.1-0.2: 0.4 x 12
    assert scores["C2"]["pd_default"] is None and float(scores["C2"]["pd_default_points"]) == 6
    assert "no pd_default champion model" in scores["C2"]["neutral_reasons_en"]
    policy = {r["customer_id"]: r for r in _rows(book, "SELECT * FROM marts.customer_credit_policy")}
    assert set(policy) == customers
    for customer, row in policy.items():
        assert row["score_band"] == scores[customer]["score_band"]
        # no CRM: never reviewed, due today; no limits on record
        assert (row["review_status"], row["next_review_date"], row["current_credit_limit_rc"]) == (
            "never_reviewed", AS_OF, None,
        )  # fmt: skip
    # no limits: no utilisation hold; a customer in a cash band is held to cash terms since today
    holds = {r["customer_id"]: r for r in _rows(book, "SELECT * FROM marts.order_hold_recommendations")}
    cash = {c for c, row in policy.items() if row["credit_terms"] == "cash_in_advance"}
    assert set(holds) == cash
    assert all((h["hold_level"], h["since_date"], h["release_amount_rc"]) == ("cash_terms", AS_OF, None)
               for h in holds.values())  # fmt: skip


# -- the seed check: each bad edit names file, row and column ----------------------------------


_edited = edited_seeds
_replace = replace_once


def test_the_shipped_credit_seeds_pass_the_check():
    config = validate_credit_config(SEEDS)
    assert sum(config.weights.values()) == 100
    assert config.bands == [("restricted", 1, 59), ("standard", 60, 79), ("prime", 80, 100)]
    assert config.policies == {"restricted": "cash_in_advance", "standard": "open_terms", "prime": "open_terms"}


BAD_EDITS = [
    ("credit_score_components", _replace("days_late,1,20,", "days_late,1,18,"),
     "credit_score_components.csv, column weight: the weights add up to 98, not 100"),
    ("credit_score_components", _replace("tenure,8,5,0.5", "tenure,8,5,1.5"),
     "credit_score_components.csv row 9, column neutral_share: 1.5 is outside 0..1"),
    ("credit_score_components", _replace("days_late,1,", "days_lat,1,"),
     "credit_score_components.csv row 2, column component: 'days_lat' is not a component the score measures"),
    ("credit_score_points", _replace("days_late,0,1,", "days_late,0.5,1,"),
     "credit_score_points.csv row 2, column min_value: the first band of days_late must start at 0"),
    ("credit_score_points", _replace("tenure,365,0.5", "tenure,0,0.5"),
     "column min_value: tenure has two bands starting at 0"),
    ("credit_score_points", _replace("litigation,1,0,59", "litigation,1,0,0"),
     "credit_score_points.csv row 44, column score_cap: 0 is outside 1..100"),
    ("credit_score_points", _replace("sales,0.5,0.8,", "sales,0.5,eight,"),
     "credit_score_points.csv row 41, column points_share: 'eight' is not a number"),
    ("credit_score_bands", _replace("standard,2,60,79", "standard,2,61,79"),
     "credit_score_bands.csv row 3, column min_score: the bands must cover 1-100 without gap or overlap; "
     "row 2 ends at 59, this one starts at 61 (expected 60)"),
    ("credit_score_bands", _replace("prime,3,80,100", "prime,3,80,99"),
     "credit_score_bands.csv row 4, column max_score: the highest band must end at 100"),
    ("credit_score_bands", _replace("restricted,1,1,59", "restricted,1,0,59"),
     "credit_score_bands.csv row 2, column min_score: 0 is outside 1..100"),
    ("credit_policy", lambda lines: [line for line in lines if not line.startswith("prime,")],
     "credit_policy.csv: no policy for band(s) ['prime'] of credit_score_bands.csv"),
    ("credit_policy", _replace("restricted,cash_in_advance,0,0", "restricted,cash_in_advance,100000,0"),
     "credit_policy.csv row 2, column max_credit_limit_rc: cash_in_advance means no credit"),
    ("credit_policy", _replace("standard,open_terms", "standard,open_term"),
     "credit_policy.csv row 3, column credit_terms: 'open_term' is not one of open_terms, cash_in_advance"),
    ("credit_policy", _replace(",45,3,", ",45,0,"),
     "credit_policy.csv row 3, column review_interval_months: 0 is outside 1..120"),
    ("credit_approval_levels", _replace("general_manager,2,500000", "general_manager,2,0"),
     "credit_approval_levels.csv row 3, column min_limit_change_rc: a higher level must start above"),
    ("credit_approval_levels", _replace("credit_manager,1,0", "credit_manager,1,1000"),
     "credit_approval_levels.csv row 2, column min_limit_change_rc: the first level must approve every change"),
    ("order_hold_rules", _replace("hold,3,utilisation,100", "hold,3,utilisation,75"),
     "order_hold_rules.csv row 4, column min_utilisation_pct: a more severe utilisation rule must start at a higher "
     "utilisation than row 2 (80)"),
    ("order_hold_rules", _replace("cash_terms,2,credit_score,,", "cash_terms,2,credit_score,50,"),
     "order_hold_rules.csv row 3, column min_utilisation_pct: a credit_score rule has no utilisation threshold"),
    ("order_hold_rules", _replace("pause_new_orders,1,utilisation", "pause_new_orders,1,usage"),
     "order_hold_rules.csv row 2, column hold_reason: 'usage' is not one of utilisation, credit_score"),
    ("credit_score_parameters", _replace("score_window_days,365", "score_window_days,36.5"),
     "credit_score_parameters.csv row 2, column value: 36.5 must be a whole number"),
    ("credit_score_parameters", _replace("late_grace_days,", "grace_days,"),
     "credit_score_parameters.csv row 3, column parameter: unknown parameter 'grace_days'"),
    ("late_fee_rates", _replace("*,,daily_rate,0.0005", "*,,daily_rate,0.05"),
     "late_fee_rates.csv row 2, column daily_rate: 0.05 is outside 0..0.01"),
    ("late_fee_rates", _replace("*,,daily_rate,0.0005,,", "*,,lpr_multiple,,0.03,"),
     "late_fee_rates.csv row 2, column lpr_multiple: a number is required"),
    ("late_fee_rates", _replace("core,,waived,,", "core,,waived,0.0005,"),
     "late_fee_rates.csv row 3, column daily_rate: rate_basis waived does not use it"),
    ("late_fee_rates", _replace("core,,waived", "vip,,waived"),
     "late_fee_rates.csv row 3, column customer_tier: 'vip' is not '*' or a tier"),
    ("late_fee_rates", _replace("core,,waived", "core,C000001,waived"),
     "late_fee_rates.csv row 3, column customer_tier: a customer's own row has customer_tier '*'"),
    ("late_fee_rates", _replace("core,,waived", "*,,waived"),
     "late_fee_rates.csv row 3, column customer_tier: a second row for '*' (first on row 2)"),
    ("late_fee_rates", _replace("*,,daily_rate", "*,,per_day"),
     "late_fee_rates.csv row 2, column rate_basis: 'per_day' is not one of daily_rate, lpr_multiple, waived"),
    ("late_fee_rates", lambda lines: [line for line in lines if not line.startswith("*,,")],
     "late_fee_rates.csv: no default row (customer_tier '*', customer_id empty)"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "edit", "message"), BAD_EDITS, ids=[m.split(":")[0] for _, _, m in BAD_EDITS])
def test_a_bad_credit_seed_edit_is_refused_naming_file_row_and_column(tmp_path, name, edit, message):
    seeds = _edited(tmp_path, name, edit)
    with pytest.raises(CreditConfigError) as refused:
        validate_credit_config(seeds)
    assert message in str(refused.value)


@pytest.mark.parametrize("task", ["dbt_build", "build_score_marts"])
def test_a_bad_credit_seed_stops_the_daily_build_and_the_score_step_before_dbt(task, tmp_path, monkeypatch):
    """ar_transform's dbt_build and ar_score's build_score_marts check the credit seeds first: a bad
    edit fails the task at once (no retry), naming the file, and dbt never starts."""
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowFailException

    import ar_risk.collections.strategy
    import ar_risk.credit.config
    import ar_risk.run_dates
    import ar_risk.transform.dbt
    from ar_risk import tasks

    monkeypatch.setenv("AR_HOME", str(tmp_path))
    bad = _edited(tmp_path, "credit_score_components", _replace("days_late,1,20,", "days_late,1,18,"))
    real_check = ar_risk.credit.config.validate_credit_config
    monkeypatch.setattr(ar_risk.credit.config, "validate_credit_config", lambda _seeds: real_check(bad))
    monkeypatch.setattr(ar_risk.collections.strategy, "validate_strategy", lambda _seeds: None)
    monkeypatch.setattr(ar_risk.run_dates, "start_run_date", lambda *_args: None)

    def no_dbt(*_args, **_kwargs):
        raise AssertionError("dbt ran despite a bad credit seed")

    monkeypatch.setattr(ar_risk.transform.dbt, "build", no_dbt)
    monkeypatch.setattr(ar_risk.transform.dbt, "build_score_marts", no_dbt)
    context = {"params": {"as_of_date": "2026-03-31"}, "triggering_asset_events": {}, "run_id": "r1",
               "dag_run": SimpleNamespace(logical_date=None)}  # fmt: skip
    with pytest.raises(AirflowFailException, match="the weights add up to 98, not 100"):
        getattr(tasks, task)(context)
