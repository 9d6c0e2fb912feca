"""`make ui` (`ar-risk ui`): Airflow's and MLflow's UIs on a copy of the demo's home, in a real browser.

One start of the command for the module: the Airflow UI shows the demo's successful
`ar_extract` run after logging in with the printed password, the MLflow UI lists the
registered model with its `champion` alias, and one Ctrl-C (SIGINT) stops every component.
Screenshots stay in the test's temporary folder (pytest's basetemp) as artefacts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from deploy_support import free_port, session_demo_settings

from ar_risk.ui import answers as _answers

from conftest import AR_RISK

START_SECONDS = 240


@pytest.fixture(scope="module")
def ui(request, tmp_path_factory):
    demo = session_demo_settings(request)
    home = tmp_path_factory.mktemp("ui") / "home"
    shutil.copytree(demo.home, home, ignore=shutil.ignore_patterns("run.lock"))
    ports = {"airflow": free_port(), "mlflow": free_port()}
    out = home / "ui_stdout.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AR_", "AIRFLOW"))}
    with out.open("w") as stdout:
        proc = subprocess.Popen(
            [AR_RISK, "ui", "--port", str(ports["airflow"]), "--mlflow-port", str(ports["mlflow"])],
            env={**env, "AR_HOME": str(home)}, stdout=stdout, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    deadline = time.monotonic() + START_SECONDS
    while "Ctrl-C stops both." not in out.read_text():
        assert proc.poll() is None, f"ar-risk ui exited ({proc.returncode}):\n{out.read_text()[-4000:]}"
        assert time.monotonic() < deadline, f"ar-risk ui did not start in {START_SECONDS}s:\n{out.read_text()[-4000:]}"
        time.sleep(1)
    printed = out.read_text()
    password = re.search(r"user admin, password (\S+);", printed)
    assert password, printed
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    yield {"proc": proc, "urls": urls, "password": password[1], "printed": printed, "home": home, "out": out}
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)


def _call(url: str, body: dict | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="GET" if body is None else "POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the local servers under test)
        return json.loads(response.read())


def test_the_printed_login_gets_a_token_and_the_api_sees_the_demo_runs(ui):
    base, printed = ui["urls"]["airflow"], ui["printed"]
    assert f"Airflow UI: {base}" in printed and f"MLflow UI:  {ui['urls']['mlflow']}" in printed
    token = _call(f"{base}/auth/token", {"username": "admin", "password": ui["password"]})["access_token"]
    states = [run["state"] for run in _call(f"{base}/api/v2/dags/ar_extract/dagRuns", token=token)["dag_runs"]]
    assert "success" in states, states
    with pytest.raises(urllib.error.HTTPError) as refused:
        _call(f"{base}/auth/token", {"username": "admin", "password": ui["password"] + "x"})
    assert refused.value.code in (401, 403)


def _wait_for_text(browser, pattern: str, seconds: float = 60) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, seconds).until(lambda d: re.search(pattern, d.find_element("tag name", "body").text))
    return browser.find_element("tag name", "body").text


def test_the_airflow_ui_shows_the_demos_successful_extract_run(ui, browser, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    base = ui["urls"]["airflow"]
    browser.get(f"{base}/dags/ar_extract/runs")
    WebDriverWait(browser, 60).until(lambda d: d.find_elements("css selector", "input[name='username']"))
    browser.find_element("css selector", "input[name='username']").send_keys("admin")
    browser.find_element("css selector", "input[name='password']").send_keys(ui["password"])
    browser.find_element("css selector", "button[type='submit']").click()
    WebDriverWait(browser, 60).until(lambda d: not d.find_elements("css selector", "input[name='password']"))
    browser.get(f"{base}/dags/ar_extract/runs")
    text = _wait_for_text(browser, r"(?i)\bsuccess\b")
    assert "ar_extract" in text
    screenshot = tmp_path / "airflow_ar_extract_runs.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 20_000


def test_the_mlflow_ui_lists_the_model_with_its_champion_alias(ui, browser, tmp_path):
    base = ui["urls"]["mlflow"]
    browser.get(f"{base}/#/models")
    _wait_for_text(browser, "ar_overdue_probability")
    browser.get(f"{base}/#/models/ar_overdue_probability")
    _wait_for_text(browser, r"@\s*champion")
    screenshot = tmp_path / "mlflow_model.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 20_000


def test_one_ctrl_c_stops_airflow_and_mlflow(ui):
    proc = ui["proc"]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0, ui["out"].read_text()[-3000:]
    assert "stopping ..." in ui["out"].read_text()
    health = {
        "airflow": f"{ui['urls']['airflow']}/api/v2/monitor/health",
        "mlflow": f"{ui['urls']['mlflow']}/health",
    }
    still = [name for name, url in health.items() if _answers(url)]
    assert still == [], f"still answering after Ctrl-C: {still}"
    left = subprocess.run(["pgrep", "-f", str(ui["home"])], capture_output=True, text=True, check=False).stdout
    assert left.strip() == "", f"processes of the home left running: {left}"


def test_a_busy_port_is_named_before_anything_starts(tmp_path):
    """A second `ar-risk ui` on a port in use stops at once, naming the component, the port and the option."""
    import socket

    home = tmp_path / "home"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AR_", "AIRFLOW"))}
        proc = subprocess.run(
            [AR_RISK, "ui", "--port", str(free_port()), "--mlflow-port", str(port)],
            env={**env, "AR_HOME": str(home)}, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert proc.returncode != 0
    assert f"mlflow cannot start: port {port} on 127.0.0.1 is in use" in proc.stderr, proc.stderr[-3000:]
    assert "--mlflow-port" in proc.stderr
    # nothing was started or prepared: no log of a component, no Airflow metadata
    assert not (home / "logs" / "ui").exists()
    left = subprocess.run(["pgrep", "-f", str(home)], capture_output=True, text=True, check=False).stdout
    assert left.strip() == "", f"processes of the home left running: {left}"


def test_a_component_that_exits_while_starting_is_named_with_its_log(tmp_path):
    """The wait for the health URLs stops when a component dies, quoting the end of its log."""
    from ar_risk.ui import UiError, UiServers, wait_until_answering

    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    servers = UiServers("http://127.0.0.1:1", "http://127.0.0.1:1", "admin", "-", log_dir)
    with (log_dir / "mlflow.log").open("wb") as out:
        servers.processes["mlflow"] = subprocess.Popen(
            [sys.executable, "-c", "import sys; print('Address already in use: 5000'); sys.exit(3)"], stdout=out
        )
    servers.processes["mlflow"].wait(timeout=30)
    with pytest.raises(UiError) as failure:
        wait_until_answering(servers, {"mlflow": f"http://127.0.0.1:{free_port()}/health"}, timeout=30)
    message = str(failure.value)
    assert f"mlflow exited with code 3 while starting; its log {log_dir / 'mlflow.log'} ends:" in message
    assert "Address already in use: 5000" in message


def test_a_component_that_never_answers_times_out_naming_it(tmp_path):
    from ar_risk.ui import UiError, UiServers, wait_until_answering

    servers = UiServers("http://127.0.0.1:1", "http://127.0.0.1:1", "admin", "-", tmp_path)
    started = time.monotonic()
    with pytest.raises(UiError, match=r"api-server did not answer within 2s; logs in "):
        wait_until_answering(servers, {"api-server": f"http://127.0.0.1:{free_port()}/health"}, timeout=2)
    assert time.monotonic() - started < 20
