"""The bodies of the DAGs' tasks. Each takes the Airflow task context.

Kept here, not in the DAG files, so DAG parsing stays cheap and the logic is
tested like any other code. Data errors (bad files, failed dbt tests) become
AirflowFailException: retrying bad data only delays the message. Anything
else (a locked file, a blip) is left to the task's retries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ar_risk.config import ConfigError, load_settings, resolve_as_of_date
from ar_risk.extract.landing import LandingError
from ar_risk.extract.mapping import MappingError
from ar_risk.extract.raw import RawLoadError
from ar_risk.orchestration import MARTS_ASSET, RAW_ASSET, SERVING_ASSET
from ar_risk.publish.serving import PublicationError
from ar_risk.transform.dbt import DbtBuildError

DATA_ERRORS = (ConfigError, LandingError, RawLoadError, MappingError, DbtBuildError, PublicationError)


@contextmanager
def fail_fast_on_data_errors() -> Iterator[None]:
    from airflow.sdk.exceptions import AirflowFailException

    try:
        yield
    except DATA_ERRORS as exc:
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc


def as_of_from_context(context: Mapping[str, Any]) -> dt.date:
    """The run's as-of date; the order is documented in ar_risk.config.resolve_as_of_date."""
    requested = (context.get("params") or {}).get("as_of_date")
    upstream = None
    events = context.get("triggering_asset_events") or {}
    for asset_events in events.values():
        for event in asset_events:
            upstream = (getattr(event, "extra", None) or {}).get("as_of_date") or upstream
    logical_date = getattr(context.get("dag_run"), "logical_date", None)
    return resolve_as_of_date(load_settings(), requested=requested, upstream=upstream, logical_date=logical_date)


def _hand_over(context: Mapping[str, Any], asset, **extra: str) -> None:
    context["outlet_events"][asset].extra = extra


def load_landing_files(context: Mapping[str, Any]) -> dict:
    from ar_risk.extract.landing import load_landing

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        report = load_landing(load_settings(), batch_id=f"{as_of.isoformat()}__{context['run_id']}")
    _hand_over(context, RAW_ASSET, as_of_date=as_of.isoformat(), batch_id=report.batch_id)
    return {**report.to_dict(), "as_of_date": as_of.isoformat(), "unavailable_tables": report.unavailable_tables}


def dbt_build(context: Mapping[str, Any]) -> dict:
    from ar_risk.transform.dbt import build

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        counts = build(load_settings(), as_of)
    _hand_over(context, MARTS_ASSET, as_of_date=as_of.isoformat())
    return {"as_of_date": as_of.isoformat(), "results": counts}


def publish_serving(context: Mapping[str, Any]) -> dict:
    from ar_risk.publish.serving import publish_marts

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        publication = publish_marts(load_settings(), run_id=context["run_id"], as_of_date=as_of)
    _hand_over(context, SERVING_ASSET, as_of_date=as_of.isoformat())
    return {"as_of_date": as_of.isoformat(), "row_counts": publication.row_counts}


def summarize_publication() -> str:
    from ar_risk.summary import render_summary

    text = render_summary(load_settings())
    print(text)
    return text
