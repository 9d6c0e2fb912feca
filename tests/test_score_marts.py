"""The score marts (dbt_project/models/scores): expected credit loss, provision matrix, LGD, levels.

Fixture tests/fixtures/landing_ecl, as of 2026-03-31, all CNY, ml_bad_debt_label_days 90,
ecl_min_defaults_for_lgd set to 3 for this book (a finance user's edit of the seed).
Predictions are written by hand to ml_scores (no scorer).

Documents (amount, due, what happened):
  K 950 due 2024-01-01: unpaid on 2024-03-31 (due + 90) -> default 2024-04-01; paid 950 on 2024-06-01.
  A 1000 due 2025-10-15: never paid -> default 2026-01-14 (due + 91); written off 1000 on 2026-03-15.
  B 1000 due 2025-10-15: paid 600 on 11-10, 350 on 12-20 -> 50 open at default 2026-01-14;
    paid 50 on 2026-02-10.
  C 1000 due 2025-10-20: paid 2025-10-25.   D 1000 due 2025-11-30: paid 2025-12-05.
  H 1000 due 2025-10-31: never paid -> default 2026-01-30, still open (151 days past due).
  F 2000 due 2026-04-30 and G 1000 due 2026-03-21 (issued 2026-03-01): open, not yet due / 10 days.

Balances on the month-ends (days past due, open):
  2025-09-30: A -15 1000, B -15 1000, C -20 1000, D -61 1000 (all not_due)
  2025-10-31: A 16 1000, B 16 1000 (dpd_1_30); D -30 1000, H 0 1000 (not_due)
  2025-11-30: A 46 1000, B 46 400 (dpd_31_60); H 30 1000 (dpd_1_30); D 0 1000 (not_due)
  2025-12-31: A 77 1000, B 77 50, H 61 1000 (dpd_61_90)
  2026-01-31 on: A, B, H in dpd_91_180, the default bucket (holds day 91): no roll rate.

Roll rates: of the balance that, unpaid, leaves the bucket by the next month-end, the
share still open there (D on 10-31 and 11-30 is not due yet by the next month-end
respectively due exactly then: not eligible until 11-30 -> 12-31):
  not_due:   eligible A, B, C (09-30) + H (10-31) + D (11-30) = 5000; still open A, B, H = 3000 -> 0.6
  dpd_1_30:  A 1000 -> 1000, B 1000 -> 400 (10-31); H 1000 -> 1000 (11-30): 2400 / 3000 -> 0.8
  dpd_31_60: A 1000 -> 1000, B 400 -> 50: 1050 / 1400 -> 0.75
  dpd_61_90: A, B, H 2050 -> 2050 -> 1.0
LGD from the resolved defaults K, A, B (H is open): written off 1000 / open at default
  950 + 1000 + 50 = 2000 -> 0.5 (3 resolved defaults >= 3: history).
Loss rates = roll rates to the default bucket x LGD:
  not_due 0.6 x 0.8 x 0.75 x 1 x 0.5 = 0.18; dpd_1_30 0.8 x 0.75 x 0.5 = 0.3;
  dpd_31_60 0.375; dpd_61_90 0.5; dpd_91_180 and later 0.5 (LGD).
Provision matrix ECL: F 2000 x 0.18 = 360; G 1000 x 0.3 = 300; H 1000 x 0.5 = 500 -> 1160.
Model ECL = pd_default x 0.5 x open: F 0.10 -> 100; G 0.40 -> 200; H 1.0 -> 500 -> 800.
Levels (extreme >= 0.5, high >= 0.2, medium >= 0.05): F medium, G high, H extreme.
Customers: C1 = F (pd 0.10, medium); C2 = G + H: (0.4 x 1000 + 1.0 x 1000) / 2000 = 0.7 extreme,
  ECL 700, reasons of H (largest ECL).
Cash forecast (as-of + pay_days_p50, x (1 - pd_default)): G 04-10 (week 2, April) 1000 x 0.6 = 600;
  F 05-10 (week 6: 05-06..05-12, May) 2000 x 0.9 = 1800; H 05-30 (May) x 0 = 0.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from scores_support import prediction, with_project_copy, write_predictions

from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import DbtBuildError, build, build_score_marts, run_dbt
from ar_risk.warehouse import connect_warehouse

FIXTURE = Path(__file__).parent / "fixtures" / "landing_ecl"
AS_OF = dt.date(2026, 3, 31)
PREDICTIONS = [
    prediction(AS_OF, "F", "C1", 0.10, p_late=0.30, pay_days_p10=20.0, pay_days_p50=40.0, pay_days_p90=70.0,
               reason_code_1="hist_avg_days_late"),
    prediction(AS_OF, "G", "C2", 0.40, pay_days_p50=10.0),
    prediction(AS_OF, "H", "C2", 1.0, pay_days_p50=60.0, reason_code_1="cur_max_days_past_due",
               reason_code_2="hist_avg_days_late"),
]  # fmt: skip


def _parameters_with(project_seeds: Path, **values: str) -> str:
    lines = (project_seeds / "analytics_parameters.csv").read_text(encoding="utf-8").splitlines()
    edited = [
        ",".join([line.split(",")[0], values[line.split(",")[0]], *line.split(",")[2:]])
        if line.split(",")[0] in values
        else line
        for line in lines
    ]
    return "\n".join(edited) + "\n"


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    from conftest import settings_for

    home = tmp_path_factory.mktemp("ecl") / "ar_home"
    shutil.copytree(FIXTURE, home / "landing")
    plain = settings_for(home)
    parameters = _parameters_with(plain.dbt_project_dir / "seeds", ecl_min_defaults_for_lgd="3")
    settings = with_project_copy(plain, home.parent, {"analytics_parameters.csv": parameters})
    load_landing(settings, batch_id="b1")
    build(settings, AS_OF)
    write_predictions(settings, AS_OF, PREDICTIONS)
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


def test_roll_rates_and_lgd_match_the_hand_computation(book):
    rolls = {
        r["aging_bucket"]: (r["roll_rate"], r["roll_rate_basis_rc"], r["rolled_rc"])
        for r in _rows(book, "SELECT * FROM intermediate.int_ecl_roll_rates")
    }
    assert rolls == {
        "not_due": (Decimal("0.6"), Decimal("5000"), Decimal("3000")),
        "dpd_1_30": (Decimal("0.8"), Decimal("3000"), Decimal("2400")),
        "dpd_31_60": (Decimal("0.75"), Decimal("1400"), Decimal("1050")),
        "dpd_61_90": (Decimal("1"), Decimal("2050"), Decimal("2050")),
    }
    defaults = {
        r["invoice_id"]: (str(r["default_date"]), float(r["exposure_at_default_rc"]), r["is_resolved"])
        for r in _rows(book, "SELECT * FROM intermediate.int_ecl_defaults")
    }
    assert defaults == {
        "K": ("2024-04-01", 950.0, True), "A": ("2026-01-14", 1000.0, True),
        "B": ("2026-01-14", 50.0, True), "H": ("2026-01-30", 1000.0, False),
    }  # fmt: skip
    (lgd,) = _rows(book, "SELECT * FROM intermediate.int_ecl_loss_given_default")
    assert (lgd["lgd"], lgd["lgd_source"], lgd["worked_out_defaults"]) == (Decimal("0.5"), "history", 3)
    assert lgd["lgd_reason"].startswith("3 worked-out defaults")


def test_expected_credit_loss_by_model_and_provision_matrix(book):
    company = {
        r["aging_bucket"]: (
            float(r["provision_matrix_loss_rate"]), float(r["open_amount_rc"]),
            float(r["provision_matrix_expected_loss_rc"]), float(r["model_expected_loss_rc"]),
        )
        for r in _rows(book, "SELECT * FROM marts.expected_credit_loss WHERE scope_type = 'company'")
    }  # fmt: skip
    assert company == {
        "not_due": (0.18, 2000, 360, 100), "dpd_1_30": (0.3, 1000, 300, 200), "dpd_31_60": (0.375, 0, 0, 0),
        "dpd_61_90": (0.5, 0, 0, 0), "dpd_91_180": (0.5, 1000, 500, 500), "dpd_181_365": (0.5, 0, 0, 0),
        "dpd_over_365": (0.5, 0, 0, 0),
    }  # fmt: skip
    customers = _rows(
        book,
        """SELECT scope_id, sum(open_amount_rc) AS open_rc, sum(model_expected_loss_rc) AS model_rc,
                  sum(provision_matrix_expected_loss_rc) AS matrix_rc, any_value(lgd_source) AS lgd_source
           FROM marts.expected_credit_loss WHERE scope_type = 'customer' GROUP BY scope_id ORDER BY scope_id""",
    )
    assert [(r["scope_id"], float(r["open_rc"]), float(r["model_rc"]), float(r["matrix_rc"])) for r in customers] == [
        ("C1", 2000, 100, 360),
        ("C2", 2000, 700, 800),
    ]


def test_invoice_and_customer_scores_levels_and_pay_dates(book):
    invoices = {r["invoice_id"]: r for r in _rows(book, "SELECT * FROM marts.invoice_risk_scores")}
    assert {i: (r["risk_level"], float(r["expected_loss_rc"])) for i, r in invoices.items()} == {
        "F": ("medium", 100.0), "G": ("high", 200.0), "H": ("extreme", 500.0),
    }  # fmt: skip
    f = invoices["F"]
    assert float(f["expected_late_amount_rc"]) == 600.0  # p_late 0.30 x 2000
    assert invoices["G"]["expected_late_amount_rc"] is None  # past due: no p_late
    assert (f["predicted_pay_date_p10"], f["predicted_pay_date"], f["predicted_pay_date_p90"]) == (
        dt.date(2026, 4, 20), dt.date(2026, 5, 10), dt.date(2026, 6, 9),
    )  # fmt: skip
    assert invoices["H"]["reasons_en"].count(";") == 1 and invoices["H"]["reasons_zh"]
    customers = {r["customer_id"]: r for r in _rows(book, "SELECT * FROM marts.customer_risk_scores")}
    assert (customers["C1"]["risk_level"], customers["C1"]["pd_default"]) == ("medium", pytest.approx(0.1))
    c2 = customers["C2"]
    assert (c2["risk_level"], c2["pd_default"], float(c2["expected_loss_rc"]), c2["top_loss_invoice_id"]) == (
        "extreme", pytest.approx(0.7), 700.0, "H",
    )  # fmt: skip
    assert c2["reasons_en"] == invoices["H"]["reasons_en"]


def test_cash_forecast_weights_by_the_probability_of_no_default(book):
    periods = {
        (r["period_type"], r["period_number"]): (str(r["period_start"]), float(r["expected_collections_rc"]),
                                                 r["invoice_count"])
        for r in _rows(book, "SELECT * FROM marts.cash_forecast")
    }  # fmt: skip
    assert len(periods) == 13 + 3  # 2026-03-31 is a month-end: no month 0
    assert periods[("week", 1)] == ("2026-04-01", 0.0, 0)
    assert periods[("week", 2)] == ("2026-04-08", 600.0, 1)
    assert periods[("week", 6)] == ("2026-05-06", 1800.0, 1)
    assert periods[("month", 1)] == ("2026-04-01", 600.0, 1)
    assert periods[("month", 2)] == ("2026-05-01", 1800.0, 2)  # H counted, weighted 0
    model = _rows(book, "SELECT target, model_name FROM marts.model_card ORDER BY target")
    assert [r["target"] for r in model] == ["p_late", "p_paid_30d", "pd_default"]


def test_lgd_fallback_and_provision_matrix_unit_tests(book):
    """dbt unit tests (models/intermediate/_intermediate__ecl.yml): no write-offs at all (erp_writeoffs
    absent) and too few resolved defaults both give ecl_default_lgd, saying why; a bucket without
    roll history rolls at 1 in the chain of roll rates."""
    results = run_dbt(
        book,
        ["test", "--select", "int_ecl_loss_given_default", "int_ecl_provision_matrix", "--resource-type", "unit_test"],
        as_of_date=AS_OF,
    )
    passed = sorted(r["unique_id"].rsplit(".", 1)[-1] for r in results["results"] if r["status"] == "pass")
    assert passed == [
        "test_lgd_default_with_thin_history", "test_lgd_default_without_writeoffs",
        "test_provision_matrix_chains_roll_rates",
    ]  # fmt: skip


def test_a_document_beyond_90_days_at_low_fails_the_build(book):
    low = [dict(p, pd_default=0.01) if p["invoice_id"] == "H" else p for p in PREDICTIONS]
    write_predictions(book, AS_OF, low)
    try:
        with pytest.raises(DbtBuildError, match="assert_no_low_risk_beyond_default"):
            build_score_marts(book, AS_OF)
    finally:
        write_predictions(book, AS_OF, PREDICTIONS)
        build_score_marts(book, AS_OF)


def test_risk_level_cut_offs_must_fall_from_extreme_to_low(tmp_path):
    from conftest import settings_for

    plain = settings_for(tmp_path / "ar_home")
    bad = "risk_level,level_order,min_pd_default,label_en,label_zh\n" + "\n".join([
        "extreme,4,0.5,Extreme,极高", "high,3,0.6,High,高", "medium,2,0.05,Medium,中", "low,1,0.01,Low,低",
    ]) + "\n"  # fmt: skip
    settings = with_project_copy(plain, tmp_path, {"risk_levels.csv": bad})
    with pytest.raises(DbtBuildError, match="assert_risk_levels_ordered") as failed:
        run_dbt(settings, ["build", "--select", "risk_levels"], as_of_date=AS_OF)
    assert "not below extreme" in str(failed.value) and "low must start at 0" in str(failed.value)


def test_score_marts_of_another_date_than_the_daily_build_stop_clearly(book):
    with pytest.raises(DbtBuildError, match="last built for 2026-03-31, not 2026-03-30: run ar_transform"):
        build_score_marts(book, dt.date(2026, 3, 30))
