"""Failure alerts (ar_risk.task_alerts): the JSON line on disk, the webhook, and that sending never fails a task.

The end-to-end case (a source database down, retried, then failed through Airflow) is in
tests/test_failures.py; these check the callbacks' own behaviour with a stand-in context.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest
from deploy_support import closed_port

from ar_risk import task_alerts as alerts
from ar_risk.orchestration import DEFAULT_ARGS


def context(error: Exception) -> dict:
    ti = SimpleNamespace(dag_id="ar_extract", task_id="extract_sources", run_id="manual__1", try_number=3, max_tries=2)
    return {"ti": ti, "exception": error, "params": {"as_of_date": "2026-10-31"}}


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def test_every_dag_task_alerts_on_failure_and_retry():
    assert DEFAULT_ARGS["on_failure_callback"] is alerts.on_task_failure
    assert DEFAULT_ARGS["on_retry_callback"] is alerts.on_task_retry


def test_a_failure_is_recorded_and_posted(tmp_path, monkeypatch, webhook):
    url, received = webhook
    monkeypatch.setenv("AR_HOME", str(tmp_path))
    monkeypatch.setenv("AR_ALERT_WEBHOOK_URL", url)
    alerts.on_task_retry(context(RuntimeError("blip")))
    alerts.on_task_failure(context(RuntimeError("source database unreachable: connection 'ar_erp'")))

    lines = [json.loads(line) for line in (tmp_path / "alerts" / "task_alerts.jsonl").read_text().splitlines()]
    assert [a["event"] for a in lines] == ["retry", "failed"]
    failed = lines[-1]
    assert failed["dag_id"] == "ar_extract" and failed["task_id"] == "extract_sources"
    assert failed["as_of_date"] == "2026-10-31" and failed["try_number"] == 3
    assert failed["error"] == "RuntimeError: source database unreachable: connection 'ar_erp'"
    assert received == [failed], "only the final failure goes to the webhook"


def test_an_unreachable_webhook_does_not_fail_the_callback(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("AR_HOME", str(tmp_path))
    monkeypatch.setenv("AR_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{closed_port()}/hook")
    alerts.on_task_failure(context(ValueError("bad")))  # must not raise
    assert (tmp_path / "alerts" / "task_alerts.jsonl").read_text().count("\n") == 1
    assert "could not send the failed alert" in caplog.text
