"""The analytics marts (KPIs, RFA, customer tags, report lists) on the hand-made fixture.

tests/fixtures/landing_tiny as of 2026-03-31, reporting currency CNY, worked by hand:

- Open items: I1 300 (C1, 59 days past due), I2 500 (C1, 28), I3 USD 200 x 7.1 = 1,420
  (C2, not due): AR 2,220, current 1,420, overdue 800 (C1 only) -> overdue rate
  800 / 2,220 = 0.360360 (red: above 15%).
- Credit sales in the 90 days to 2026-03-31: 1,000 + 500 + 1,420 = 2,920.
  DSO = 2,220 / 2,920 x 90 = 68.42; best possible = 1,420 / 2,920 x 90 = 43.77;
  ADD = 24.66 (yellow: above 15, not above 30).
- Countback: March has no sales (31 days), February's 1,920 is used up (28 days),
  300 of January's 1,000 remain -> 31 x 0.3 = 9.3; 68.30.
- Prior month end 2026-02-28: the same 2,220 open (I1 300 after P1 600 and CN1 100)
  and the same 2,920 of sales in the 90 days -> 68.42, change 0.
- CEI month = March (2026-03-31 is a month end): opening 2,220 + sales 0 - closing
  2,220 = 0 collected; / (2,220 - current 1,420) -> CEI 0 (red).
- AR turnover: 2,920 / ((0 + 2,220) / 2) = 2.630631.
- Collection this month: I1 300 and I2 500 were open on 02-28 and due by 03-31 ->
  collectible 800, nothing collected -> collection rate 0.
- RFA: C1 59 days past due -> R3; 2 episodes (I1, I2 beyond 5 days) -> F1; all its
  AR and all the company's overdue -> A5; 9 -> medium, large_recent_overdue.
  C2 never overdue -> 1 + 1 + 1 = 3 -> low, pays_on_time.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import DbtBuildError, run_dbt

from conftest import TINY_LANDING, settings_for

AS_OF = dt.date(2026, 3, 31)
PRIOR_MONTH_END = dt.date(2026, 2, 28)
ANALYTICS_MARTS = (
    "agg_ar_kpis",
    "customer_rfa",
    "dim_customers",
    "rpt_top_overdue_customers",
    "rpt_collection_by_department",
    "dim_kpis",
)
# The analytics marts and the published items, everything upstream and the tests whose
# parents are all built (faster than the whole project).
SELECTION = ["+fct_ar_open_items", *(f"+{name}" for name in ANALYTICS_MARTS)]


def _build(settings, as_of):
    return run_dbt(settings, ["build", "--select", *SELECTION, "--indirect-selection", "buildable"], as_of_date=as_of)


def _rows(settings, sql, params=()):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        cursor = con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture loaded and built for the prior month end, then for the as-of date."""
    home = tmp_path_factory.mktemp("analytics") / "ar_home"
    shutil.copytree(TINY_LANDING, home / "landing")
    settings = settings_for(home)
    load_landing(settings, batch_id="b1")
    _build(settings, PRIOR_MONTH_END)
    _build(settings, AS_OF)
    return settings


def _kpis(settings, as_of=AS_OF, scope_type="company"):
    return _rows(
        settings,
        "SELECT * FROM marts.agg_ar_kpis WHERE as_of_date = ? AND scope_type = ? ORDER BY scope_id",
        [as_of, scope_type],
    )


