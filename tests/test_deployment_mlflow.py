"""The compose MLflow service's configuration, as a local process: a tracking server with its
backend store in PostgreSQL and served artifacts, used through AR_MLFLOW_TRACKING_URI.

A model registered through the server with the champion alias is what ar_score loads
(`ar_risk_ml.registry.load_champion`), from a process that has no access to the artifact
folder: the server serves it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest
from deploy_support import BIN, free_port, throwaway_pg_database

pytestmark = pytest.mark.e2e

CLIENT = textwrap.dedent(
    """
    import sys
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from ar_risk.config import load_settings
    from ar_risk_ml import MODEL_NAME
    from ar_risk_ml.registry import CHAMPION, EXPERIMENT, load_champion, use_mlflow

    settings = load_settings({"AR_HOME": sys.argv[1], "AR_MLFLOW_TRACKING_URI": sys.argv[2]})
    client = use_mlflow(settings)
    X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(LogisticRegression().fit(X, y), name="model",
                                        registered_model_name=MODEL_NAME)
    version = client.get_latest_versions(MODEL_NAME)[0].version
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    model, champion = load_champion(settings)
    print(mlflow.get_experiment_by_name(EXPERIMENT).artifact_location)
    print(champion.version, list(model.predict(np.array([[0.0], [3.0]]))))
    """
)


@pytest.fixture
def mlflow_server(tmp_path):
    port = free_port()
    artifacts = tmp_path / "server_artifacts"
    with throwaway_pg_database() as database:
        log = (tmp_path / "mlflow_server.log").open("wb")
        server = subprocess.Popen(
            [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--backend-store-uri", f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}",
             "--serve-artifacts", "--artifacts-destination", str(artifacts),
             "--allowed-hosts", f"127.0.0.1:{port},localhost:{port}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(240):
                try:
                    with urllib.request.urlopen(f"{url}/health", timeout=2):  # noqa: S310 (local server)
                        break
                except OSError:
                    assert server.poll() is None, (tmp_path / "mlflow_server.log").read_text()[-3000:]
                    time.sleep(0.5)
            else:
                pytest.fail("the MLflow server did not answer /health in 120 s")
            yield url, artifacts
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
            log.close()


def test_models_go_through_the_tracking_server(mlflow_server, tmp_path):
    url, artifacts = mlflow_server
    home = tmp_path / "worker_home"
    proc = subprocess.run(
        [sys.executable, "-c", CLIENT, str(home), url], capture_output=True, text=True, check=False, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    artifact_location, champion = proc.stdout.strip().splitlines()[-2:]
    # The server keeps the artifacts; the worker's own MLflow folder holds none.
    assert artifact_location.startswith("mlflow-artifacts:"), artifact_location
    assert any(p.name == "MLmodel" for p in artifacts.rglob("MLmodel"))
    assert not [p for p in (home / "mlflow").rglob("*") if p.is_file()]
    assert champion == "1 [np.int64(0), np.int64(1)]" or champion == "1 [0, 1]", champion
