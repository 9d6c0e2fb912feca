"""Failure tests (deployment issue §4), against the real runner and DAGs on the XS demo.

Each test works in its own copy of the session's demo home (`demo_settings`: XS data,
published for 2026-10-31, a champion model), so nothing here changes what other tests see.
Scoring reads the demo's MLflow store (read only).

- a task killed in the middle of the dbt build: the publication is untouched, and the next
  run succeeds and publishes exactly what the clean run published (which is also "the same
  as-of date twice gives an identical publication"; tests/test_end_to_end.py checks that
  once more through `ar-risk run`);
- a BI reader holding the serving file open while ar_publish runs sees the old or the new
  publication, each whole, never a mix;
- a backfill of past dates after the fact equals the daily runs of those dates;
- a source database that is down: retries, then a failure naming the connection, and an alert.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from deploy_support import BIN, assert_same_marts, closed_port, marts_and_manifest, session_demo_settings

from ar_risk.config import Settings
from ar_risk.runner import PipelineError, airflow_env, prepare_airflow, run_dag
from ar_risk.transform.dbt import dbt_paths

from conftest import settings_for

pytestmark = pytest.mark.e2e
AS_OF = dt.date(2026, 10, 31)
# Seven dates would be the issue's example; two are the fewest that still run the backfill
# out of order (the newest first, then the older one and the newest again) and keep this file
# within its time budget (each date is a dbt build and a scoring run, about 15-25 s at XS on
# 2 cores, for each of the two paths). AR_TEST_BACKFILL_DAYS=7 runs the full week.
BACKFILL_DAYS = int(os.environ.get("AR_TEST_BACKFILL_DAYS", "2"))


@pytest.fixture(scope="session")
def demo_settings(request):
    return session_demo_settings(request)


def copy_demo_home(demo: Settings, target: Path) -> Settings:
    """A copy of the demo's AR_HOME: landing, warehouse, publication, dbt target.

    Not its Airflow home: airflow.cfg there names the demo's own SQLite metadata file, so each
    copy gets a new one (ar_risk.runner.prepare_airflow).
    """
    ignore = shutil.ignore_patterns("airflow", "mlflow", "reports", "logs")
    shutil.copytree(demo.home, target, ignore=ignore)
    return settings_for(target, AR_MLFLOW_DIR=str(demo.mlflow_dir))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def airflow_metadata(tmp_path_factory) -> str:
    """One migrated SQLite metadata database (with the warehouse pool) for this file's Airflow runs.

    `airflow db migrate` on a new SQLite file takes 10-20 s; the tests' runs have their own
    run ids, so they can share one.
    """
    settings = settings_for(tmp_path_factory.mktemp("airflow_metadata"))
    prepare_airflow(settings)
    return f"sqlite:///{settings.airflow_home / 'airflow.db'}"


@pytest.fixture
def home(tmp_path, demo_settings, airflow_metadata, monkeypatch) -> Settings:
    settings = copy_demo_home(demo_settings, tmp_path / "ar_home")
    # What the runner's Airflow processes read (ar_risk.runner.airflow_env copies the environment).
    monkeypatch.setenv("AR_MLFLOW_DIR", str(demo_settings.mlflow_dir))
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", airflow_metadata)
    return settings


def test_killed_dbt_build_keeps_the_publication_and_the_next_run_equals_a_clean_run(home, demo_settings):
    serving_before = sha256(home.serving_path)
    dbt_log = dbt_paths(home)["logs"] / "dbt.log"
    log_size = dbt_log.stat().st_size if dbt_log.exists() else 0
    cmd = [str(BIN / "airflow"), "dags", "test", "ar_transform", "--conf", json.dumps({"as_of_date": str(AS_OF)})]
    out = home.home / "ar_transform_killed.log"
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            cmd, env=airflow_env(home), stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        # Wait until dbt is running models (its log says "START"), then a little longer.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if dbt_log.exists() and b" START " in dbt_log.read_bytes()[log_size:]:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "ar_transform ended before dbt started:\n" + out.read_text()[-3000:]
        assert dbt_log.exists() and b" START " in dbt_log.read_bytes()[log_size:], "dbt never started"
        time.sleep(2)
        os.killpg(proc.pid, signal.SIGKILL)  # the task, its dbt child, everything of the group
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert b"Completed successfully" not in dbt_log.read_bytes()[log_size:], "dbt finished before the kill"

    # The publication BI reads is byte for byte the one before, and opens.
    assert sha256(home.serving_path) == serving_before
    marts, manifest = marts_and_manifest(home.serving_path)
    assert manifest and {t: n for _, _, t, n in manifest} == {t: len(rows) for t, rows in marts.items()}

    # The next run of the chain (the task's retry, or the next day's schedule) succeeds ...
    for dag_id in ("ar_transform", "ar_score", "ar_collections", "ar_publish"):
        run_dag(home, dag_id, AS_OF)  # raises PipelineError naming the DAG if it fails
    # ... and publishes exactly what the clean run published for the same date.
    after, manifest_after = marts_and_manifest(home.serving_path)
    clean, _ = marts_and_manifest(demo_settings.serving_path)
    assert_same_marts(after, clean, "run after the killed build vs the clean run")
    assert {as_of for _, as_of, _, _ in manifest_after} == {AS_OF}


# A BI reader in its own process (DuckDB shares one open database per file within a process,
# so the session held open and the fresh connections must be two processes, as two BI users are).
READER = textwrap.dedent(
    """
    import json, os, sys, time
    import duckdb

    serving, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    stop = out + ".stop"

    def snapshot(con):
        manifest = con.execute("SELECT run_id, table_name, row_count FROM meta.publication").fetchall()
        runs = sorted({r[0] for r in manifest})
        counts = {t: con.execute(f'SELECT count(*) FROM marts."{t}"').fetchone()[0] for _, t, _ in manifest}
        whole = len(runs) == 1 and all(counts[t] == n for _, t, n in manifest)
        return {"mode": mode, "runs": runs, "whole": whole, "open_items": counts.get("fct_ar_open_items")}

    deadline = time.monotonic() + 300
    with open(out, "w") as log:
        if mode == "held":  # a BI session that stays open across the swap
            con = duckdb.connect(serving, read_only=True)
            log.write(json.dumps(snapshot(con)) + "\\n")
            print("ready", flush=True)
            while not os.path.exists(stop) and time.monotonic() < deadline:
                time.sleep(0.2)
            log.write(json.dumps(snapshot(con)) + "\\n")
        else:  # a new connection per query, as a BI tool opens one
            print("ready", flush=True)
            while not os.path.exists(stop) and time.monotonic() < deadline:
                con = duckdb.connect(serving, read_only=True)
                try:
                    log.write(json.dumps(snapshot(con)) + "\\n")
                finally:
                    con.close()
                log.flush()
    """
)


def test_a_bi_reader_sees_the_old_or_the_new_publication_never_a_mix(home, tmp_path):
    old_run = {r[0] for r in marts_and_manifest(home.serving_path)[1]}
    # The next publication differs from the current one: half the open items leave the marts.
    con = duckdb.connect(str(home.warehouse_path))
    con.execute("DELETE FROM marts.fct_ar_open_items WHERE hash(invoice_id) % 2 = 0")
    con.close()
    readers = {}
    try:
        for mode in ("held", "fresh"):
            readers[mode] = subprocess.Popen(
                [sys.executable, "-c", READER, str(home.serving_path), str(tmp_path / f"{mode}.jsonl"), mode],
                stdout=subprocess.PIPE, text=True, start_new_session=True,
            )  # fmt: skip
            assert readers[mode].stdout.readline().strip() == "ready"
        result = run_dag(home, "ar_publish", AS_OF)  # raises PipelineError if the run fails
        time.sleep(1)  # a few reads of the new file
        for mode in readers:
            Path(tmp_path / f"{mode}.jsonl.stop").touch()
        for reader in readers.values():
            reader.wait(timeout=60)
    finally:
        for reader in readers.values():
            if reader.poll() is None:
                os.killpg(reader.pid, signal.SIGKILL)
                reader.wait(timeout=30)
    assert result.dag_id == "ar_publish"
    new_run = {r[0] for r in marts_and_manifest(home.serving_path)[1]}
    assert new_run != old_run

    def seen(mode):
        return [json.loads(line) for line in (tmp_path / f"{mode}.jsonl").read_text().splitlines() if line.strip()]

    reads, held = seen("fresh"), seen("held")
    assert len(reads) > 10, "the reader did not read during the run"
    assert all(s["whole"] for s in reads + held), [s for s in reads + held if not s["whole"]][:3]
    runs = [tuple(s["runs"]) for s in reads]
    assert set(runs) == {tuple(old_run), tuple(new_run)}, "the reader must see the old and then the new one"
    first_new = runs.index(tuple(new_run))
    assert all(r == tuple(new_run) for r in runs[first_new:]), "after the swap the old publication came back"
    counts = {tuple(s["runs"]): s["open_items"] for s in reads}
    assert counts[tuple(new_run)] < counts[tuple(old_run)]
    # The session held open across the swap still reads the old publication, whole.
    assert [tuple(s["runs"]) for s in held] == [tuple(old_run)] * 2


def _run_day(settings: Settings, as_of: dt.date, *, publish: bool) -> None:
    """One day of the pipeline after extraction, as ar_transform, ar_score, ar_collections and ar_publish run it."""
    from ar_risk_ml.score import score

    from ar_risk.collections.build import build_collections
    from ar_risk.publish.serving import publish_marts
    from ar_risk.transform.dbt import build, build_score_marts

    build(settings, as_of)
    score(settings, as_of)
    build_score_marts(settings, as_of)  # ar_score's second task
    build_collections(settings, as_of)  # ar_collections
    if publish:
        publish_marts(settings, run_id=f"test__{as_of}", as_of_date=as_of)


# Alerts (sent once per event) and strategy_effectiveness read the earlier dates' rows, so a
# backfill runs every date from the first missing one up to the newest, in date order, the newest
# again included (docs/collections.md, "Backfills"). The collections build refuses a date the
# warehouse was not last built for.
COLLECTIONS_MARTS = {"alerts", "collection_worklist", "owner_daily_digest", "strategy_effectiveness"}
_paths: dict[str, object] = {}


def backfill_and_daily_marts(tmp_path_factory, demo: Settings) -> tuple[dict, dict, set, list]:
    """Both paths, built once for the two tests below: backfill marts, daily marts, history dates, dates."""
    if "result" not in _paths:
        tmp_path = tmp_path_factory.mktemp("backfill")
        dates = [AS_OF - dt.timedelta(days=n) for n in range(BACKFILL_DAYS, 0, -1)]  # the days before the demo's
        daily = copy_demo_home(demo, tmp_path / "daily")
        for day in dates:  # as the schedule ran them: one a day, each published
            _run_day(daily, day, publish=True)
        # The operator was away: today's run (the newest date) happened first; the backfill then
        # runs the missing days and the newest again, oldest first, and publishes the newest.
        backfill = copy_demo_home(demo, tmp_path / "backfill")
        _run_day(backfill, dates[-1], publish=True)
        for day in dates:
            _run_day(backfill, day, publish=day == dates[-1])
        con = duckdb.connect(str(daily.serving_path), read_only=True)
        history = {r[0] for r in con.execute("SELECT DISTINCT as_of_date FROM marts.fct_ar_open_items").fetchall()}
        con.close()
        _paths["result"] = (marts_and_manifest(backfill.serving_path)[0], marts_and_manifest(daily.serving_path)[0],
                            history, dates)  # fmt: skip
    return _paths["result"]


def test_a_backfill_of_past_dates_equals_the_daily_runs(tmp_path_factory, demo_settings):
    backfill, daily, history, dates = backfill_and_daily_marts(tmp_path_factory, demo_settings)
    # Every as-of table keeps its history: each of the dates (and the demo's own day) is there.
    assert history == {*dates, AS_OF}
    core = sorted(set(daily) - COLLECTIONS_MARTS)
    assert_same_marts({t: backfill[t] for t in core}, {t: daily[t] for t in core},
                      f"backfill of {len(dates)} dates vs daily runs")  # fmt: skip


def test_a_backfill_gives_the_daily_collections_marts(tmp_path_factory, demo_settings):
    backfill, daily, _, _ = backfill_and_daily_marts(tmp_path_factory, demo_settings)
    assert set(daily) >= COLLECTIONS_MARTS, "the collections marts are published"
    marts = sorted(COLLECTIONS_MARTS)
    assert_same_marts({t: backfill[t] for t in marts}, {t: daily[t] for t in marts}, "collections marts")
    assert daily["alerts"] and daily["collection_worklist"], "the comparison is not between empty tables"


def test_source_database_down_retries_then_fails_naming_it_and_alerts(home, monkeypatch):
    port = closed_port()
    sources = home.home / "sources.down.yml"
    sources.write_text(
        "sources:\n  - name: erp\n    kind: database\n    conn_id: ar_down_erp\n    schema: public\n    tables: erp\n"
    )
    monkeypatch.setenv("AIRFLOW_CONN_AR_DOWN_ERP", f"postgres://ar_reader@127.0.0.1:{port}/erp")
    monkeypatch.setenv("AR_SOURCES_FILE", str(sources))
    monkeypatch.setenv("AR_HOME", str(home.home))
    monkeypatch.setenv("AR_TASK_RETRIES", "2")
    monkeypatch.setenv("AR_TASK_RETRY_DELAY_SECONDS", "1")
    settings = settings_for(home.home, AR_SOURCES_FILE=str(sources))
    serving_before = sha256(home.serving_path)
    # The home is shared with the module's other tests: only this run's alerts count.
    (home.home / "alerts" / "task_alerts.jsonl").unlink(missing_ok=True)

    with pytest.raises(PipelineError) as failure:
        run_dag(settings, "ar_extract", AS_OF)
    message = str(failure.value)
    assert "DAG ar_extract failed" in message
    assert f"source database unreachable: connection 'ar_down_erp' at 127.0.0.1:{port}" in message

    alerts = [json.loads(line) for line in (home.home / "alerts" / "task_alerts.jsonl").read_text().splitlines()]
    assert [a["event"] for a in alerts] == ["retry", "retry", "failed"], alerts
    final = alerts[-1]
    assert (final["dag_id"], final["task_id"], final["as_of_date"]) == ("ar_extract", "extract_sources", str(AS_OF))
    assert final["try_number"] == 3
    assert "SourceUnavailableError" in final["error"] and "'ar_down_erp'" in final["error"]
    assert sha256(home.serving_path) == serving_before  # nothing published