def test_company_kpis_match_the_hand_computed_fixture(built):
    (company,) = _kpis(built)
    got = {k: (float(v) if v is not None and not isinstance(v, str | dt.date) else v) for k, v in company.items()}
    assert got["scope_id"] == "company"
    assert (got["ar_total_rc"], got["ar_current_rc"], got["ar_overdue_rc"]) == (2220.0, 1420.0, 800.0)
    assert (got["customers"], got["overdue_customers"], got["overdue_items"]) == (2, 1, 2)
    assert got["overdue_rate"] == pytest.approx(0.360360)
    assert got["sales_dso_period_rc"] == 2920.0
    assert got["dso_standard"] == 68.42
    assert got["best_possible_dso"] == 43.77
    assert got["average_days_delinquent"] == 24.66
    assert got["countback_dso"] == 68.30
    assert got["dso_standard_prior_month_end"] == 68.42 and got["dso_change"] == 0
    assert got["collection_effectiveness_index"] == 0
    assert got["ar_turnover"] == pytest.approx(2.630631)
    assert (got["collectible_month_to_date_rc"], got["collected_month_to_date_rc"], got["collection_rate"]) == (
        800.0,
        0.0,
        0.0,
    )
    assert got["collection_success_rate"] is None  # no promises to pay in the fixture
    assert got["bad_debt_rate"] == 0
    assert (got["prior_month_end"], got["cei_month_end"]) == (PRIOR_MONTH_END, AS_OF)
    assert got["rag_status"] == "red"
    assert got["status_reasons"] == (
        "collection_effectiveness_index=red, overdue_rate=red, average_days_delinquent=yellow"
    )


def test_every_scope_type_partitions_the_book(built):
    regions = {r["scope_id"]: float(r["ar_overdue_rc"]) for r in _kpis(built, scope_type="region")}
    assert regions == {"华东": 800.0, "华南": 0.0}
    reps = {r["scope_id"]: float(r["ar_total_rc"]) for r in _kpis(built, scope_type="sales_rep")}
    assert reps == {"R1": 800.0, "unassigned": 1420.0}  # C2 has no owner
    # no erp_sales_reps in the fixture: every customer's department is unknown
    assert [r["scope_id"] for r in _kpis(built, scope_type="department")] == ["unassigned"]


def test_last_months_dso_is_recomputed_not_read_from_an_earlier_run(built):
    (earlier,) = _kpis(built, PRIOR_MONTH_END)
    (now,) = _kpis(built)
    assert now["dso_standard_prior_month_end"] == earlier["dso_standard"]
    # as of 2026-02-28 the CEI month is February: 2,220 + 1,920 of sales, 600 + 100 applied... closing 2,220
    assert earlier["cei_month_end"] == PRIOR_MONTH_END


def test_rfa_scores_and_customer_tags(built):
    rfa = {r["customer_id"]: r for r in _rows(built, "SELECT * FROM marts.customer_rfa WHERE as_of_date = ?", [AS_OF])}
    c1, c2 = rfa["C1"], rfa["C2"]
    assert (c1["recency_score"], c1["frequency_score"], c1["amount_score"], c1["rfa_total_score"]) == (3, 1, 5, 9)
    assert (c1["risk_grade"], c1["rfa_segment"], c1["risk_grade_label_zh"]) == (
        "medium",
        "large_recent_overdue",
        "中风险",
    )
    assert (c1["max_days_past_due"], c1["overdue_episodes"]) == (59, 2)
    assert (c2["rfa_total_score"], c2["risk_grade"], c2["rfa_segment"]) == (3, "low", "pays_on_time")
    assert c2["days_since_last_overdue"] is None  # never overdue

    dim = {r["customer_id"]: r for r in _rows(built, "SELECT * FROM marts.dim_customers WHERE as_of_date = ?", [AS_OF])}
    assert set(dim) == {"C1", "C2"}
    # no CRM data: no account tier, flags false; C1 sells more (rank 1.0 >= 0.8) -> core
    assert (dim["C1"]["customer_tier"], dim["C1"]["customer_tier_label_zh"]) == ("core", "核心优质")
    assert dim["C2"]["customer_tier"] == "potential"
    assert {d["archetype"] for d in dim.values()} == {"good_payer"}
    assert dim["C1"]["litigation_flag"] is False and dim["C1"]["blacklist_flag"] is False


