"""Task bodies: how a task learns its as-of date, and how data errors end a run."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import AirflowFailException

from ar_risk import tasks
from ar_risk.extract.landing import LandingError
from ar_risk.orchestration import RAW_ASSET


@pytest.fixture(autouse=True)
def _no_ar_as_of(monkeypatch, tmp_path):
    monkeypatch.delenv("AR_AS_OF", raising=False)
    monkeypatch.setenv("AR_HOME", str(tmp_path))


def _context(params=None, events=None, logical_date=None):
    return {
        "params": params or {},
        "triggering_asset_events": events or {},
        "dag_run": SimpleNamespace(logical_date=logical_date),
    }


def test_asset_triggered_run_computes_the_upstream_date():
    events = {RAW_ASSET: [SimpleNamespace(extra={"as_of_date": "2026-09-30", "batch_id": "b"})]}
    assert tasks.as_of_from_context(_context(events=events)) == dt.date(2026, 9, 30)


def test_explicit_param_wins_over_the_upstream_date():
    events = {RAW_ASSET: [SimpleNamespace(extra={"as_of_date": "2026-09-30"})]}
    context = _context(params={"as_of_date": "2026-08-31"}, events=events)
    assert tasks.as_of_from_context(context) == dt.date(2026, 8, 31)


def test_scheduled_run_uses_its_logical_date_in_the_company_time_zone():
    logical = dt.datetime(2026, 11, 22, 22, 0, tzinfo=dt.UTC)  # 06:00 on the 23rd in Shanghai
    assert tasks.as_of_from_context(_context(logical_date=logical)) == dt.date(2026, 11, 23)


def test_data_errors_fail_without_retry_and_other_errors_are_left_to_retries():
    with (
        pytest.raises(AirflowFailException, match=r"LandingError: erp_invoices\.due_date"),
        tasks.fail_fast_on_data_errors(),
    ):
        raise LandingError("erp_invoices.due_date: value 'x' at line 2")
    with pytest.raises(OSError), tasks.fail_fast_on_data_errors():
        raise OSError("the warehouse file is locked by another process")


def test_a_malformed_as_of_param_is_a_data_error():
    with (
        pytest.raises(AirflowFailException, match=r"as_of_date='31\.10\.2026' is not a date"),
        tasks.fail_fast_on_data_errors(),
    ):
        tasks.as_of_from_context(_context(params={"as_of_date": "31.10.2026"}))
