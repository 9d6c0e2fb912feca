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

from ar_risk.config import load_settings, resolve_as_of_date
from ar_risk.errors import DataError
from ar_risk.orchestration import ACTIONS_ASSET, MARTS_ASSET, RAW_ASSET, SCORES_ASSET, SERVING_ASSET
from ar_risk.redact import install_log_redaction, redact, share_with_airflow_masker

# Every module's data error derives from ar_risk.errors.DataError: one class caught, wherever it
# was raised. SourceUnavailableError and PostgresPublicationError are not data errors: a source or
# BI database that blinked is retried.
DATA_ERRORS = (DataError,)

# Every task imports this module when it starts, after Airflow configured the task's logging:
# from here on a credential in any log line of the process is masked.
install_log_redaction()
share_with_airflow_masker()


@contextmanager
def fail_fast_on_data_errors() -> Iterator[None]:
    from airflow.sdk.exceptions import AirflowFailException

    install_log_redaction()  # again: Airflow may have set up new handlers for this task
    try:
        yield
    except DATA_ERRORS as exc:
        message = f"{type(exc).__name__}: {exc}"
        masked = redact(message)
        # The chained traceback would print the original message, secret and all: drop it then.
        raise AirflowFailException(masked) from (exc if masked == message else None)


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


def _batch_id(context: Mapping[str, Any], as_of: dt.date) -> str:
    return f"{as_of.isoformat()}__{context['run_id']}"


def extract_sources(context: Mapping[str, Any]) -> dict:
    """Load every configured source into raw, then report per table and hand over to ar_transform.

    Sources run one after the other in dependency order (``ordered_sources``): the quality gate
    checks references against raw, so customers and FX rates must be in before the documents
    and CRM rows that point at them. An unreachable database raises SourceUnavailableError,
    which is left to the task's retries (a retry re-reads only what is new); bad data and bad
    configuration fail at once.
    """
    from ar_risk.extract.sources import FilesSource, files_source_tables, load_sources, ordered_sources

    reports = []
    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        settings = load_settings()
        batch_id = _batch_id(context, as_of)
        full_refresh = bool((context.get("params") or {}).get("full_refresh"))
        config = load_sources(settings)
        for source in ordered_sources(config):
            if isinstance(source, FilesSource):
                from ar_risk.extract.landing import load_landing

                files = load_landing(
                    settings,
                    batch_id,
                    landing_dir=source.landing_dir,
                    encoding=source.encoding,
                    mapping=source.mapping,
                    tables=files_source_tables(config),  # beside databases: the tables no database reads
                    source_name=source.name,
                )
                reports.append(files.to_dict())
            else:
                from ar_risk.extract.database import extract_database

                database = extract_database(settings, source, batch_id, force_full_refresh=full_refresh)
                reports.append(database.to_dict())
    return hand_over_raw(context, reports, as_of=as_of, batch_id=batch_id)


def summarize_extraction(reports: list[dict]) -> dict:
    """One line per contract table: where it came from, rows loaded / quarantined, watermark.

    Every source reports in one shape (``ar_risk.extract.loader.ExtractReport``); a field a report
    leaves out has the report's own default.
    """
    from ar_risk.contract import TABLES
    from ar_risk.extract.loader import TableReport

    tables: dict[str, dict] = {}
    for report in reports:
        for name, fields in report["tables"].items():
            load = TableReport(**{"table": name, **fields})
            if not load.available:
                continue
            tables[name] = {
                "source": report["source"],
                "source_table": load.source_table or name,
                "rows_loaded": load.rows_loaded,
                "rows_already_present": load.rows_already_present,
                "rows_quarantined": load.rows_quarantined,
                "quarantine_reasons": load.quarantine_reasons,
                "rows_released_from_quarantine": load.rows_released_from_quarantine,
                "rows_tombstoned": load.rows_tombstoned,
                "mode": load.mode or "files",
                "watermark": load.watermark_after,
            }
    return {
        "sources": [r["source"] for r in reports],
        "tables": tables,
        "unavailable_tables": [name for name in TABLES if name not in tables],
        "rows_loaded": sum(t["rows_loaded"] for t in tables.values()),
        "rows_quarantined": sum(t["rows_quarantined"] for t in tables.values()),
    }


def hand_over_raw(context: Mapping[str, Any], reports: list[dict], *, as_of: dt.date, batch_id: str) -> dict:
    """Log the extraction per table and tell ar_transform (asset event with the as-of date)."""
    import logging

    log = logging.getLogger(__name__)
    summary = summarize_extraction(reports)
    for name, t in summary["tables"].items():
        log.info(
            "%-26s %-8s %-11s %9s new %9s quarantined  watermark %s",
            name,
            t["source"],
            t["mode"],
            t["rows_loaded"],
            t["rows_quarantined"],
            t["watermark"] or "-",
        )
    if summary["unavailable_tables"]:
        log.warning("unavailable (no source has them): %s", ", ".join(summary["unavailable_tables"]))
    _hand_over(context, RAW_ASSET, as_of_date=as_of.isoformat(), batch_id=batch_id)
    return {**summary, "as_of_date": as_of.isoformat(), "batch_id": batch_id}