def test_kpi_labels_are_published(built):
    kpis = {r["kpi_code"]: r for r in _rows(built, "SELECT * FROM marts.dim_kpis")}
    assert kpis["overdue_rate"]["label_zh"] == "逾期率"
    overdue_rate = kpis["overdue_rate"]
    assert (float(overdue_rate["yellow_threshold"]), float(overdue_rate["red_threshold"])) == (0.1, 0.15)
    # every status column of agg_ar_kpis has its KPI here
    status_columns = _rows(
        built,
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' "
        "AND table_name = 'agg_ar_kpis' AND column_name LIKE '%_status' AND column_name <> 'rag_status'",
    )
    assert {c["column_name"].removesuffix("_status") for c in status_columns} == set(kpis)


def test_report_lists(built):
    top = _rows(
        built,
        "SELECT ranking, ranking_position, customer_id, ranking_value FROM marts.rpt_top_overdue_customers "
        "WHERE as_of_date = ? ORDER BY ranking, ranking_position",
        [AS_OF],
    )
    # the rate rankings need AR (or collectible) of at least 50,000: none in the fixture
    assert [(r["ranking"], r["ranking_position"], r["customer_id"], float(r["ranking_value"])) for r in top] == [
        ("overdue_amount", 1, "C1", 800.0)
    ]
    (department,) = _rows(built, "SELECT * FROM marts.rpt_collection_by_department WHERE as_of_date = ?", [AS_OF])
    assert department["department"] == "unassigned" and department["collection_rate_rank"] == 1
    assert (float(department["collectible_month_to_date_rc"]), float(department["collection_rate"])) == (800.0, 0.0)


def test_a_rerun_reproduces_the_date_and_keeps_the_others(built):
    query = "SELECT * FROM marts.agg_ar_kpis WHERE as_of_date = ? ORDER BY scope_type, scope_id"
    before = _rows(built, query, [AS_OF])
    # the marts alone, on the intermediate tables of the last build (also 2026-03-31)
    run_dbt(built, ["build", "--select", "agg_ar_kpis", "dim_customers"], as_of_date=AS_OF)
    assert _rows(built, query, [AS_OF]) == before
    dates = _rows(built, "SELECT DISTINCT as_of_date FROM marts.dim_customers ORDER BY 1")
    assert [d["as_of_date"] for d in dates] == [PRIOR_MONTH_END, AS_OF]


def test_no_personal_data_in_the_analytics_marts(built):
    columns = _rows(
        built,
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'marts' "
        f"AND table_name IN ({', '.join(repr(m) for m in ANALYTICS_MARTS)})",
    )
    assert {c["table_name"] for c in columns} == set(ANALYTICS_MARTS)
    personal_words = ("contact", "email", "phone", "rep_name")
    personal = [c for c in columns if any(word in c["column_name"] for word in personal_words)]
    assert personal == []


# Edits a finance manager might make by mistake, each with the seed test that names it.
BAD_EDITS = [
    # a parameter misspelt: unknown, and the real one missing
    ("dso_period_days,90,", "dso_period_dayz,90,", "assert_analytics_parameters_valid"),
    # RFA bands with a gap (3 up to 8, then from 9)
    ("frequency,overdue_episodes,8,16,3", "frequency,overdue_episodes,9,16,3", "assert_rfa_scoring_bands_contiguous"),
    # a red threshold milder than the yellow one
    ("overdue_rate,above,0.10,0.15", "overdue_rate,above,0.20,0.15", "assert_kpi_thresholds_ordered"),
    # risk grades that leave total score 10 without a grade
    ("high,3,10,12", "high,3,11,12", "assert_rfa_risk_grades_cover_scores"),
]


