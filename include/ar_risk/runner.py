"""Run the pipeline through Airflow itself, for `make demo` and `make run`.

Each DAG runs with ``airflow dags test`` (through ar_risk.airflow_process, which
skips the interpreter's teardown) in dependency order (extract -> transform ->
score -> publish), against a project-local AIRFLOW_HOME with SQLite
metadata: the same DAG code, operators, pools and task runner a scheduler
would use, without a scheduler process to keep alive. In production the
scheduler starts the downstream DAGs from the asset events instead.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ar_risk_ml.errors import TrainingDataError

from ar_risk.config import WAREHOUSE_POOL, Settings
from ar_risk.redact import redact

PIPELINE: tuple[str, ...] = ("ar_extract", "ar_transform", "ar_score", "ar_collections", "ar_publish")
RETRAIN_DAG = "ar_retrain"
log = logging.getLogger(__name__)


class PipelineError(RuntimeError):
    """A DAG run did not succeed.

    ``error_class``: the name of the data error the failed task raised (e.g.
    ``TrainingDataError``), from the AirflowFailException that tasks.fail_fast_on_data_errors
    raises; None when the run failed otherwise (a crash, a lock, a full disk: infrastructure).
    """

    def __init__(self, message: str, error_class: str | None = None):
        super().__init__(message)
        self.error_class = error_class


@dataclass(frozen=True)
class DagRunResult:
    dag_id: str
    seconds: float
    log_path: Path


def airflow_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(settings.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_dir),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": settings.timezone,
            # Settings the tasks read, passed on explicitly so that a task sees
            # the same AR_HOME etc. as the command that started it.
            "AR_HOME": str(settings.home),
            "AR_LANDING_DIR": str(settings.landing_dir),
            "AR_WAREHOUSE_PATH": str(settings.warehouse_path),
            "AR_SERVING_PATH": str(settings.serving_path),
            "AR_MLFLOW_DIR": str(settings.mlflow_dir),
            "AR_REPORTING_CURRENCY": settings.reporting_currency,
            "AR_TIMEZONE": settings.timezone,
            "PYTHONUNBUFFERED": "1",
        }
    )
    if settings.sources_file is not None:
        env["AR_SOURCES_FILE"] = str(settings.sources_file)
    return env


def _airflow(settings: Settings, *args: str, log_file: Path | None = None) -> subprocess.CompletedProcess:
    # The airflow CLI without its interpreter teardown (4-6 s a DAG): ar_risk.airflow_process.
    cmd = [sys.executable, "-m", "ar_risk.airflow_process", *args]
    proc = subprocess.run(cmd, env=airflow_env(settings), capture_output=True, text=True, check=False)
    # The tasks' output can quote a connection string: what is kept and shown is masked.
    proc.stdout, proc.stderr = redact(proc.stdout), redact(proc.stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text(redact(f"$ {' '.join(cmd)}\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"))
    return proc


_CFG_SQLITE = re.compile(r"^sql_alchemy_conn = sqlite:///(?P<home>.+)/airflow\.db$", re.MULTILINE)


def _cfg_sqlite_home(airflow_home: Path) -> tuple[str, str | None]:
    """airflow.cfg's text and the Airflow home its SQLite metadata path names (None: no such file or line)."""
    cfg = airflow_home / "airflow.cfg"
    text = cfg.read_text() if cfg.exists() else ""
    match = _CFG_SQLITE.search(text)
    return text, (match["home"] if match else None)


def follow_moved_airflow_home(airflow_home: Path) -> bool:
    """Point a copied or moved home's airflow.cfg at its own files; True when it was rewritten.

    Airflow writes absolute paths (metadata database, DAG and log folders) into airflow.cfg on
    its first start and reads them from there afterwards, so a copy of AR_HOME would otherwise
    record its runs in the original's SQLite file, or fail once the original is gone.
    """
    cfg = airflow_home / "airflow.cfg"
    text, old = _cfg_sqlite_home(airflow_home)
    if old is None or Path(old).resolve() == airflow_home.resolve():
        return False  # a database of its own (PostgreSQL, a deployment) or already this home's
    new = str(airflow_home.resolve())
    cfg.write_text(text.replace(f"{old}/", f"{new}/").replace(f"= {old}\n", f"= {new}\n"))
    log.info("airflow.cfg named %s (a copied or moved home): now %s", old, new)
    return True


# Written after `airflow db migrate` and the pool succeeded on a home's own SQLite metadata file:
# the Airflow version and the schema revision they were done for (ar_risk.runner.prepare_airflow).
PREPARED_MARKER = "ar_risk_prepared.json"


