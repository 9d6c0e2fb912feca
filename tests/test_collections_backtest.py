"""Backtest of the worklist on demo data (docs/collections.md, "Backtest").

The demo run (XS, seed 11, as of 2026-10-31) says which invoices went 90+ days
overdue. A copy of its warehouse then runs as of 2026-06-30, with a model trained in
an MLflow store of its own on what was known that day (the demo's champion, trained
on 10-31, would know the answers). The worklist's top 20 % of rows must hold at least
the documented floor (60 %) of that amount among the worklist's invoices, and more
than the same rows ranked by overdue amount alone.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from ar_risk.collections.backtest import backtest

from conftest import settings_for

AS_OF, OUTCOMES = dt.date(2026, 6, 30), dt.date(2026, 10, 31)
FLOOR = 0.60  # docs/collections.md


@pytest.fixture(scope="module")
def result(demo_run, tmp_path_factory):
    demo, _ = demo_run
    home = tmp_path_factory.mktemp("backtest") / "ar_home"
    home.mkdir()
    for suffix in ("", ".wal"):  # the write-ahead log holds what was not checkpointed yet
        source = demo.warehouse_path.with_name(demo.warehouse_path.name + suffix)
        if source.exists():
            shutil.copy(source, home / f"warehouse.duckdb{suffix}")
    shutil.copytree(demo.home / "dbt" / "target", home / "dbt" / "target")  # dbt's saved parse
    settings = settings_for(home)
    assert not settings.mlflow_dir.exists()
    return backtest(settings, AS_OF, OUTCOMES, built_for_outcomes=True)


def test_worklist_top_fifth_covers_the_floor_of_what_went_90_plus_overdue(result):
    assert result.rows >= 100 and result.top_rows == -(-result.rows // 5)
    assert result.target_amount_rc > 0
    assert result.worklist_coverage >= FLOOR, result.markdown()


def test_worklist_ranking_beats_ranking_by_overdue_amount(result):
    assert result.worklist_coverage > result.overdue_amount_coverage, result.markdown()
