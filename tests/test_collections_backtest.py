"""`ar-risk backtest` on the demo's home (docs/model.md "Backtest", docs/collections.md "Backtest").

The demo run (XS, seed 11, as of 2026-10-31) knows which documents went 90+ days
overdue, were paid within 30 days, or were late. The command copies its warehouse into
a scratch home, builds and trains as of 2026-06-30 in an MLflow store of its own (the
demo's champions, trained on 10-31, would know the answers), scores, builds the
worklist, and judges all of it by the outcomes known at 2026-10-31. The worklist's top
20 % of rows must hold at least the documented floor of the later-90+ amount among the
worklist's invoices, and more than the same rows ranked by overdue amount alone; each
target must rank better than chance out of time.
"""

from __future__ import annotations

import json

import pytest

from conftest import ar_risk

T0, T1 = "2026-06-30", "2026-10-31"
FLOOR = 0.60  # docs/collections.md


@pytest.fixture(scope="module")
def result(demo_run, tmp_path_factory):
    demo, _ = demo_run
    path = tmp_path_factory.mktemp("backtest") / "backtest.json"
    proc = ar_risk(demo.home, "backtest", "--train-as-of", T0, "--outcome-as-of", T1, "--json", str(path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "| pd_default | all |" in proc.stdout and "Worklist at T0:" in proc.stdout
    assert not any((demo.home / "tmp").glob("backtest-*")), "the scratch home is removed"
    return json.loads(path.read_text())


def test_every_target_is_judged_out_of_time(result):
    assert (result["train_as_of"], result["outcome_as_of"], result["open_book_observed_at"]) == (T0, T1, T0)
    for target in ("p_late", "p_paid_30d", "pd_default"):
        metrics = result[target]
        assert {"n", "base_rate", "roc_auc", "pr_auc", "brier", "f1"} <= set(metrics), metrics
        assert metrics["n"] >= 100 and 0 < metrics["base_rate"] < 1
        assert metrics["roc_auc"] > 0.6, (target, metrics)
        assert metrics["issued_after_t0"]["n"] + metrics["open_book_t0"]["n"] == metrics["n"]


# A worklist row is one customer's account-level strategy (issue 19): at XS (150 customers) about 80
# customers are on the T0 list, where the customer x action grain had 138 rows. The floor on rows
# only keeps the top fifth at 10 customers or more, so that no single account decides the coverage;
# the comparison below ranks the same account-level rows by overdue amount, so both rankings face
# the same grain.
MIN_ROWS = 50


def test_worklist_top_fifth_covers_the_floor_of_what_went_90_plus_overdue(result):
    worklist = result["worklist"]
    assert worklist["rows"] >= MIN_ROWS and worklist["top_rows"] == -(-worklist["rows"] // 5)
    assert worklist["target_amount_rc"] > 0
    assert worklist["coverage_top20"] >= FLOOR, worklist


def test_worklist_ranking_beats_ranking_by_overdue_amount(result):
    worklist = result["worklist"]
    assert worklist["coverage_top20"] > worklist["overdue_amount_coverage_top20"], worklist


def test_the_outcome_date_must_leave_time_for_the_outcomes(demo_run):
    demo, _ = demo_run
    proc = ar_risk(demo.home, "backtest", "--train-as-of", T0, "--outcome-as-of", "2026-08-01")
    assert proc.returncode == 2
    assert "must be at least 91 days after --train-as-of 2026-06-30" in proc.stderr