def test_bad_finance_edits_are_rejected_with_the_seed_named(tiny_settings, tmp_path, monkeypatch):
    import ar_risk.config as config

    project = tmp_path / "dbt_project"
    shutil.copytree(
        tiny_settings.dbt_project_dir, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml")
    )
    seeds = {path: path.read_text(encoding="utf-8") for path in (project / "seeds").glob("*.csv")}
    for old, new, _ in BAD_EDITS:
        (path,) = [path for path, text in seeds.items() if old in text]
        seeds[path] = seeds[path].replace(old, new)
        path.write_text(seeds[path], encoding="utf-8")
    monkeypatch.setattr(config, "PROJECT_DIR", tmp_path)
    with pytest.raises(DbtBuildError) as failure:
        run_dbt(tiny_settings, ["build", "--select", "resource_type:seed"], as_of_date=AS_OF)
    message = str(failure.value)
    assert [test for _, _, test in BAD_EDITS if test not in message] == []
    assert "dso_period_dayz" in message or "assert_analytics_parameters_valid" in message


# -- history from the first run (issue 22 §2) --------------------------------------------------


def test_month_ends_before_the_as_of_date_never_before_the_first_invoice():
    from ar_risk.transform.history import month_ends_before

    assert month_ends_before(dt.date(2026, 3, 31), 12, dt.date(2026, 1, 1)) == [
        dt.date(2026, 1, 31), dt.date(2026, 2, 28)
    ]  # fmt: skip
    assert month_ends_before(dt.date(2026, 3, 15), 2, None) == [dt.date(2026, 1, 31), dt.date(2026, 2, 28)]
    assert month_ends_before(dt.date(2025, 1, 31), 3, dt.date(2024, 12, 31)) == [dt.date(2024, 12, 31)]
    assert month_ends_before(dt.date(2026, 3, 31), 0, None) == []


def test_history_month_ends_from_the_seed_or_the_environment(tmp_path):
    from ar_risk.config import ConfigError
    from ar_risk.transform.history import configured_month_ends

    assert configured_month_ends(settings_for(tmp_path, AR_HISTORY_MONTH_ENDS="")) == 12  # the shipped seed
    assert configured_month_ends(settings_for(tmp_path, AR_HISTORY_MONTH_ENDS="3")) == 3
    with pytest.raises(ConfigError, match=r"AR_HISTORY_MONTH_ENDS='-1' must be a whole number from 0 to 60"):
        settings_for(tmp_path, AR_HISTORY_MONTH_ENDS="-1")


def test_a_first_run_builds_the_earlier_month_ends_as_a_build_of_that_date_would(built, tmp_path):
    """The fixture's invoices start in January: a first run as of 03-31 adds 01-31 and 02-28 (not twelve).

    Its 02-28 KPIs are those the module's own build of 02-28 computed; the open items keep no history
    (the alerts compare with the previous date they hold); a second run is no first run.
    """
    from ar_risk.transform.history import build_history

    home = tmp_path / "ar_home"
    shutil.copytree(TINY_LANDING, home / "landing")
    settings = settings_for(home, AR_HISTORY_MONTH_ENDS="12")
    load_landing(settings, batch_id="b1")
    assert build_history(settings, AS_OF) == [dt.date(2026, 1, 31), PRIOR_MONTH_END]
    for mart in ("agg_ar_kpis", "agg_ar_aging"):
        dates = _rows(settings, f"SELECT DISTINCT as_of_date FROM marts.{mart} ORDER BY 1")
        assert [d["as_of_date"] for d in dates] == [dt.date(2026, 1, 31), PRIOR_MONTH_END], mart
    assert "fct_ar_open_items" not in {
        r["table_name"] for r in _rows(settings, "SELECT table_name FROM information_schema.tables")
    }  # fmt: skip
    query = "SELECT * FROM marts.agg_ar_kpis WHERE as_of_date = ? ORDER BY scope_type, scope_id"
    assert _rows(settings, query, [PRIOR_MONTH_END]) == _rows(built, query, [PRIOR_MONTH_END])
    assert build_history(settings, AS_OF) == []  # KPI rows before the date: not a first run
    assert build_history(settings_for(home, AR_HISTORY_MONTH_ENDS="0"), dt.date(2026, 4, 30)) == []
