"""No credential leaks (issue 17): every log, alert and error goes through ar_risk.redact.

Unit level: the masking of each credential form, and each place that writes or sends text
(the task-failure alert's JSON line and webhook body, the task's re-raised error, the runner's
log file and PipelineError, the PostgreSQL publication's error, the source connection's
messages, Python logging). The real-database cases are in tests/test_security.py.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import duckdb
import pytest
from deploy_support import closed_port

from ar_risk import redact as redaction
from ar_risk import runner, task_alerts
from ar_risk.config import ConfigError
from ar_risk.extract.database import _SourceConnection
from ar_risk.publish.postgres import PostgresPublicationError, publish_to_postgres
from ar_risk.redact import MASK, RedactingFilter, install_log_redaction, redact, remember_secret
from ar_risk.tasks import fail_fast_on_data_errors

from conftest import settings_for

SECRET = "S3cret-pw"  # noqa: S105 (a made-up password the tests look for)
# The case: the password in a query parameter of the BI database URL.
BI_URL = f"postgresql://u@127.0.0.1:5432/nodb?password={SECRET}"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (BI_URL, "postgresql://u@127.0.0.1:5432/nodb?password="),
        (f"postgresql://ar_reader:{SECRET}@erp-db:5432/erp", "postgresql://ar_reader:***@erp-db:5432/erp"),
        (f"mysql://ar_reader:{SECRET}@crm-db/crm?client=mysql-connector-python", "@crm-db/crm?client="),
        (f"redis://:{SECRET}@redis:6379/0", "redis://:***@redis:6379/0"),
        (f"postgresql://u@db/x?sslmode=require&sslpassword={SECRET}&application_name=ar", "&application_name=ar"),
        (f"https://hooks.example.com/x?token={SECRET}", "?token=***"),
        (f"https://api.example.com/?secret={SECRET}", "?secret=***"),
        (f"https://api.example.com/?api_key={SECRET}&page=2", "?api_key=***&page=2"),
        (f"host=erp-db user=ar_reader password={SECRET} dbname=erp", "password=*** dbname=erp"),
        (f"host=erp-db password='a b {SECRET}' dbname=erp", "host=erp-db password=*** dbname=erp"),
        (f'host=erp-db password = "a b {SECRET}" dbname=erp', "dbname=erp"),
        (f'{{"conn_type": "postgres", "login": "ar_reader", "password": "{SECRET}"}}', '"login": "ar_reader"'),
        (f'{{"extra": {{"token": "{SECRET}", "client": "mysql-connector-python"}}}}', '"token": "***"'),
        (f"{{'password': '{SECRET}', 'host': 'erp-db'}}", "'password': '***', 'host': 'erp-db'"),
        (json.dumps({"error": f'extra {{"password": "{SECRET}"}}'}), '\\"password\\": \\"***\\"'),
        (f"Authorization: Bearer {SECRET}", "Authorization: Bearer ***"),
    ],
)
def test_every_credential_form_is_masked(text, kept):
    masked = redact(text)
    assert SECRET not in masked and SECRET.split("-")[0] not in masked
    assert MASK in masked and kept in masked, masked


def test_words_that_are_not_credentials_are_kept():
    text = 'fe_sendauth: no password supplied; password authentication failed for user "ar_reader"'
    assert redact(text) == text


def test_a_masked_json_alert_stays_json():
    line = json.dumps({"error": f"bad DSN host=db password={SECRET}\nnext line 'password': 'x y'"})
    assert SECRET not in redact(line)
    assert json.loads(redact(line))["error"].startswith("bad DSN host=db password=***")


def test_known_passwords_are_masked_wherever_they_appear(monkeypatch):
    # The configured BI password, even in a message that does not look like a URL.
    monkeypatch.setenv("AR_BI_POSTGRES_URL", BI_URL)
    monkeypatch.setenv("AIRFLOW_CONN_AR_ERP", json.dumps({"conn_type": "postgres", "password": "erp-Pa55"}))
    monkeypatch.setenv("AIRFLOW_CONN_AR_CRM", "mysql://r:crm%2FPa55@crm-db/crm")
    monkeypatch.setattr(redaction, "_remembered", set())
    remember_secret("opened-Pa55")  # a connection the process opened
    masked = redact(f"server echoed {SECRET}; login erp-Pa55 crm/Pa55 crm%2FPa55 opened-Pa55 failed")
    assert masked == "server echoed ***; login *** *** *** *** failed"


@pytest.fixture
def webhook_bodies():
    """A local webhook that keeps each POST body as the bytes it received."""
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", bodies
    server.shutdown()
    server.server_close()


def test_the_failure_alert_line_and_webhook_body_carry_no_password(tmp_path, monkeypatch, webhook_bodies):
    url, bodies = webhook_bodies
    monkeypatch.setenv("AR_HOME", str(tmp_path))
    monkeypatch.setenv("AR_ALERT_WEBHOOK_URL", url)
    ti = SimpleNamespace(dag_id="ar_publish", task_id="publish_serving", run_id="manual__1", try_number=3, max_tries=2)
    error = RuntimeError(f"publishing to PostgreSQL {BI_URL} failed; DSN host=db password='a {SECRET}'")
    task_alerts.on_task_failure({"ti": ti, "exception": error, "params": {"as_of_date": "2026-10-31"}})

    line = (tmp_path / "alerts" / "task_alerts.jsonl").read_text(encoding="utf-8")
    assert len(bodies) == 1
    for sent in (line, bodies[0].decode()):
        assert SECRET not in sent and "S3cret" not in sent
        alert = json.loads(sent)
        assert alert["task_id"] == "publish_serving"
        assert alert["error"] == (
            "RuntimeError: publishing to PostgreSQL postgresql://u@127.0.0.1:5432/nodb?password=*** failed; "
            "DSN host=db password=***"
        )


def test_a_task_error_is_reraised_masked_without_the_unmasked_cause():
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException) as raised, fail_fast_on_data_errors():
        raise ConfigError(f"AR_BI_POSTGRES_URL={BI_URL} is not usable")
    assert SECRET not in str(raised.value) and "password=***" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_the_runner_masks_the_log_file_and_the_pipeline_error(tmp_path, monkeypatch):
    settings = settings_for(tmp_path)
    output = (
        "[2026-10-31] INFO - connecting to postgresql://bi:S3cret-pw@bi-db:5432/bi\n"
        f"PostgresPublicationError: publishing to PostgreSQL {BI_URL} schema 'ar_bi' failed\n"
        "DagRun Finished: dag_id=ar_publish, state=failed, run_type=manual\n"
    )

    def airflow_dags_test(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, stdout=output, stderr=f"token={SECRET}\n")

    monkeypatch.setattr(runner.subprocess, "run", airflow_dags_test)
    with pytest.raises(runner.PipelineError) as raised:
        runner.run_dag(settings, "ar_publish", dt.date(2026, 10, 31))
    message = str(raised.value)
    assert "cause: PostgresPublicationError: publishing to PostgreSQL" in message and "password=***" in message
    assert SECRET not in message
    [log_file] = (tmp_path / "logs").glob("ar_publish__2026-10-31__*.log")  # one file per run
    assert str(log_file) in message
    log_text = log_file.read_text()
    assert "postgresql://bi:***@bi-db:5432/bi" in log_text and "token=***" in log_text
    assert SECRET not in log_text


def test_an_unreachable_bi_database_error_names_no_password(tmp_path):
    serving = tmp_path / "serving.duckdb"
    duckdb.connect(str(serving)).close()
    url = f"postgresql://u@127.0.0.1:{closed_port()}/nodb?password={SECRET}"
    with pytest.raises(PostgresPublicationError) as raised:
        publish_to_postgres(serving, url, "ar_bi")
    assert SECRET not in str(raised.value) and "nodb?password=***" in str(raised.value)


def test_source_connection_messages_mask_the_password_and_any_other_credential():
    source = _SourceConnection("ar_erp", "postgres", "postgres://erp-db:5432/erp", None, "known-Pa55")
    scrubbed = source.scrub(f"server said: known-Pa55 rejected; conninfo host=erp-db sslpassword={SECRET}")
    assert scrubbed == "server said: *** rejected; conninfo host=erp-db sslpassword=***"


def test_python_logging_of_the_package_is_masked():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_log_redaction()
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
        log = logging.getLogger("ar_risk.publish.postgres")
        log.propagate, level = True, log.level
        log.setLevel(logging.INFO)
        log.info("publishing to %s", BI_URL)
        try:
            raise RuntimeError(f"connect failed: password={SECRET}")
        except RuntimeError:
            log.exception("publication failed")
    finally:
        root.removeHandler(handler)
        log.setLevel(level)
    written = stream.getvalue()
    assert "publishing to postgresql://u@127.0.0.1:5432/nodb?password=***" in written
    assert "RuntimeError: connect failed: password=***" in written  # the traceback, masked
    assert SECRET not in written
