"""The deployment's executor path without Docker: CeleryExecutor on PostgreSQL and Redis.

docker-compose.yml runs Airflow's api-server, scheduler, dag-processor and Celery workers
against PostgreSQL (metadata) and Redis (broker). Here the same commands and settings
(deploy/airflow.env) run as local processes against the local services: a throwaway
metadata database, an empty Redis database as broker. The pipeline is started the way an
operator or an external scheduler starts it, through the REST API: trigger `ar_extract`
with an as-of date; the asset events start ar_transform, ar_score, ar_collections and ar_publish. The
test waits for ar_publish, checks that every task ran on the Celery worker in the one-slot
warehouse pool, and that the publication equals the one `airflow dags test` made from the
same data (the `demo_run` fixture).
"""

from __future__ import annotations

import datetime as dt
import shutil
import time

import pytest
from deploy_support import (
    LocalAirflowCluster,
    assert_same_marts,
    free_port,
    marts_and_manifest,
    session_demo_settings,
    throwaway_pg_database,
    throwaway_redis_db,
)

from ar_risk.config import WAREHOUSE_POOL

from conftest import settings_for

pytestmark = pytest.mark.e2e
AS_OF = dt.date(2026, 10, 31)
CHAIN = ("ar_extract", "ar_transform", "ar_score", "ar_collections", "ar_publish")


@pytest.fixture(scope="session")
def demo_settings(request):
    return session_demo_settings(request)


@pytest.fixture(scope="module")
def celery_cluster(tmp_path_factory, demo_settings):
    """A running cluster whose tasks read a copy of the demo's landing files and its MLflow champion."""
    work = tmp_path_factory.mktemp("celery_deploy")
    home = work / "ar_home"
    shutil.copytree(demo_settings.landing_dir, home / "landing")
    env = {
        "AR_HOME": str(home),
        # The champion the demo trained (scoring only reads it); ar_retrain is tested elsewhere.
        "AR_MLFLOW_DIR": str(demo_settings.mlflow_dir),
        "AR_DBT_THREADS": "1",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
    }
    with throwaway_pg_database() as metadata_db, throwaway_redis_db() as redis_db:
        cluster = LocalAirflowCluster(work, metadata_db=metadata_db, redis_db=redis_db, env=env)
        try:
            cluster.start()
            yield cluster, settings_for(home, AR_MLFLOW_DIR=str(demo_settings.mlflow_dir))
        finally:
            cluster.stop()


def _dag_runs(api, dag_id: str) -> list[dict]:
    return api.get(f"/api/v2/dags/{dag_id}/dagRuns?order_by=-run_after")["dag_runs"]


def test_the_pipeline_runs_on_celery_workers_through_the_rest_api(celery_cluster, demo_settings):
    cluster, settings = celery_cluster
    api = cluster.api
    started = time.monotonic()

    # The dag-processor has parsed the five DAGs into the metadata database.
    def parsed():
        dags = {d["dag_id"]: d for d in api.get("/api/v2/dags?dag_id_pattern=ar_&limit=50")["dags"]}
        ready = set(CHAIN) <= set(dags) and dags["ar_extract"].get("next_dagrun_logical_date")
        return dags if ready else None

    dags = cluster.wait_for(parsed, 180, "the dag-processor to parse the DAGs")
    assert all(dags[d]["is_paused"] for d in CHAIN), "deploy/airflow.env makes new DAGs start paused"
    assert api.get(f"/api/v2/pools/{WAREHOUSE_POOL}")["slots"] == 1

    for dag_id in CHAIN[1:]:  # asset-scheduled: they run only when the upstream asset has an event
        api.patch(f"/api/v2/dags/{dag_id}?update_mask=is_paused", {"is_paused": False})
    # The run takes the logical date of ar_extract's next scheduled run, so unpausing the
    # DAG does not also start that scheduled run (the scheduler finds the run already there).
    run = api.post(
        "/api/v2/dags/ar_extract/dagRuns",
        {
            "dag_run_id": "deploy_test",
            "logical_date": dags["ar_extract"]["next_dagrun_logical_date"],
            "conf": {"as_of_date": AS_OF.isoformat()},
        },
    )
    assert run["state"] == "queued"
    api.patch("/api/v2/dags/ar_extract?update_mask=is_paused", {"is_paused": False})

    def published():
        for dag_id in CHAIN:
            failed = [r["dag_run_id"] for r in _dag_runs(api, dag_id) if r["state"] == "failed"]
            assert not failed, f"{dag_id} run(s) {failed} failed:\n" + cluster.tail("celery-worker")
        runs = [r for r in _dag_runs(api, "ar_publish") if r["state"] == "success"]
        return runs[0] if runs else None

    publish_run = cluster.wait_for(published, 420, "ar_publish to succeed", interval=3)
    seconds = time.monotonic() - started

    # One run of each DAG, the downstream ones started by asset events, each task on the worker.
    worker_log = cluster.logs["celery-worker"].read_text(errors="replace")
    for dag_id in CHAIN:
        runs = _dag_runs(api, dag_id)
        assert [r["state"] for r in runs] == ["success"], f"{dag_id}: {runs}"
        if dag_id != "ar_extract":
            assert runs[0]["run_type"] == "asset_triggered"
        tis = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{runs[0]['dag_run_id']}/taskInstances")["task_instances"]
        for ti in tis:
            assert ti["state"] == "success", ti
            assert ti["queue"] == "default" and ti["hostname"], ti
            # The Celery worker received and finished this very task instance.
            assert ti["id"] in worker_log, f"{dag_id}.{ti['task_id']} did not run on the Celery worker"
        writers = {ti["task_id"] for ti in tis if ti["pool"] == WAREHOUSE_POOL}
        assert writers, f"{dag_id} has no task in the {WAREHOUSE_POOL} pool"

    marts, manifest = marts_and_manifest(settings.serving_path)
    assert {(run_id, as_of) for run_id, as_of, _, _ in manifest} == {(publish_run["dag_run_id"], AS_OF)}
    assert {t: n for _, _, t, n in manifest} == {t: len(rows) for t, rows in marts.items()}
    # The distributed path publishes exactly what `airflow dags test` published from the same data.
    demo_marts, _ = marts_and_manifest(demo_settings.serving_path)
    assert_same_marts(marts, demo_marts, "Celery run vs the airflow-dags-test run")
    print(f"pipeline through the REST API and Celery: {seconds:.0f}s")
