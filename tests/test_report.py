"""The financial health report: the numbers it shows, its files, and the page in a real browser.

Numbers are checked on hand-made serving files whose answers are known; the
page is built from the session's demo publication (conftest `demo_run`),
once without the optional model / forecast / worklist marts and once with a
hand-made set of them, and loaded from disk by Debian's chromium through
selenium (installed with apt-get when missing: a failed install fails).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from ar_risk.publish.serving import publish_marts
from ar_risk.report import ReportError, data, write_report
from ar_risk.report.render import KPI_CARDS, kpi_change
from ar_risk.report.texts import LANGUAGES, TEXTS, t

from conftest import settings_for

AS_OF = dt.date(2026, 10, 31)
LAST_MONTH_END = dt.date(2026, 9, 30)
BUCKETS = ("not_due", "dpd_1_30", "dpd_31_60", "dpd_61_90", "dpd_91_180", "dpd_181_365", "dpd_over_365")
OPTIONAL_SECTIONS = {
    "risk": "customer_risk_scores",
    "ecl": "expected_credit_loss",
    "forecast": "cash_forecast",
    "model": "model_card",
    "worklist": "collection_worklist",
    "targets": "agg_kpi_targets",
    "credit_policy": "customer_credit_policy",
}


# ---- hand-made serving files ------------------------------------------------------------------


def _connect_new(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA meta")
    con.execute(
        "CREATE TABLE meta.publication AS SELECT 'run-1' AS run_id, DATE '2026-10-31' AS as_of_date, "
        "TIMESTAMP '2026-11-01 06:00:00' AS published_at, 'agg_ar_aging' AS table_name, 3::BIGINT AS row_count"
    )
    con.execute(
        "CREATE TABLE marts.dim_aging_buckets AS SELECT * FROM (VALUES "
        + ", ".join(f"('{code}', {order}, 'en {code}', 'zh {code}')" for order, code in enumerate(BUCKETS))
        + ") AS b(aging_bucket, bucket_order, label_en, label_zh)"
    )
    return con


def _aging_row(as_of: dt.date, scope_type: str, scope_id: str, amounts: list[float]) -> dict:
    row = {"as_of_date": as_of, "scope_type": scope_type, "scope_id": scope_id, "scope_name": scope_id}
    row |= {f"{code}_amount_rc": amount for code, amount in zip(BUCKETS, amounts, strict=True)}
    row |= {"total_open_ar_rc": sum(amounts), "overdue_amount_rc": sum(amounts[1:]), "customer_count": 1}
    return row


@pytest.fixture
def aging_file(tmp_path) -> Path:
    """Company aging on a month end, a mid-month day (not a trend point) and the as-of date; two regions."""
    path = tmp_path / "aging.duckdb"
    con = _connect_new(path)
    rows = [
        _aging_row(LAST_MONTH_END, "company", "company", [500, 100, 50, 0, 0, 0, 10]),
        _aging_row(dt.date(2026, 10, 15), "company", "company", [1, 1, 1, 1, 1, 1, 1]),
        _aging_row(AS_OF, "company", "company", [600, 200, 80, 40, 20, 10, 5]),
        _aging_row(AS_OF, "region", "East", [400, 100, 0, 0, 0, 0, 0]),
        _aging_row(AS_OF, "region", "West", [200, 100, 80, 40, 20, 10, 5]),
    ]
    con.register("aging_rows", pd.DataFrame(rows))
    con.execute("CREATE TABLE marts.agg_ar_aging AS SELECT * FROM aging_rows")
    con.close()
    return path


def _concentration(con: duckdb.DuckDBPyConnection, amounts: list[float]) -> None:
    total = sum(amounts)
    ranked = sorted(amounts, reverse=True)
    rows, cumulative = [], 0.0
    for rank, amount in enumerate(ranked, start=1):
        cumulative += amount
        rows.append((AS_OF, rank, f"C{rank:03d}", f"Customer {rank}", amount, amount / total, cumulative / total))
    con.execute(
        "CREATE TABLE marts.agg_ar_concentration (as_of_date DATE, customer_rank INT, customer_id VARCHAR, "
        "customer_name VARCHAR, open_amount_rc DECIMAL(18,2), share_of_open_ar DOUBLE, cumulative_share DOUBLE)"
    )
    con.executemany("INSERT INTO marts.agg_ar_concentration VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


# ---- the numbers --------------------------------------------------------------------------------


def test_aging_today_is_the_company_row_per_bucket_in_display_order(aging_file):
    con = duckdb.connect(str(aging_file), read_only=True)
    aging = data.load_aging(con, AS_OF)
    assert list(aging.aging_bucket) == list(BUCKETS)
    assert list(aging.amount_rc) == [600, 200, 80, 40, 20, 10, 5]
    assert aging.amount_rc.sum() == 955


def test_aging_trend_keeps_month_ends_and_the_as_of_date_only(aging_file):
    con = duckdb.connect(str(aging_file), read_only=True)
    trend = data.load_aging_trend(con, AS_OF)
    assert sorted(set(trend.as_of_date.dt.date)) == [LAST_MONTH_END, AS_OF]  # 2026-10-15 is no trend point
    totals = trend.groupby(trend.as_of_date.dt.date).amount_rc.sum().to_dict()
    assert totals == {LAST_MONTH_END: 660, AS_OF: 955}


def test_breakdown_splits_open_ar_into_current_and_overdue_largest_first(aging_file):
    con = duckdb.connect(str(aging_file), read_only=True)
    regions = data.load_breakdown(con, AS_OF, "region")
    assert list(regions.scope) == ["East", "West"]  # by open AR: 500, then 455
    assert regions.set_index("scope").loc["East", "current_amount_rc"] == 400
    assert regions.set_index("scope").loc["West", "overdue_amount_rc"] == 255
    assert regions.set_index("scope").loc["East", "overdue_rate"] == pytest.approx(0.2)


def test_top10_and_top50_share_come_from_the_pareto(tmp_path):
    path = tmp_path / "concentration.duckdb"
    con = _connect_new(path)
    _concentration(con, [100.0 * n for n in range(1, 13)])  # 12 customers, 7,800 in all
    con.close()
    con = duckdb.connect(str(path), read_only=True)
    concentration = data.load_concentration(con, AS_OF)
    assert concentration.customer_count == 12
    assert concentration.top10_share == pytest.approx(7500 / 7800)  # all but the two smallest (100 + 200)
    assert concentration.top50_share == pytest.approx(1.0)  # fewer than 50 customers: all of them
    assert list(concentration.customers.customer_rank) == list(range(1, 13))


def test_change_vs_last_month_per_kind_of_kpi():
    spec = {s.column: s for s in KPI_CARDS}
    assert kpi_change(spec["overdue_rate"], 0.25, 0.20, "en") == ("+5.0 pp", "bad")
    assert kpi_change(spec["overdue_rate"], 0.25, 0.20, "zh-CN") == ("+5.0 个百分点", "bad")
    assert kpi_change(spec["collection_effectiveness_index"], 0.60, 0.70, "en") == ("-10.0 pp", "bad")
    assert kpi_change(spec["dso_standard"], 60.0, 62.5, "en") == ("-2.5 d", "good")
    assert kpi_change(spec["ar_total_rc"], 1100.0, 1000.0, "en") == ("+10.0%", "neutral")
    assert kpi_change(spec["ar_overdue_rc"], 1100.0, None, "en") == ("n/a", "na")
    assert kpi_change(spec["ar_overdue_rc"], 1100.0, None, "zh-CN") == ("无", "na")


def test_last_month_kpis_are_read_only_when_the_publication_keeps_that_date(aging_file):
    con = duckdb.connect(str(aging_file))
    con.execute(
        """CREATE TABLE marts.agg_ar_kpis AS SELECT * FROM (VALUES
             (DATE '2026-10-31', 'company', 'company', 0.25, DATE '2026-09-30'),
             (DATE '2026-09-30', 'company', 'company', 0.20, DATE '2026-08-31'),
             (DATE '2026-10-31', 'region', 'East', 0.10, DATE '2026-09-30'))
           AS k(as_of_date, scope_type, scope_id, overdue_rate, prior_month_end)"""
    )
    current, last_month, last_month_end = data.load_kpis(con, AS_OF)
    assert (current["overdue_rate"], last_month["overdue_rate"], last_month_end) == (0.25, 0.20, LAST_MONTH_END)
    con.execute("DELETE FROM marts.agg_ar_kpis WHERE as_of_date = DATE '2026-09-30'")
    assert data.load_kpis(con, AS_OF)[1] is None  # no history: the page says n/a, never a guess


def test_every_text_has_both_languages():
    assert {lang for texts in TEXTS.values() for lang in texts} == set(LANGUAGES)
    assert all(set(texts) == set(LANGUAGES) and all(texts.values()) for texts in TEXTS.values())
    assert t("pareto_title", "en", n=50) == "Top 50 customers: open AR and cumulative share"
    with pytest.raises(ValueError, match="unknown report language"):
        t("title", "fr")


def test_the_publication_carries_the_data_quality_of_its_date(tiny_settings):
    con = duckdb.connect(str(tiny_settings.warehouse_path))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.fct_example AS SELECT 1 AS x; CREATE SCHEMA raw")
    from ar_risk.quality.gate import ensure_quality_tables

    ensure_quality_tables(con)
    results = [  # batch, table, rule, severity, success, elements, unexpected, validated at
        ("2026-10-31__run_b", "erp_invoices", "amount_not_negative", "warning", False, 10, 2, "2026-11-01 06:01"),
        ("2026-10-31__run_b", "erp_invoices", "invoice_id_unique", "critical", True, 10, 0, "2026-11-01 06:01"),
        ("2026-10-31__run_b", "erp_customers", "customer_id_unique", "critical", True, 4, 0, "2026-11-01 06:00"),
        ("2026-10-31__run_a", "erp_invoices", "invoice_id_unique", "critical", False, 9, 1, "2026-11-01 05:00"),
        ("2026-10-30__run_z", "erp_invoices", "invoice_id_unique", "critical", True, 7, 0, "2026-10-31 06:00"),
    ]
    con.executemany(
        "INSERT INTO raw._validation_results (batch_id, table_name, rule, severity, success, element_count, "
        "unexpected_count, validated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        results,
    )
    con.executemany(  # two source rows, one of them failing two rules: 2 rows quarantined
        "INSERT INTO raw._quarantine (table_name, batch_id, source, source_row, rule) VALUES (?, ?, ?, ?, ?)",
        [
            ("erp_invoices", "2026-10-31__run_b", "i.csv", 3, "amount_not_negative"),
            ("erp_invoices", "2026-10-31__run_b", "i.csv", 4, "amount_not_negative"),
            ("erp_invoices", "2026-10-31__run_b", "i.csv", 4, "amount_in_cents"),
        ],
    )
    con.close()
    publish_marts(tiny_settings, run_id="publish-1", as_of_date=AS_OF)

    serving = duckdb.connect(str(tiny_settings.serving_path), read_only=True)
    copied = serving.execute("SELECT DISTINCT batch_id FROM meta.data_quality ORDER BY 1").fetchall()
    assert copied == [("2026-10-31__run_a",), ("2026-10-31__run_b",)]  # the as-of date's batches only
    quality = data.load_data_quality(serving)
    assert quality["batch_id"] == "2026-10-31__run_b"  # the newest batch of the date
    tables = quality["tables"].set_index("table_name")
    assert tables.loc["erp_invoices", ["rules", "rules_failed", "rows_validated", "rows_quarantined"]].tolist() == [
        2,
        1,
        10,
        2,
    ]
    assert tables.status.to_dict() == {"erp_customers": "green", "erp_invoices": "yellow"}


# ---- the pages, from the demo publication -----------------------------------------------------


def _copy_of_demo(demo_run, home: Path):
    """A copy of the demo publication in a home of its own (the demo's home is shared)."""
    settings, _ = demo_run
    home.mkdir(parents=True)
    shutil.copy(settings.serving_path, home / "serving.duckdb")
    return settings_for(home)


def _without_optional_marts(settings) -> None:
    con = duckdb.connect(str(settings.serving_path))
    for table in data.OPTIONAL_TABLES:
        con.execute(f"DROP TABLE IF EXISTS marts.{table}")
    con.close()


def _with_model_marts(settings) -> None:
    """A hand-made set of the marts the model and worklist issues publish, for the demo's as-of date."""
    con = duckdb.connect(str(settings.serving_path))
    for table in data.OPTIONAL_TABLES:
        con.execute(f"DROP TABLE IF EXISTS marts.{table}")
    con.execute(
        """CREATE TABLE marts.customer_risk_scores AS SELECT * FROM (VALUES
             (DATE '2026-10-31', 'C1', 1000.00, 400.00, 0.80, 'extreme'),
             (DATE '2026-10-31', 'C2', 2000.00, 300.00, 0.50, 'high'),
             (DATE '2026-10-31', 'C3', 3000.00, 150.00, 0.20, 'medium'),
             (DATE '2026-10-31', 'C4', 4000.00,  50.25, 0.05, 'low'),
             (DATE '2026-10-31', 'C5', 5000.00,  50.00, 0.04, 'low'))
           AS s(as_of_date, customer_id, open_amount_rc, expected_loss_rc, overdue_probability, risk_level)"""
    )
    con.execute(
        """CREATE TABLE marts.cash_forecast AS
           SELECT DATE '2026-10-31' AS as_of_date, 'week' AS period_type,
                  DATE '2026-11-02' + (7 * i)::INT AS period_start, DATE '2026-11-08' + (7 * i)::INT AS period_end,
                  (1000 + 100 * i)::DECIMAL(18,2) AS expected_collections_rc, 10 + i AS invoice_count
           FROM range(15) AS r(i)
           UNION ALL SELECT DATE '2026-10-31', 'month', DATE '2026-11-01', DATE '2026-11-30', 99999, 9"""
    )
    con.execute(
        """CREATE TABLE marts.model_card AS SELECT DATE '2026-10-31' AS as_of_date, 'overdue_risk' AS model_name,
             '7' AS model_version, 'scorecard' AS model_type, 0.8123 AS roc_auc, 0.55 AS pr_auc, 0.48 AS ks,
             0.11 AS brier, 0.012 AS calibration_error, DATE '2026-07-01' AS validation_start,
             DATE '2026-09-30' AS validation_end, TIMESTAMP '2026-10-01 03:00:00' AS trained_at"""
    )
    con.execute(
        """CREATE TABLE marts.model_drift AS SELECT * FROM (VALUES
             (DATE '2026-10-31', '7', 'days_past_due_max', 0.31, 'alert', true),
             (DATE '2026-10-31', '7', 'open_amount_rc', 0.05, 'stable', false))
           AS d(as_of_date, model_version, feature, psi, status, is_alert)"""
    )
    con.execute(
        """CREATE TABLE marts.collection_worklist AS SELECT * FROM (VALUES
             (DATE '2026-10-31', 2, 'Bravo', 'Formal dunning letter', '正式催款函', 'low', 'Li Rep', 'letter',
              DATE '2026-11-02', 500.00, 150.0, 1, 'scheduled'),
             (DATE '2026-10-31', 1, 'Alpha', 'Call by the sales rep', '销售代表电话催收', 'extreme', 'Li Rep', 'phone',
              DATE '2026-11-02', 5000.00, 4500.0, 2, 'scheduled'),
             (DATE '2026-10-30', 1, 'Old day', 'Friendly reminder', '友好提醒', 'low', 'Li Rep', 'email',
              DATE '2026-10-31', 9.00, 1.0, 1, 'scheduled'))
           AS w(as_of_date, worklist_rank, customer_name, action_label_en, action_label_zh, risk_level, owner_name,
                channel, contact_date, target_amount_rc, priority_score, invoice_count, contact_status)"""
    )
    con.execute(_ECL_TABLE)
    for table in _CREDIT_TABLES:
        con.execute(table)
    for table in _TARGET_TABLES:
        con.execute(table)
    con.execute("DROP TABLE IF EXISTS marts.alerts")  # the demo publishes its own
    con.execute(
        """CREATE TABLE marts.alerts AS SELECT * FROM (VALUES
             (DATE '2026-10-31', 'newly_overdue', 'warning'), (DATE '2026-10-31', 'newly_overdue', 'warning'),
             (DATE '2026-10-31', 'risk_raised', 'critical'))
           AS a(as_of_date, alert_type, severity)"""
    )
    con.close()


# Three customers: C1 prime 92 (limit kept), C2 standard 70 (limit cut 8,000,000 -> 5,000,000 by the general
# manager), C3 restricted 41 (moved to cash terms, its 200,000 limit to 0); C2 over 80 % of its limit, C3 on hold.
_CREDIT_TABLES = (
    """CREATE TABLE marts.customer_credit_scores AS SELECT * FROM (VALUES
         (DATE '2026-10-31', 'C1', 92, 'prime', 'Prime: core terms', '优质：核心条款'),
         (DATE '2026-10-31', 'C2', 70, 'standard', 'Standard: controlled credit', '标准：受控赊销'),
         (DATE '2026-10-31', 'C3', 41, 'restricted', 'Restricted: cash or prepayment', '受限：现款或预付'))
       AS s(as_of_date, customer_id, credit_score, score_band, score_band_label_en, score_band_label_zh)""",
    """CREATE TABLE marts.customer_credit_policy AS SELECT * FROM (VALUES
         (DATE '2026-10-31', 'C1', 'Alpha', 92, 'prime', 'keep', 'keep', 'none', 'No approval', '无需审批',
          1000000.00, 1000000.00, 0.00, 'scheduled'),
         (DATE '2026-10-31', 'C2', 'Bravo', 70, 'standard', 'cut', 'shorten', 'general_manager', 'General manager',
          '总经理', 8000000.00, 5000000.00, -3000000.00, 'overdue'),
         (DATE '2026-10-31', 'C3', 'Charlie', 41, 'restricted', 'move_to_cash', 'shorten', 'credit_manager',
          'Credit manager', '信用经理', 200000.00, 0.00, -200000.00, 'never_reviewed'))
       AS p(as_of_date, customer_id, customer_name, credit_score, score_band, limit_action, terms_action,
            approval_level, approval_level_label_en, approval_level_label_zh, current_credit_limit_rc,
            recommended_credit_limit_rc, limit_gap_rc, review_status)""",
    """CREATE TABLE marts.order_hold_recommendations AS SELECT * FROM (VALUES
         (DATE '2026-10-31', 'C2', 'pause_new_orders', 6600000.00, 0.00),
         (DATE '2026-10-31', 'C3', 'hold', 250000.00, 50000.00))
       AS h(as_of_date, customer_id, hold_level, exposure_rc, release_amount_rc)""",
)

_ECL_TABLE = """CREATE TABLE marts.expected_credit_loss AS SELECT * FROM (VALUES
     (DATE '2026-10-31', 'company', 'company', 'not_due', 0, 2000.00, 100.00, 360.00, 0.18, 0.5, 'parameter',
      'no write-offs in the ledger (erp_writeoffs absent or empty): ecl_default_lgd'),
     (DATE '2026-10-31', 'company', 'company', 'dpd_91_180', 4, 1000.00, 500.00, 500.00, 0.5, 0.5, 'parameter',
      'no write-offs in the ledger (erp_writeoffs absent or empty): ecl_default_lgd'),
     (DATE '2026-10-31', 'customer', 'C1', 'not_due', 0, 2000.00, 100.00, 360.00, 0.18, 0.5, 'parameter', 'x'))
   AS e(as_of_date, scope_type, scope_id, aging_bucket, aging_bucket_order, open_amount_rc, model_expected_loss_rc,
        provision_matrix_expected_loss_rc, provision_matrix_loss_rate, lgd, lgd_source, lgd_reason)"""


def test_expected_credit_loss_section_shows_both_methods_and_write_offs(tmp_path):
    from ar_risk.report.render import _ecl_section

    path = tmp_path / "ecl.duckdb"
    con = _connect_new(path)
    con.execute(_ECL_TABLE)
    con.execute(
        "CREATE TABLE marts.agg_ar_kpis AS SELECT DATE '2026-10-31' AS as_of_date, 'company' AS scope_type, "
        "120.50::DECIMAL(18,2) AS bad_debt_writeoffs_12m_rc"
    )
    con.close()
    con = duckdb.connect(str(path), read_only=True)
    ecl = data.load_expected_credit_loss(con, AS_OF)
    con.close()
    assert list(ecl["buckets"].aging_bucket) == ["not_due", "dpd_91_180"]  # company rows, in bucket order
    en, zh = _ecl_section(ecl, "en", "CNY"), _ecl_section(ecl, "zh-CN", "CNY")
    assert dict(en.facts) == {
        "Expected credit loss, model": "600.00 CNY", "Expected credit loss, provision matrix": "860.00 CNY",
        "Bad-debt write-offs, last 12 months": "120.50 CNY", "Loss given default": "50.0% (parameter default)",
    }  # fmt: skip
    assert "erp_writeoffs absent" in en.notes[0] and zh.title == "预期信用损失（坏账准备）"
    assert en.tables[0]["rows"][0] == ["en not_due", "2,000.00", "18.0%", "360.00", "100.00"]
    assert zh.tables[0]["rows"][1][0] == "zh dpd_91_180"


# As the XS demo has them on 2026-10-31 (DSO and overdue rate behind their paths), with a plan from
# the seed that the month-end reached at 75 %: below the 80 % alert share.
_TARGET_TABLES = (
    """CREATE TABLE marts.agg_kpi_targets AS SELECT * FROM (VALUES
         (DATE '2026-10-31', 'dso_standard', 'Days sales outstanding (DSO)', '应收账款周转天数', 'above', 'behind',
          68.04, 60.0, 45.0, 49.972826, 18.067174, 23.04, DATE '2026-06-30', DATE '2026-12-31'),
         (DATE '2026-10-31', 'overdue_rate', 'Overdue rate', '逾期率', 'above', 'behind',
          0.258178, 0.18, 0.12, 0.139891, 0.118287, 0.138178, DATE '2026-06-30', DATE '2026-12-31'),
         (DATE '2026-10-31', 'bad_debt_rate', 'Bad-debt write-off rate', '坏账核销率', 'above', 'met',
          0.002012, 0.05, 0.05, 0.05, -0.047988, -0.047988, DATE '2026-06-30', DATE '2026-06-30'),
         (DATE '2026-09-30', 'dso_standard', 'old', 'old', 'above', 'met', 1, 1, 1, 1, 0, 0, DATE '2026-06-30',
          DATE '2026-12-31'))
       AS k(as_of_date, kpi_code, label_en, label_zh, worse_when, target_status, actual_value, start_value,
            target_value, path_value, gap_to_path, gap_to_target, start_date, target_date)""",
    """CREATE TABLE marts.collection_plan_progress AS SELECT DATE '2026-10-31' AS as_of_date,
         'collection_plan' AS plan_source, 'below_plan' AS plan_status, NULL::VARCHAR AS no_plan_reason_en,
         NULL::VARCHAR AS no_plan_reason_zh, 1000000.00 AS planned_collections_rc,
         1000000.00 AS planned_to_date_rc, 750000.00 AS collected_month_to_date_rc, 0.75 AS plan_share,
         0.8 AS collection_plan_min_share, DATE '2026-10-01' AS plan_month_start,
         DATE '2026-10-31' AS plan_month_end, 31 AS days_elapsed, 31 AS days_in_month, true AS is_month_end""",
)


def test_targets_section_shows_each_kpi_against_its_path_and_the_month_against_plan(tmp_path):
    from ar_risk.report.render import _targets_section

    path = tmp_path / "targets.duckdb"
    con = _connect_new(path)
    for table in _TARGET_TABLES:
        con.execute(table)
    con.close()
    con = duckdb.connect(str(path), read_only=True)
    targets = data.load_kpi_targets(con, AS_OF)
    con.close()
    en, zh = _targets_section(targets, "en", "CNY"), _targets_section(targets, "zh-CN", "CNY")
    rows = {r[0]: r for r in en.tables[0]["rows"]}  # the as-of date's rows only, by kpi_code
    assert list(rows) == ["Bad-debt write-off rate", "Days sales outstanding (DSO)", "Overdue rate"]
    assert rows["Days sales outstanding (DSO)"][1:7] == ["68.04", "49.97", "45.00", "2026-12-31", "+18.07", "+23.04"]
    assert rows["Overdue rate"][1:4] == ["25.8%", "14.0%", "12.0%"]
    assert rows["Bad-debt write-off rate"][5:] == ["-4.8%", "-4.8%", {"status": "green", "text": "Met"}]
    assert rows["Overdue rate"][7] == {"status": "red", "text": "Behind"}
    assert dict(en.facts) == {
        "Planned collections this month": "1,000,000.00 CNY", "Collected month to date": "750,000.00 CNY",
        "Share of plan": "75.0%", "Plan from": "Collection plan",
    }  # fmt: skip
    assert "below 80.0% of plan: the finance manager is alerted" in en.notes[-1]
    assert zh.title == "指标目标与回款计划" and zh.tables[0]["rows"][0][0] == "坏账核销率"
    assert zh.tables[0]["rows"][2][7] == {"status": "red", "text": "落后于路径"}
    assert "已向财务经理预警" in zh.notes[-1]
    # without a plan: the reason, in each language; without the plan mart: its placeholder
    no_plan = {**targets["plan"], "plan_status": "no_plan", "plan_source": "none", "plan_share": None,
               "no_plan_reason_en": "no collection_plan row for 2026-10", "no_plan_reason_zh": "无计划"}  # fmt: skip
    assert _targets_section({**targets, "plan": no_plan}, "en", "CNY").notes[-1] == (
        "No collection plan this month: no collection_plan row for 2026-10."
    )
    assert "marts.collection_plan_progress" in _targets_section({**targets, "plan": None}, "en", "CNY").notes[-1]
    assert _targets_section(None, "en", "CNY").missing_table == "marts.agg_kpi_targets"


def _section(html: str, key: str) -> str:
    match = re.search(rf'<section id="{key}"[^>]*>.*?</section>', html, flags=re.DOTALL)
    assert match, f"no section {key}"
    return match.group(0)


@pytest.fixture(scope="module")
def absent_report(demo_run, tmp_path_factory):
    settings = _copy_of_demo(demo_run, tmp_path_factory.mktemp("report_absent") / "home")
    _without_optional_marts(settings)
    return settings, write_report(settings)


@pytest.fixture(scope="module")
def present_report(demo_run, tmp_path_factory):
    settings = _copy_of_demo(demo_run, tmp_path_factory.mktemp("report_present") / "home")
    _with_model_marts(settings)
    return settings, write_report(settings)


def test_the_demo_run_wrote_the_report_and_the_summary_names_it(demo_run):
    settings, stdout = demo_run
    for lang in LANGUAGES:
        for stem in (AS_OF.isoformat(), "latest"):
            assert (settings.reports_dir / f"ar_health_{stem}.{lang}.html").stat().st_size > 1_000_000
    assert f"health report   {settings.reports_dir / 'ar_health_2026-10-31.zh-CN.html'}" in stdout
    # the demo trains and scores a model and builds the worklist: every section shows real data
    page = (settings.reports_dir / "ar_health_latest.en.html").read_text()
    for key in ("risk", "forecast", "model", "worklist"):
        assert "data-unavailable" not in _section(page, key), key


def test_files_per_language_and_a_latest_copy_written_atomically(absent_report):
    settings, report = absent_report
    assert report.as_of_date == AS_OF
    names = sorted(p.name for p in settings.reports_dir.iterdir())
    assert names == [
        "ar_health_2026-10-31.en.html",
        "ar_health_2026-10-31.zh-CN.html",
        "ar_health_latest.en.html",
        "ar_health_latest.zh-CN.html",
    ]  # no temporary file left behind
    dated, latest = report.files["en"].read_text(), report.latest["en"].read_text()
    assert 'href="ar_health_2026-10-31.zh-CN.html"' in dated and 'href="ar_health_latest.zh-CN.html"' in latest
    assert dated.replace("2026-10-31.zh-CN", "latest.zh-CN") == latest


def test_pages_are_self_contained(absent_report):
    _, report = absent_report
    bundle = get_plotlyjs()
    for lang, path in report.files.items():
        html = path.read_text()
        assert html.count(bundle) == 1  # plotly.js inline, once
        page = html.replace(bundle, "")  # the bundle's own strings hold URLs it never loads here
        assert f'<html lang="{lang}">' in page
        assert page.count("<script") > 10 and "<script src" not in page and "<link" not in page
        assert not re.search(r'(src|href)="(https?:)?//', page), "the page loads something from the network"
        assert page.count("Plotly.newPlot") == len(re.findall(r'class="chart[" ]', page)) > 10


def test_sections_in_both_languages_with_placeholders_for_absent_marts(absent_report):
    _, report = absent_report
    zh, en = report.files["zh-CN"].read_text(), report.files["en"].read_text()
    assert "应收账款财务健康体检报告" in zh and "Accounts receivable financial health report" in en
    for key, table in OPTIONAL_SECTIONS.items():
        assert 'data-unavailable="true"' in _section(zh, key)
        assert "尚未提供" in _section(zh, key) and f"marts.{table}" in _section(zh, key)
        assert "Not available yet" in _section(en, key)
    for key in ("kpis", "aging", "concentration", "breakdowns", "rfa", "tags", "top_overdue", "credit", "quality"):
        assert "data-unavailable" not in _section(en, key), key
    kpis = _section(en, "kpis")
    assert len(re.findall(r'class="card[" ]', kpis)) == len(KPI_CARDS)
    assert "vs last month: n/a" in kpis  # the demo publication keeps one date: no last month to compare
    assert re.search(r"vs last month: [+-]\d+\.\d d", kpis)  # DSO's prior month end is recomputed by dbt
    assert "erp_invoices" in _section(en, "quality")  # the gate results travelled with the publication


def test_demo_numbers_on_the_page_match_the_marts(absent_report):
    settings, report = absent_report
    con = duckdb.connect(str(settings.serving_path), read_only=True)
    top10, overdue_customers = con.execute(
        "SELECT top10_share, overdue_customers FROM marts.agg_ar_kpis WHERE scope_type = 'company'"
    ).fetchone()
    first = con.execute(
        "SELECT customer_id FROM marts.rpt_top_overdue_customers WHERE ranking = 'overdue_amount' "
        "AND ranking_position = 1"
    ).fetchone()[0]
    concentration = data.load_concentration(con, AS_OF)
    con.close()
    en = report.files["en"].read_text()
    assert concentration.top10_share == pytest.approx(float(top10), abs=1e-6)  # the Pareto agrees with the KPI
    assert f"<span>Top-10 share</span><b>{float(top10):.1%}</b>" in _section(en, "concentration")
    assert f'<div class="value">{int(overdue_customers):,}</div>' in _section(en, "kpis")
    assert f"<td>{first}</td>" in _section(en, "top_overdue")


def test_model_forecast_and_worklist_sections_when_their_marts_exist(present_report):
    _, report = present_report
    en, zh = report.files["en"].read_text(), report.files["zh-CN"].read_text()
    assert 'data-unavailable="true"' not in en
    risk = _section(en, "risk")
    assert "<b>950.25 CNY</b>" in risk and 'data-chart="risk_levels"' in risk  # 400 + 300 + 150 + 50.25 + 50
    forecast = _section(en, "forecast")
    assert "<b>20,800.00 CNY</b>" in forecast  # 13 weeks: 13 x 1,000 + 100 x (0 + ... + 12); months left out
    model = _section(en, "model")
    assert "<b>0.812</b>" in model and "<b>7</b>" in model and "2026-07-01 – 2026-09-30" in model
    assert "<span>Features with a drift alert</span><b>1</b>" in model and 'data-chart="drift"' in model
    worklist = _section(en, "worklist")
    assert "<span>Worklist entries</span><b>2</b>" in worklist  # the as-of date's rows only
    assert "<span>Target amount</span><b>5,500.00 CNY</b>" in worklist
    assert worklist.index("<td>Alpha</td>") < worklist.index("<td>Bravo</td>")  # by rank
    assert '<td>newly_overdue</td><td>warning</td><td class="num">2</td>' in re.sub(r">\s+<", "><", worklist)
    assert "销售代表电话催收" in _section(zh, "worklist") and "模型卡片" in zh and "预期信用损失合计" in zh
    assert "<b>860.00 CNY</b>" in _section(en, "ecl")  # provision matrix 360 + 500
    credit = re.sub(r">\s+<", "><", _section(en, "credit_policy")).replace('<td class="num">', "<td>")
    assert "<td>Standard: controlled credit</td><td>1</td><td>70-70</td>" in credit  # bands, best first
    assert credit.index("Prime: core terms") < credit.index("Standard: controlled") < credit.index("Restricted")
    # the policy's limits against today's: C2 cut by 3,000,000 (general manager), C3 moved to cash
    assert "<td>Cut</td><td>1</td><td>8,000,000.00</td><td>5,000,000.00</td><td>-3,000,000.00</td>" in credit
    assert "<td>Move to cash terms</td><td>1</td>" in credit
    assert credit.index("<td>C2</td>") < credit.index("<td>C3</td>")  # largest cut first
    assert "<span>Review overdue</span><b>1</b>" in credit and "<span>Never reviewed</span><b>1</b>" in credit
    assert "<td>Hold (limit reached)</td><td>1</td><td>250,000.00</td><td>50,000.00</td>" in credit
    assert "暂停新订单（额度使用80%以上）" in _section(zh, "credit_policy")
    targets = _section(en, "targets")
    assert "<td>Days sales outstanding (DSO)</td>" in targets and "<b>75.0%</b>" in targets
    assert "落后于路径" in _section(zh, "targets")


def test_a_date_the_publication_does_not_hold_fails_clearly(absent_report):
    settings, _ = absent_report
    with pytest.raises(ReportError, match=r"no KPIs for 2026-09-30; dates it holds: 2026-10-31"):
        write_report(settings, dt.date(2026, 9, 30))


# ---- in a real browser ------------------------------------------------------------------------

CHART_STATE = """
return Array.from(document.querySelectorAll('.chart')).map(function (chart) {
  var svg = chart.querySelector('svg.main-svg');
  var box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  var marks = chart.querySelectorAll('.main-svg .trace path, .main-svg .heatmaplayer image, canvas').length;
  return [chart.dataset.chart, box.width, box.height, marks, chart.getBoundingClientRect().width];
});
"""


def _load_and_check(browser, path: Path, screenshot: Path) -> list[str]:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(path.as_uri())
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    expected = len(re.findall(r'class="chart[" ]', path.read_text()))
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements("css selector", ".chart svg.main-svg")) > 0)
    charts = browser.execute_script(CHART_STATE)
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == [], f"console errors in {path.name}: {severe}"
    assert len(charts) == expected > 10
    empty = [name for name, width, height, marks, _ in charts if not (width > 100 and height > 100 and marks > 0)]
    assert empty == [], f"charts that did not render in {path.name}: {empty}"
    overflowing = [name for name, width, _, _, cell in charts if width > cell + 1]
    assert overflowing == [], f"charts wider than their place in {path.name}: {overflowing}"
    browser.set_window_size(1400, browser.execute_script("return document.body.scrollHeight"))
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 50_000
    return [name for name, *_ in charts]