def _own_sqlite_metadata(airflow_home: Path) -> Path | None:
    """The home's own SQLite metadata file, when that is what Airflow uses (the local default).

    None for a database set elsewhere (a deployment's PostgreSQL, through the environment or
    airflow.cfg), or before Airflow's first start has written airflow.cfg.
    """
    if os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        return None
    _, home = _cfg_sqlite_home(airflow_home)
    if home is None or Path(home).resolve() != airflow_home.resolve():
        return None
    return airflow_home / "airflow.db"


def _metadata_state(database: Path) -> dict | None:
    """The schema revision and the warehouse pool's slots in a SQLite metadata file; None if unreadable."""
    try:
        con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            revision = con.execute("select version_num from alembic_version").fetchone()
            pool = con.execute("select slots from slot_pool where pool = ?", (WAREHOUSE_POOL,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    if revision is None:
        return None
    return {
        "airflow_version": importlib.metadata.version("apache-airflow"),
        "alembic_revision": revision[0],
        "pool_slots": pool[0] if pool else None,
    }


def _already_prepared(airflow_home: Path) -> bool:
    """Whether this home's SQLite metadata is migrated by this Airflow version and has its one-slot pool.

    Both are read from the file itself (not trusted from the marker alone), so a reset or replaced
    database is prepared again; a database elsewhere is always prepared.
    """
    database = _own_sqlite_metadata(airflow_home)
    marker = airflow_home / PREPARED_MARKER
    if database is None or not database.exists() or not marker.exists():
        return False
    try:
        recorded = json.loads(marker.read_text())
    except ValueError:
        return False
    state = _metadata_state(database)
    return state is not None and state["pool_slots"] == 1 and recorded == state


def prepare_airflow(settings: Settings) -> None:
    """Create or upgrade the metadata database and the one-slot warehouse pool.

    Skipped when the home's own SQLite metadata is already prepared for this Airflow version: the
    two Airflow commands cost 6-12 s per run (docs/benchmarks.md), on every `ar-risk run`.
    """
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    follow_moved_airflow_home(settings.airflow_home)
    if _already_prepared(settings.airflow_home):
        log.info("Airflow metadata in %s is migrated and has pool %s", settings.airflow_home, WAREHOUSE_POOL)
        return
    log_dir = settings.home / "logs"
    proc = _airflow(settings, "db", "migrate", log_file=log_dir / "airflow_db_migrate.log")
    if proc.returncode != 0:
        raise PipelineError(f"airflow db migrate failed; see {log_dir / 'airflow_db_migrate.log'}")
    proc = _airflow(
        settings,
        "pools", "set", WAREHOUSE_POOL, "1",
        "DuckDB allows one writer process: every warehouse-writing task runs in this pool",
        log_file=log_dir / "airflow_pools.log",
    )  # fmt: skip
    if proc.returncode != 0:
        raise PipelineError(f"creating pool {WAREHOUSE_POOL} failed; see {log_dir / 'airflow_pools.log'}")
    database = _own_sqlite_metadata(settings.airflow_home)  # airflow.cfg exists now
    state = _metadata_state(database) if database is not None else None
    if state is not None:
        (settings.airflow_home / PREPARED_MARKER).write_text(json.dumps(state, indent=2) + "\n")


def _run_state(output: str) -> str | None:
    """The final state `airflow dags test` reports for its run, if it says."""
    for line in reversed(output.splitlines()):
        if "state=" in line and ("DagRun Finished" in line or "Marking run" in line):
            return line.split("state=", 1)[1].split(",")[0].split()[0].strip("'\"")
    return None


# The task's own message, as the traceback's last line prints it: tasks.fail_fast_on_data_errors
# raises AirflowFailException("<ErrorClass>: <message>"). Log records quoting it start with a
# timestamp and do not match.
_TASK_ERROR = re.compile(r"^(?:[\w.]+\.)?AirflowFailException: (.*)$")
_LOG_RECORD = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_TRACEBACK_MARKERS = ("Traceback ", "The above exception", "During handling of the above")
_CAUSE_MAX_LINES = 10


def _task_error(lines: list[str]) -> str | None:
    """The last AirflowFailException's message, with its further lines (up to _CAUSE_MAX_LINES)."""
    for index in range(len(lines) - 1, -1, -1):
        found = _TASK_ERROR.match(lines[index].strip())
        if found is None:
            continue
        message = [found.group(1)]
        for line in lines[index + 1 : index + _CAUSE_MAX_LINES]:
            if not line.strip() or _LOG_RECORD.match(line) or line.startswith(_TRACEBACK_MARKERS):
                break
            message.append(line.rstrip())
        return "\n    ".join(message)
    return None


def _task_error_class(output: str) -> str | None:
    """The class name of the data error the task failed on ("<ErrorClass>: <message>"), if it did."""
    message = _task_error(output.splitlines())
    found = re.match(r"(\w+): ", message) if message else None
    return found.group(1) if found else None


def _root_cause(output: str) -> str:
    """The task's own error message, else the last exception line of a failed run."""
    lines = output.splitlines()
    task_error = _task_error(lines)
    if task_error is not None:
        return task_error
    for line in reversed(lines):
        stripped = line.strip()
        if ("Exception: " in stripped or "Error: " in stripped) and not stripped.startswith("File "):
            return stripped
    return "no exception in the output; see the full log"


def run_dag(settings: Settings, dag_id: str, as_of: dt.date) -> DagRunResult:
    # One file per run (a rerun of the date keeps the failed run's log): its start in UTC, to the ms.
    now = dt.datetime.now(dt.UTC)
    started_at = f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z"
    log_path = settings.home / "logs" / f"{dag_id}__{as_of.isoformat()}__{started_at}.log"
    started = time.monotonic()
    proc = _airflow(
        settings, "dags", "test", dag_id, "--conf", json.dumps({"as_of_date": as_of.isoformat()}), log_file=log_path
    )
    seconds = time.monotonic() - started
    state = _run_state(proc.stdout + proc.stderr)
    if proc.returncode != 0 or state not in (None, "success"):
        output = proc.stdout + proc.stderr
        raise PipelineError(
            redact(
                f"DAG {dag_id} failed for as_of_date {as_of} (state={state}).\n"
                f"  cause: {_root_cause(output)}\n"
                f"  full log: {log_path}"
            ),
            error_class=_task_error_class(output),
        )
    return DagRunResult(dag_id=dag_id, seconds=seconds, log_path=log_path)


def has_champion(settings: Settings) -> bool:
    """Whether the model scoring needs (pd_default) has a champion yet."""
    from ar_risk_ml.registry import champion_version, use_mlflow
    from ar_risk_ml.score import REQUIRED_TARGET
    from ar_risk_ml.targets import TARGETS_BY_NAME

    return champion_version(use_mlflow(settings), TARGETS_BY_NAME[REQUIRED_TARGET].model_name) is not None


def run_pipeline(
    settings: Settings, as_of: dt.date, *, echo=print, train_first_champion: bool = True
) -> list[DagRunResult]:
    """Run the DAG chain for ``as_of`` under the home's run lock (a second run stops at once)."""
    from ar_risk.run_lock import RunLockedError, run_lock

    try:
        with run_lock(settings, as_of):
            return _run_chain(settings, as_of, echo=echo, train_first_champion=train_first_champion)
    except RunLockedError as exc:
        raise PipelineError(str(exc)) from exc


def _run_chain(settings: Settings, as_of: dt.date, *, echo, train_first_champion: bool) -> list[DagRunResult]:
    prepare_airflow(settings)
    results = []
    for dag_id in PIPELINE:
        if dag_id == "ar_score" and train_first_champion and not has_champion(settings):
            # A first install has history but no model yet: train one (explicitly, logged), then score.
            echo(f"→ {RETRAIN_DAG} (as_of_date={as_of}): no champion model yet, training the first one ...")
            try:
                result = run_dag(settings, RETRAIN_DAG, as_of)
            except PipelineError as exc:
                if exc.error_class != TrainingDataError.__name__:
                    raise  # a fault of the machine or the setup, not the data: scoring would hide it
                # Too little history for a model is no reason to publish nothing: scoring falls back to
                # the provision matrix (ar_risk_ml.score) and says so; the next run tries to train again.
                echo(f"  warning: {exc}\n  scoring goes on without a pd_default model: the provision matrix's "
                     "probability to default per aging bucket")  # fmt: skip
            else:
                echo(f"  {RETRAIN_DAG} succeeded in {result.seconds:.1f}s — log: {result.log_path}")
                results.append(result)
        echo(f"→ {dag_id} (as_of_date={as_of}) ...")
        result = run_dag(settings, dag_id, as_of)
        echo(f"  {dag_id} succeeded in {result.seconds:.1f}s — log: {result.log_path}")
        results.append(result)
    return results
