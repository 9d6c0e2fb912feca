"""MLflow tracking and registry: where runs go, and the champion everyone scores with."""

from __future__ import annotations

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from ar_risk.config import Settings
from ar_risk_ml import MODEL_NAME
from ar_risk_ml.errors import NoChampionError

EXPERIMENT = "ar_overdue_probability"
CHAMPION, CHALLENGER = "champion", "challenger"


def use_mlflow(settings: Settings) -> MlflowClient:
    """Point MLflow at the tracking store: AR_MLFLOW_TRACKING_URI's server, else SQLite under $AR_HOME/mlflow."""
    settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.mlflow_tracking_uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        # A tracking server keeps the artifacts itself (its artifact store); the SQLite store beside them.
        local = None if settings.mlflow_server_uri else (settings.mlflow_dir / "artifacts").as_uri()
        mlflow.create_experiment(EXPERIMENT, artifact_location=local)
    mlflow.set_experiment(EXPERIMENT)
    return MlflowClient()


def champion_version(client: MlflowClient):
    """The champion's ModelVersion, or None when there is none yet."""
    try:
        return client.get_model_version_by_alias(MODEL_NAME, CHAMPION)
    except MlflowException:
        return None


def load_champion(settings: Settings):
    """(pyfunc model, ModelVersion) of the champion; NoChampionError names the fix."""
    client = use_mlflow(settings)
    version = champion_version(client)
    if version is None:
        raise NoChampionError(
            f"registered model {MODEL_NAME!r} has no version with alias {CHAMPION!r} "
            f"in {settings.mlflow_tracking_uri}: run the ar_retrain DAG (or `ar-risk train`) first; "
            "scores are never published from a stale or missing model"
        )
    return mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@{CHAMPION}"), version