def test_the_report_renders_in_chromium_with_every_chart(browser, present_report, absent_report, tmp_path):
    _, present = present_report
    _, absent = absent_report
    names = _load_and_check(browser, present.files["zh-CN"], tmp_path / "report_zh-CN_with_model.png")
    assert {"aging_now", "pareto", "rfa_heatmap", "risk_levels", "cash_forecast", "drift"} <= set(names)
    names = _load_and_check(browser, absent.latest["en"], tmp_path / "report_en_demo.png")
    assert "cash_forecast" not in names and "utilisation" in names
    # the language link leads to the other file, which opens too
    browser.find_element("css selector", "header a").click()
    assert browser.current_url.endswith("ar_health_latest.zh-CN.html")
    assert browser.find_element("css selector", "h1").text == "应收账款财务健康体检报告"


def test_docs_bi_lists_the_bi_contract_generated_from_the_dbt_yamls():
    from ar_risk.publish.bi_contract import contract_models, render_markdown, replace_in

    document = (Path(__file__).resolve().parents[1] / "docs" / "bi.md").read_text(encoding="utf-8")
    assert replace_in(document, render_markdown()) == document, "run `ar-risk bi-contract --update docs/bi.md`"
    names = [model["name"] for model in contract_models()]
    assert {"fct_ar_open_items", "agg_ar_kpis", "credit_exposure", "dim_aging_buckets"} <= set(names)
    assert "| `open_amount_rc` | open_amount in the reporting currency. |" in document
    for tool in ("Metabase", "Superset", "Power BI", "Excel", "duckdb:////", "access_mode=read_only", "make docs"):
        assert tool in document
