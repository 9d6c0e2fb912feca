"""The anomalous-receipt checks a finance manager edits (seed receipt_anomaly_rules).

A bad edit is refused naming file, row and column before dbt runs, in ar_transform and
in ar_collections (which also reaches the contact calendar back over the check's window).
The mart's formulas are worked by hand in the dbt unit test
test_receipt_anomalies_worked_by_hand; the planted demo receipts are found in
tests/test_end_to_end.py.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from seed_edits import SEEDS, edited_seeds, replace_once

from ar_risk.collections.calendar import DAYS_BEFORE, write_contact_calendar
from ar_risk.collections.receipt_anomalies import (
    ReceiptAnomalyRulesError,
    ReceiptCheck,
    calendar_days_back,
    check_receipt_anomaly_rules,
    validate_receipt_anomaly_rules,
)
from ar_risk.demo.generator import PLANTED_RECEIPTS_FILE, generate

_edited = edited_seeds
_replace = replace_once


def _append(*rows: str):
    return lambda lines: [*lines, *rows]


def test_the_shipped_rules_pass():
    assert check_receipt_anomaly_rules(SEEDS) == {
        "large_amount": ReceiptCheck("large_amount", True, 3.5, 6, 7),
        "non_working_day": ReceiptCheck("non_working_day", True, None, None, 7),
        "unapplied": ReceiptCheck("unapplied", True, 30, None, 7),
    }


BAD_EDITS = [
    (_replace("large_amount,true,3.5,", "large_amount,true,0.5,"),
     "receipt_anomaly_rules.csv row 2, column threshold: 0.5 is outside 1..100"),
    (_replace("large_amount,true,3.5,6,", "large_amount,true,3.5,2,"),
     "receipt_anomaly_rules.csv row 2, column min_history_receipts: 2 is outside 3..10000"),
    (_replace("unapplied,true,30,", "unapplied,true,thirty,"),
     "receipt_anomaly_rules.csv row 4, column threshold: 'thirty' is not a number"),
    (_replace("non_working_day,true,,,7,", "non_working_day,yes,,,7,"),
     "receipt_anomaly_rules.csv row 3, column is_enabled: 'yes' must be true or false"),
    (_replace("non_working_day,true,,,7,", "non_working_day,true,,,400,"),
     "receipt_anomaly_rules.csv row 3, column review_window_days: 400 is outside 1..366"),
    (_replace("unapplied,true,", "unapplied_cash,true,"),
     "receipt_anomaly_rules.csv row 4, column check_code: 'unapplied_cash' is not one of"),
    (_append("third_party_payer,true,,,7,Paid by a third party,第三方代付,Paid by another,他人代付"),
     "receipt_anomaly_rules.csv row 5, column check_code: 'third_party_payer' cannot be checked: "
     "erp_payments has no payer column"),
    (_append("unapplied,true,10,,7,Unapplied,未核销,x,y"),
     "receipt_anomaly_rules.csv row 5, column check_code: a second row for unapplied (first on row 4)"),
    (_replace("(limit {threshold} days)", "(limit {limit_days} days)"),
     "receipt_anomaly_rules.csv row 4, column reason_en: placeholder {limit_days} is not filled by the pipeline"),
    (lambda lines: [line for line in lines if not line.startswith("non_working_day")],
     "receipt_anomaly_rules.csv: no row for non_working_day (switch a check off with is_enabled false)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "message"), BAD_EDITS, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD_EDITS)]
)
def test_a_bad_edit_is_refused_naming_file_row_and_column(tmp_path, edit, message):
    seeds = _edited(tmp_path, "receipt_anomaly_rules", edit)
    with pytest.raises(ReceiptAnomalyRulesError) as refused:
        validate_receipt_anomaly_rules(seeds)
    assert message in str(refused.value)


def test_a_bad_edit_stops_the_daily_build_before_dbt(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowFailException

    import ar_risk.collections.receipt_anomalies
    import ar_risk.collections.strategy
    import ar_risk.run_dates
    import ar_risk.transform.dbt
    from ar_risk import tasks

    monkeypatch.setenv("AR_HOME", str(tmp_path))
    bad = _edited(tmp_path, "receipt_anomaly_rules", _replace("large_amount,true,3.5,", "large_amount,true,0.5,"))
    real_check = ar_risk.collections.receipt_anomalies.validate_receipt_anomaly_rules
    monkeypatch.setattr(
        ar_risk.collections.receipt_anomalies, "validate_receipt_anomaly_rules", lambda _seeds: real_check(bad)
    )
    monkeypatch.setattr(ar_risk.collections.strategy, "validate_strategy", lambda _seeds: None)
    monkeypatch.setattr(ar_risk.run_dates, "start_run_date", lambda *_args: None)

    def no_dbt(*_args, **_kwargs):
        raise AssertionError("dbt ran despite a bad receipt rule")

    monkeypatch.setattr(ar_risk.transform.dbt, "build", no_dbt)
    context = {"params": {"as_of_date": "2026-10-31"}, "triggering_asset_events": {}, "run_id": "r1",
               "dag_run": SimpleNamespace(logical_date=None)}  # fmt: skip
    with pytest.raises(AirflowFailException, match=r"column threshold: 0\.5 is outside 1\.\.100"):
        tasks.dbt_build(context)


def test_the_calendar_reaches_back_over_the_receipt_window():
    checks = check_receipt_anomaly_rules(SEEDS)
    con = duckdb.connect()
    as_of = dt.date(2026, 10, 9)
    write_contact_calendar(con, {"CN"}, as_of, days_before=30)
    first, national_day = con.execute(
        "SELECT min(calendar_date), bool_or(calendar_date = DATE '2026-10-05' AND NOT is_working_day) "
        "FROM reference.contact_calendar"
    ).fetchone()
    assert first == as_of - dt.timedelta(days=30)
    assert national_day  # 2026-10-05, National Day golden week, is not a working day
    # the window never shrinks below what the contact planning needs
    write_contact_calendar(con, {"CN"}, as_of, days_before=calendar_days_back(checks))
    first = con.execute("SELECT min(calendar_date) FROM reference.contact_calendar").fetchone()[0]
    assert first == as_of - dt.timedelta(days=max(DAYS_BEFORE, 7))


def test_the_demo_plants_one_receipt_per_check_deterministically(tmp_path):
    planted = []
    for run in ("a", "b"):
        generate(tmp_path / run / "landing", scale="XS", seed=11, file_format="parquet")
        planted.append((tmp_path / run / "demo_ground_truth" / PLANTED_RECEIPTS_FILE).read_text())
    assert planted[0] == planted[1]
    assert planted[0].splitlines()[1:] == [
        '"RCV000010908","large_amount"', '"RCV000010891","non_working_day"', '"RCV000010514","unapplied"',
    ]  # fmt: skip
