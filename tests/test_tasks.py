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


def test_a_data_error_raised_anywhere_is_caught_once_and_not_retried():
    """A module's new data error needs no entry in tasks.py: deriving from DataError is enough."""
    from ar_risk.errors import DataError

    class BrandNewDataError(DataError, RuntimeError):
        pass

    with (
        pytest.raises(AirflowFailException, match=r"^BrandNewDataError: the ledger does not balance$"),
        tasks.fail_fast_on_data_errors(),
    ):
        raise BrandNewDataError("the ledger does not balance")


def _data_errors():
    from ar_risk_ml.config import ModelConfigError
    from ar_risk_ml.errors import NoChampionError, ScoringError, TrainingDataError

    from ar_risk.collections.build import CollectionsInputError
    from ar_risk.collections.strategy import StrategyConfigError
    from ar_risk.config import ConfigError
    from ar_risk.errors import QualityGateError, RawLoadError
    from ar_risk.extract.mapping import MappingError
    from ar_risk.extract.sources import SourceConfigError
    from ar_risk.publish.serving import PublicationError
    from ar_risk.quality.limits import GateLimitsError
    from ar_risk.quality.suites import QualitySuiteError
    from ar_risk.report import ReportError
    from ar_risk.transform.dbt import DbtBuildError

    return [
        ConfigError, LandingError, RawLoadError, QualityGateError, MappingError, SourceConfigError, DbtBuildError,
        PublicationError, ModelConfigError, NoChampionError, ScoringError, TrainingDataError, StrategyConfigError,
        CollectionsInputError, ReportError, QualitySuiteError, GateLimitsError,
    ]  # fmt: skip


def test_every_data_error_of_the_project_fails_fast_and_keeps_its_builtin_base():
    from ar_risk.errors import DataError

    for error in _data_errors():
        assert issubclass(error, DataError), error
        # Callers that catch ValueError / RuntimeError still catch it.
        assert issubclass(error, ValueError | RuntimeError), error
        with pytest.raises(AirflowFailException, match=rf"^{error.__name__}: bad"), tasks.fail_fast_on_data_errors():
            raise error("bad")


def test_infrastructure_faults_are_no_data_errors_and_are_left_to_retries():
    from ar_risk.errors import DataError
    from ar_risk.extract.database import SourceUnavailableError
    from ar_risk.publish.postgres import PostgresPublicationError
    from ar_risk.run_lock import RunLockedError

    for fault in (SourceUnavailableError, PostgresPublicationError, RunLockedError, OSError):
        assert not issubclass(fault, DataError), fault
        with pytest.raises(fault), tasks.fail_fast_on_data_errors():
            raise fault("the network blinked")
