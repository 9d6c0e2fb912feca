"""Helpers for the deployment and failure tests: throwaway databases, Airflow as local processes.

The deployment in docker-compose.yml runs Airflow's api-server, scheduler, dag-processor and
Celery workers against PostgreSQL (metadata) and Redis (broker). No Docker engine runs on the
development machines, so `LocalAirflowCluster` starts the same commands, with the same
settings (deploy/airflow.env), as local processes against the local PostgreSQL and Redis.
Everything it creates is removed by `stop()`: processes (whole process groups), the metadata
database, the Redis database it used.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from ar_risk.config import Settings, load_settings
from ar_risk.ui import stop_process_groups

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Redis database numbers the tests may take (an empty one is chosen, and flushed afterwards).
REDIS_TEST_DBS = range(9, 16)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A local TCP port where nothing listens (bound, then released)."""
    return free_port()


def _psql(sql: str) -> str:
    proc = subprocess.run(
        ["psql", PG_ADMIN, "-v", "ON_ERROR_STOP=1", "-Atc", sql], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"psql failed on {sql!r}: {proc.stderr.strip()}")
    return proc.stdout.strip()


@contextlib.contextmanager
def throwaway_pg_database(prefix: str = "ar_test_db") -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped afterwards even if the test failed."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    _psql(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _redis(db: int, *args: str) -> str:
    proc = subprocess.run(
        ["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), "-n", str(db), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"redis-cli {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


@contextlib.contextmanager
def throwaway_redis_db() -> Iterator[int]:
    """An empty Redis database number for the Celery broker; flushed afterwards."""
    for db in REDIS_TEST_DBS:
        if _redis(db, "DBSIZE") == "0":
            break
    else:
        raise RuntimeError(f"no empty Redis database among {list(REDIS_TEST_DBS)} for the test broker")
    try:
        yield db
    finally:
        _redis(db, "FLUSHDB")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (comments and blanks skipped), as docker compose reads an env_file."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


class AirflowApi:
    """The REST API v2, with a JWT from the simple auth manager (all users are admins here)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._token: str | None = None

    def _request(self, method: str, path: str, body: dict | None = None, auth: bool = True) -> dict:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local api-server)
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path} -> HTTP {exc.code}: {exc.read().decode(errors='replace')}") from None

    def token(self) -> str:
        if self._token is None:
            self._token = self._request("GET", "/auth/token", auth=False)["access_token"]
        return self._token

    def get(self, path: str) -> dict:
        return self._request("GET", path)

    def post(self, path: str, body: dict) -> dict:
        return self._request("POST", path, body)

    def patch(self, path: str, body: dict) -> dict:
        return self._request("PATCH", path, body)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/api/v2/monitor/health", timeout=5) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False


class LocalAirflowCluster:
    """Airflow's api-server, scheduler, dag-processor and a Celery worker as local processes.

    ``env`` holds the AR_* settings of the tasks; the Airflow settings come from
    deploy/airflow.env (what docker-compose.yml gives every Airflow container) with the
    hosts replaced by the local services.
    """

    COMPONENTS: ClassVar[dict[str, list[str]]] = {
        "api-server": ["api-server", "--host", "127.0.0.1", "--port", "{port}"],
        "scheduler": ["scheduler"],
        "dag-processor": ["dag-processor"],
        "celery-worker": ["celery", "worker", "--concurrency", "2", "--queues", "default"],
    }

    def __init__(self, workdir: Path, *, metadata_db: str, redis_db: int, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.api = AirflowApi(f"http://127.0.0.1:{self.port}")
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        pg = f"postgres@127.0.0.1:5432/{metadata_db}"
        airflow = read_env_file(PROJECT / "deploy" / "airflow.env")
        airflow.update(
            {
                "AIRFLOW_HOME": str(workdir / "airflow_home"),
                "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}",
                "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}",
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{pg}",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
                "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{self.port}",
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                "AIRFLOW__CORE__FERNET_KEY": "",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(workdir / "airflow_logs"),
                # A test cluster: react in seconds, not in the production intervals.
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "300",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            }
        )
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AR_", "AIRFLOW"))}
        base["AR_HISTORY_MONTH_ENDS"] = os.environ.get("AR_HISTORY_MONTH_ENDS", "0")  # conftest.NO_HISTORY
        self.env = {**base, **airflow, **env, "PATH": f"{BIN}{os.pathsep}{base.get('PATH', '')}"}

    def airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(BIN / "airflow"), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
        return proc

    def start(self) -> None:
        (self.workdir / "airflow_home").mkdir(parents=True, exist_ok=True)
        self.airflow("db", "migrate")
        self.airflow("pools", "set", "ar_warehouse", "1", "DuckDB allows one writer process")
        for name, args in self.COMPONENTS.items():
            log = self.workdir / f"{name}.log"
            self.logs[name] = log
            cmd = [str(BIN / "airflow"), *(a.format(port=self.port) for a in args)]
            with log.open("wb") as out:
                # Own process group: stop() ends the component and every child it forked.
                self.processes[name] = subprocess.Popen(
                    cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
        self.wait_for(self.api.healthy, 120, "the api-server to answer /api/v2/monitor/health")

    def wait_for(self, condition, seconds: float, what: str, interval: float = 1.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"airflow {name} exited ({proc.returncode}) while waiting for {what}:\n"
                                       + self.tail(name))  # fmt: skip
            result = condition()
            if result:
                return result
            time.sleep(interval)
        raise TimeoutError(f"waited {seconds:.0f}s for {what}\n" + "\n".join(self.tail(n) for n in self.logs))

    def tail(self, name: str, chars: int = 3000) -> str:
        log = self.logs.get(name)
        text = log.read_text(errors="replace")[-chars:] if log and log.exists() else ""
        return f"--- {name} log (end) ---\n{text}"

    def stop(self) -> None:
        # Children (task supervisors, celery pool processes) share each component's group.
        stop_process_groups(list(self.processes.values()))


def session_demo_settings(request) -> Settings:
    """The settings of the session's demo run (conftest `demo_run`: XS, seed 11, published, champion trained).

    For the test modules' `demo_settings` fixture. AR_TEST_DEMO_HOME=<an AR_HOME where
    `ar-risk demo --scale XS --seed 11` ran> reuses that home instead, to iterate on these tests
    without waiting for the demo (read only: tests copy it).
    """
    reuse = os.environ.get("AR_TEST_DEMO_HOME")
    if reuse:
        return load_settings({"AR_HOME": reuse})
    return request.getfixturevalue("demo_run")[0]


def marts_and_manifest(serving_path: Path) -> tuple[dict[str, list[tuple]], list[tuple]]:
    """Every table of schema marts (rows sorted) and the manifest meta.publication of a serving file."""
    import duckdb

    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
            ).fetchall()
        ]
        marts = {n: con.execute(f"SELECT * FROM marts.{n} ORDER BY ALL").fetchall() for n in names}
        manifest = con.execute("SELECT run_id, as_of_date, table_name, row_count FROM meta.publication").fetchall()
        return marts, manifest
    finally:
        con.close()


def assert_same_marts(actual: dict[str, list[tuple]], expected: dict[str, list[tuple]], what: str) -> None:
    """Table by table, so that a difference names the table (the manifest's run ids and times are not compared)."""
    assert sorted(actual) == sorted(expected), f"{what}: published tables differ"
    different = [t for t in expected if actual[t] != expected[t]]
    assert not different, f"{what}: marts tables differ: {different}"
