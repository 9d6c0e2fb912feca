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


# Where the local SQLite store keeps absolute artifact URIs (MLflow 3.17 schema): every
# one of them points under the artifacts folder of the home that wrote it.
_ARTIFACT_URI_COLUMNS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("logged_models", "artifact_location"),
    ("model_versions", "storage_location"),
    ("model_versions", "source"),
    ("trace_tags", "value"),
)


def _artifacts_uri(settings: Settings) -> str:
    return (settings.mlflow_dir / "artifacts").as_uri()


def open_local_store(settings: Settings) -> None:
    """Make the SQLite store under ``mlflow_dir`` point at its own artifacts folder.

    MLflow stores absolute artifact URIs (experiment, runs, logged models, model versions):
    an AR_HOME copied or moved elsewhere would load models from, and log runs into, the old
    place. So on every open, URIs under the artifacts folder the store was last opened with
    are rewritten to the current one (a no-op when nothing moved). A new store is created
    here, not by MLflow's client, so that its Default experiment (id 0) is under the home
    (``artifacts/0``) and not ``./mlruns`` of whatever the working directory was.
    """
    import sqlite3

    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    artifacts = _artifacts_uri(settings)
    database = settings.mlflow_dir / "mlflow.db"
    if not database.exists():
        SqlAlchemyStore(settings.mlflow_tracking_uri, artifacts)  # creates the tables and experiment 0
        return
    con = sqlite3.connect(database)
    try:
        with con:
            tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "experiments" not in tables:
                return
            row = con.execute("SELECT artifact_location FROM experiments WHERE name = ?", [EXPERIMENT]).fetchone()
            previous = row[0] if row else None
            if previous and previous != artifacts:
                for table, column in _ARTIFACT_URI_COLUMNS:
                    if table in tables:
                        con.execute(
                            f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                            f"WHERE {column} = ? OR substr({column}, 1, ?) = ?",
                            [artifacts, len(previous) + 1, previous, len(previous) + 1, previous + "/"],
                        )
            # The Default experiment: under the home, whatever created the store (checked first: a
            # daily open of an unmoved store writes nothing).
            default = con.execute("SELECT artifact_location FROM experiments WHERE experiment_id = 0").fetchone()
            if default and default[0] != f"{artifacts}/0":
                con.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0", [f"{artifacts}/0"])
    finally:
        con.close()


def use_mlflow(settings: Settings) -> MlflowClient:
    """Point MLflow at the tracking store: AR_MLFLOW_TRACKING_URI's server, else SQLite under $AR_HOME/mlflow."""
    settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
    if not settings.mlflow_server_uri:
        open_local_store(settings)
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.mlflow_tracking_uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        # A tracking server keeps the artifacts itself (its artifact store); the SQLite store beside them.
        local = None if settings.mlflow_server_uri else _artifacts_uri(settings)
        mlflow.create_experiment(EXPERIMENT, artifact_location=local)
    mlflow.set_experiment(EXPERIMENT)
    return MlflowClient()


def champion_version(client: MlflowClient, model_name: str = MODEL_NAME):
    """The champion's ModelVersion, or None when there is none yet."""
    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None


def load_champion(settings: Settings, model_name: str = MODEL_NAME):
    """(pyfunc model, ModelVersion) of the champion; NoChampionError names the fix."""
    client = use_mlflow(settings)
    version = champion_version(client, model_name)
    if version is None:
        raise NoChampionError(
            f"registered model {model_name!r} has no version with alias {CHAMPION!r} "
            f"in {settings.mlflow_tracking_uri}: run the ar_retrain DAG (or `ar-risk train`) first; "
            "scores are never published from a stale or missing model"
        )
    return mlflow.pyfunc.load_model(f"models:/{model_name}@{CHAMPION}"), version
