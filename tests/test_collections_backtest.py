"""Backtest of the worklist on demo data (docs/collections.md, "Backtest").

The demo data (XS, seed 11) runs as of 2026-06-30 with a model trained on what was
known that day; the build as of 2026-10-31 then says which invoices open on 06-30 went
90+ days overdue. The worklist's top 20 % of rows must hold at least the documented
floor (60 %) of that amount among the worklist's invoices, and more than the same
rows ranked by overdue amount alone.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ar_risk.collections.backtest import backtest
from ar_risk.demo.generator import generate
from ar_risk.extract.landing import load_landing

from conftest import settings_for

AS_OF, OUTCOMES = dt.date(2026, 6, 30), dt.date(2026, 10, 31)
FLOOR = 0.60  # docs/collections.md


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("backtest") / "ar_home")
    generate(settings.landing_dir, scale="XS", seed=11, file_format="parquet", end_date=OUTCOMES)
    load_landing(settings, batch_id=f"{AS_OF.isoformat()}__backtest")
    return backtest(settings, AS_OF, OUTCOMES)


def test_worklist_top_fifth_covers_the_floor_of_what_went_90_plus_overdue(result):
    assert result.rows >= 100 and result.top_rows == -(-result.rows // 5)
    assert result.target_amount_rc > 0
    assert result.worklist_coverage >= FLOOR, result.markdown()


def test_worklist_ranking_beats_ranking_by_overdue_amount(result):
    assert result.worklist_coverage > result.overdue_amount_coverage, result.markdown()
