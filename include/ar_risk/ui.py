"""Airflow's and MLflow's web UIs on a home, without Docker (`make ui`, `make up`).

Airflow 3 as local processes on the home's own metadata (the SQLite file the demo's
`airflow dags test` runs recorded): api-server (the UI and REST API), scheduler,
dag-processor and triggerer, with the LocalExecutor; beside them `mlflow server` on the
home's model store. One Ctrl-C stops them all (each runs in its own process group, so the
task processes it forked stop too).

- ``ui``: the DAGs stay as they are (paused at creation): nothing runs by itself, the UI shows
  the runs the home holds and a user may trigger one.
- ``up``: the pipeline's DAGs are unpaused, so the scheduler runs the daily schedule.

Login: the simple auth manager's user ``admin``; its password is generated once per home,
kept in ``$AIRFLOW_HOME/ui_passwords.json`` (never in the repository) and printed on start.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ar_risk.config import Settings
from ar_risk.runner import PIPELINE, RETRAIN_DAG, PipelineError, airflow_env, prepare_airflow

log = logging.getLogger(__name__)

UI_USER = "admin"
PASSWORDS_FILE = "ui_passwords.json"  # the simple auth manager's own format: {"user": "password"}
SECRETS_FILE = "ui_secrets.json"  # shared by every component: a token the api-server signs, the others accept
START_SECONDS = 180


class UiError(PipelineError):
    """A UI component could not start (a busy port, a broken home): the message names it and its log."""


@dataclass
class UiServers:
    airflow_url: str
    mlflow_url: str
    username: str
    password: str
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def exited(self) -> dict[str, int]:
        """Components that have stopped, with their exit codes."""
        return {name: proc.returncode for name, proc in self.processes.items() if proc.poll() is not None}


def _json_file(path: Path, make: Callable[[], dict]) -> dict:
    """The JSON object in ``path``, written first by ``make`` (owner-only: it holds secrets)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(make(), out, indent=2)
    return json.loads(path.read_text())


def ui_env(settings: Settings, airflow_port: int) -> tuple[dict[str, str], str]:
    """The environment of every Airflow component, and the admin's password."""
    home = settings.airflow_home
    passwords = _json_file(home / PASSWORDS_FILE, lambda: {UI_USER: secrets.token_urlsafe(12)})
    keys = _json_file(home / SECRETS_FILE, lambda: {k: secrets.token_hex(32) for k in ("jwt_secret", "secret_key")})
    base_url = f"http://127.0.0.1:{airflow_port}"
    env = airflow_env(settings)
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{UI_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / PASSWORDS_FILE),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
            "AIRFLOW__API__SECRET_KEY": keys["secret_key"],
        }
    )
    return env, passwords[UI_USER]


def _airflow_cmd(*args: str) -> list[str]:
    # The `airflow` entry point of this interpreter's environment (a venv's bin/).
    return [str(Path(sys.executable).with_name("airflow")), *args]