def dbt_build(context: Mapping[str, Any]) -> dict:
    from ar_risk.collections.receipt_anomalies import validate_receipt_anomaly_rules
    from ar_risk.collections.strategy import validate_strategy
    from ar_risk.credit.config import validate_credit_config
    from ar_risk.kpi_targets import validate_kpi_targets
    from ar_risk.run_dates import start_run_date
    from ar_risk.transform.dbt import build
    from ar_risk.transform.history import build_history

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        full_refresh = bool((context.get("params") or {}).get("full_refresh", False))
        settings = load_settings()
        # Before anything is built: rows of dates whose run never published are not history.
        start_run_date(settings, as_of, context["run_id"])
        # A bad edit of the collection strategy stops the day here, not after scoring.
        validate_strategy(settings.dbt_project_dir / "seeds")
        validate_receipt_anomaly_rules(settings.dbt_project_dir / "seeds")
        # Likewise the credit scorecard and policy, which ar_score builds after the model.
        validate_credit_config(settings.dbt_project_dir / "seeds")
        # And the KPI targets and collection plan (agg_kpi_targets here, collection_plan_progress in ar_score).
        validate_kpi_targets(settings.dbt_project_dir / "seeds")
        # A first run also computes the aging and KPI marts at the earlier month-ends (trends from day one).
        # (Not on a full refresh: it restarts the snapshot marts from this date.)
        history = [] if full_refresh else build_history(settings, as_of)
        counts = build(settings, as_of, full_refresh=full_refresh)
    _hand_over(context, MARTS_ASSET, as_of_date=as_of.isoformat())
    return {"as_of_date": as_of.isoformat(), "results": counts, "history_month_ends": [d.isoformat() for d in history]}


def score_open_invoices(context: Mapping[str, Any]) -> dict:
    from ar_risk_ml.score import score

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        result = score(load_settings(), as_of)
    return {"as_of_date": as_of.isoformat(), "model_versions": result.model_versions, "invoices": result.invoices,
            "customers": result.customers, "drift_alerts": result.drift_alerts,
            "unscored_targets": result.unscored_targets}  # fmt: skip


def build_score_marts(context: Mapping[str, Any]) -> dict:
    from ar_risk.credit.config import validate_credit_config
    from ar_risk.kpi_targets import validate_kpi_targets
    from ar_risk.transform.dbt import build_score_marts as build

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        settings = load_settings()
        # Checked again: the credit seeds and the collection plan may have been edited since ar_transform ran.
        validate_credit_config(settings.dbt_project_dir / "seeds")
        validate_kpi_targets(settings.dbt_project_dir / "seeds")
        counts = build(settings, as_of)
    _hand_over(context, SCORES_ASSET, as_of_date=as_of.isoformat())
    return {"as_of_date": as_of.isoformat(), "results": counts}


def build_training_features(context: Mapping[str, Any]) -> dict:
    from ar_risk.transform.dbt import build_training_features as build

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        counts = build(load_settings(), as_of)
    return {"as_of_date": as_of.isoformat(), "results": counts}


def retrain_model(context: Mapping[str, Any]) -> dict:
    from ar_risk_ml.train import train_and_promote

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        result = train_and_promote(load_settings(), as_of)
    return {"as_of_date": as_of.isoformat(), "targets": result.summary()}


def build_collection_marts(context: Mapping[str, Any]) -> dict:
    from ar_risk.collections.build import build_collections

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        result = build_collections(load_settings(), as_of)
    _hand_over(context, ACTIONS_ASSET, as_of_date=as_of.isoformat())
    return {"as_of_date": as_of.isoformat(), "calendar_rows": result.calendar_rows, "results": result.statuses}


def publish_serving(context: Mapping[str, Any]) -> dict:
    from ar_risk.publish.serving import publish_marts

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        publication = publish_marts(load_settings(), run_id=context["run_id"], as_of_date=as_of)
    _hand_over(context, SERVING_ASSET, as_of_date=as_of.isoformat())
    return {"as_of_date": as_of.isoformat(), "row_counts": publication.row_counts,
            "model_version": publication.model_version, "data_quality_status": publication.data_quality_status,
            "postgres_schema": publication.postgres_schema}  # fmt: skip


def deliver_messages(context: Mapping[str, Any]) -> dict:
    """E-mail the day's owner digests, customer notices and statements from the publication (dry run by default)."""
    from ar_risk.delivery import deliver

    with fail_fast_on_data_errors():
        as_of = as_of_from_context(context)
        report = deliver(load_settings(), as_of, run_id=context["run_id"])
    return {"as_of_date": as_of.isoformat(), "mode": report.mode, "composed": report.composed,
            "handled": report.handled, "by_type": report.by_type, "failed": len(report.failures)}  # fmt: skip


def send_due_messages() -> dict:
    """Send the queued e-mails whose contact window is open now (the hourly ar_deliver)."""
    from ar_risk.delivery import send_due

    with fail_fast_on_data_errors():
        report = send_due(load_settings())
    return {"mode": report.mode, "handled": report.handled}


def write_report(context: Mapping[str, Any]) -> dict:
    """Write the financial health report of the publication just made (zh-CN and en HTML)."""
    from ar_risk.report import write_report as write

    with fail_fast_on_data_errors():
        report = write(load_settings())
    return {
        "as_of_date": report.as_of_date.isoformat(),
        "files": {lang: str(path) for lang, path in report.files.items()},
        "latest": {lang: str(path) for lang, path in report.latest.items()},
    }


def summarize_publication() -> str:
    from ar_risk.summary import render_summary

    text = render_summary(load_settings())
    print(text)
    return text
