"""Operational alerts when a task fails: a JSON line on disk always, a webhook POST when configured.

Not the business alerts of the collections marts: these say the pipeline itself failed.

Airflow calls :func:`on_task_failure` after a task's last try failed and
:func:`on_task_retry` after a try failed that will be retried (``DEFAULT_ARGS`` in
``ar_risk.orchestration``). Each writes one JSON line to ``$AR_HOME/alerts/task_alerts.jsonl``
(who to page reads or ships this file; the deployment keeps it on the data volume), and a
failure is also POSTed as JSON to ``AR_ALERT_WEBHOOK_URL`` when it is set (a chat webhook or
an incident tool). An alert never fails the task twice: errors in sending are logged. An
error message can quote a connection string: every alert is masked (``ar_risk.redact``) before
it is written, logged or sent.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ar_risk.redact import redact_values

log = logging.getLogger(__name__)
ALERTS_FILE = "task_alerts.jsonl"


def alerts_path(home: Path | None = None) -> Path:
    from ar_risk.config import load_settings

    return (home or load_settings().home) / "alerts" / ALERTS_FILE


def build_alert(context: Mapping[str, Any], event: str) -> dict[str, Any]:
    """What happened, where, and the error (credentials masked), from an Airflow task context."""
    ti = context.get("ti") or context.get("task_instance")
    exception = context.get("exception")
    params = context.get("params") or {}
    try_number = getattr(ti, "try_number", None)
    max_tries = getattr(ti, "max_tries", None)
    return redact_values(
        {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "event": event,  # "failed": the run stopped; "retry": a passing fault, tried again
            "dag_id": getattr(ti, "dag_id", None),
            "task_id": getattr(ti, "task_id", None),
            "run_id": getattr(ti, "run_id", None) or context.get("run_id"),
            "try_number": try_number,
            "max_tries": max_tries,
            "as_of_date": params.get("as_of_date"),
            "error": f"{type(exception).__name__}: {exception}" if exception is not None else None,
        }
    )


def record(alert: dict[str, Any], *, path: Path | None = None) -> Path:
    alert = redact_values(alert)  # also when called with an alert not built here
    path = path or alerts_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(alert, ensure_ascii=False, default=str) + "\n")
    return path


def post_webhook(alert: dict[str, Any], url: str) -> None:
    alert = redact_values(alert)
    request = urllib.request.Request(  # noqa: S310 (the operator's configured URL)
        url, data=json.dumps(alert, default=str).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def _send(context: Mapping[str, Any], event: str) -> None:
    try:
        alert = build_alert(context, event)
        path = record(alert)
        log.error("AR alert (%s) recorded in %s: %s", event, path, alert["error"])
        url = os.environ.get("AR_ALERT_WEBHOOK_URL", "").strip()
        if url and event == "failed":
            post_webhook(alert, url)
    except Exception:
        log.exception("could not send the %s alert", event)


def on_task_failure(context: Mapping[str, Any]) -> None:
    _send(context, "failed")


def on_task_retry(context: Mapping[str, Any]) -> None:
    _send(context, "retry")