def answers(url: str) -> bool:
    """Whether ``url`` answers 200 within 5 s."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a local server we started)
            return response.status == 200
    except OSError:
        return False


def check_ports_free(ports: dict[str, tuple[int, str]]) -> None:
    """Stop before starting anything when a port is taken: {component: (port, option that moves it)}."""
    for name, (port, option) in ports.items():
        with socket.socket() as probe:
            # as the servers bind: a port held only by closing connections (TIME_WAIT) is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as exc:
                raise UiError(
                    f"{name} cannot start: port {port} on 127.0.0.1 is in use ({exc.strerror});"
                    f" stop the program holding it or choose another port with {option}"
                ) from exc


def start_ui(
    settings: Settings, *, airflow_port: int = 8080, mlflow_port: int = 5000, run_schedule: bool = False
) -> UiServers:
    """Start the Airflow components and the MLflow UI on ``settings``' home; return once both answer."""
    # A busy port is named in a second, not after Airflow's four components have started.
    check_ports_free({"Airflow api-server": (airflow_port, "--port"), "mlflow": (mlflow_port, "--mlflow-port")})
    prepare_airflow(settings)  # the metadata database and the warehouse pool, as a pipeline run has them
    env, password = ui_env(settings, airflow_port)
    log_dir = settings.home / "logs" / "ui"
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = UiServers(
        airflow_url=f"http://127.0.0.1:{airflow_port}",
        mlflow_url=f"http://127.0.0.1:{mlflow_port}",
        username=UI_USER,
        password=password,
        log_dir=log_dir,
    )
    if run_schedule:
        for dag_id in (*PIPELINE, RETRAIN_DAG):
            # unpausing needs the DAG in the metadata: a home that never ran gets it from the dag-processor
            proc = subprocess.run(_airflow_cmd("dags", "unpause", dag_id), env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                log.warning("could not unpause %s yet (%s); unpause it in the UI", dag_id, proc.stderr.strip()[-300:])
    settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
    commands = {
        "api-server": _airflow_cmd("api-server", "--host", "127.0.0.1", "--port", str(airflow_port)),
        "scheduler": _airflow_cmd("scheduler"),
        "dag-processor": _airflow_cmd("dag-processor"),
        "triggerer": _airflow_cmd("triggerer"),
        "mlflow": [
            str(Path(sys.executable).with_name("mlflow")), "server",
            "--host", "127.0.0.1", "--port", str(mlflow_port), "--workers", "1",
            "--backend-store-uri", settings.mlflow_tracking_uri,
            "--allowed-hosts", f"127.0.0.1:{mlflow_port},localhost:{mlflow_port}",
        ],
    }  # fmt: skip
    try:
        for name, cmd in commands.items():
            with (log_dir / f"{name}.log").open("wb") as out:
                servers.processes[name] = subprocess.Popen(
                    cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=settings.home
                )
        wait_until_answering(
            servers,
            {"api-server": f"{servers.airflow_url}/api/v2/monitor/health", "mlflow": f"{servers.mlflow_url}/health"},
        )
    except BaseException:
        stop_ui(servers)
        raise
    return servers


def wait_until_answering(servers: UiServers, checks: dict[str, str], timeout: float = START_SECONDS) -> None:
    """Wait until each ``{component: health url}`` answers; a component that exits first is named with its log."""
    deadline = time.monotonic() + timeout
    while checks:
        if gone := servers.exited():
            name, code = next(iter(gone.items()))
            raise UiError(
                f"{name} exited with code {code} while starting; its log {servers.log_dir / (name + '.log')} ends:\n"
                + servers.log_tail(name, 2000)
            )
        checks = {name: url for name, url in checks.items() if not answers(url)}
        if checks and time.monotonic() > deadline:
            raise UiError(f"{', '.join(checks)} did not answer within {timeout:.0f}s; logs in {servers.log_dir}")
        time.sleep(1)


def stop_ui(servers: UiServers, grace_seconds: float = 20) -> None:
    """Stop every component and what it forked."""
    stop_process_groups(list(servers.processes.values()), grace_seconds)


def stop_process_groups(processes: list[subprocess.Popen], grace_seconds: float = 20) -> None:
    """SIGTERM to each process's group (started with ``start_new_session``), then SIGKILL what is left."""
    for proc in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    for proc in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def serve(
    settings: Settings, *, airflow_port: int = 8080, mlflow_port: int = 5000, run_schedule: bool = False, echo=print
) -> None:
    """`ar-risk ui` / `ar-risk up`: start, print where and how to log in, run until Ctrl-C."""
    # Ctrl-C, and the SIGTERM a service manager sends, stop the components cleanly; SIGINT is
    # set explicitly because a shell starts a background job with it ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    echo(f"starting Airflow and MLflow on {settings.home} (logs in {settings.home / 'logs' / 'ui'}) ...")
    servers = start_ui(settings, airflow_port=airflow_port, mlflow_port=mlflow_port, run_schedule=run_schedule)
    schedule = "the pipeline's DAGs are unpaused: the scheduler runs the daily schedule" if run_schedule else (
        "DAGs stay paused: nothing runs unless you trigger it (make up runs the schedule)"
    )  # fmt: skip
    echo(
        f"Airflow UI: {servers.airflow_url}  (user {servers.username}, password {servers.password};"
        f" kept in {settings.airflow_home / PASSWORDS_FILE})\n"
        f"MLflow UI:  {servers.mlflow_url}  (model ar_overdue_probability and the other targets)\n"
        f"{schedule}\nCtrl-C stops both."
    )
    try:
        while not (gone := servers.exited()):
            time.sleep(1)
        name, code = next(iter(gone.items()))
        raise PipelineError(f"{name} stopped with code {code}; see {servers.log_dir / (name + '.log')}")
    except KeyboardInterrupt:
        echo("stopping ...")
    finally:
        stop_ui(servers)
