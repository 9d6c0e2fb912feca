"""The environment installs from uv.lock only, and the stack is the one the docs promise."""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def test_lockfile_is_in_sync_with_pyproject():
    uv = shutil.which("uv") or str(PROJECT / ".tools/uv/bin/uv")  # see the Makefile's bootstrap
    proc = subprocess.run([uv, "lock", "--check"], cwd=PROJECT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"uv.lock is out of date with pyproject.toml: run `uv lock`\n{proc.stderr}"


def test_lockfile_uses_only_pypi():
    lock = (PROJECT / "uv.lock").read_text()
    registries = {line.split('registry = "')[1].split('"')[0] for line in lock.splitlines() if 'registry = "' in line}
    assert registries == {"https://pypi.org/simple"}


@pytest.mark.parametrize(
    ("distribution", "prefix"),
    [
        ("apache-airflow", "3."),
        ("dbt-core", "1.11."),
        ("dbt-duckdb", "1.11."),
        ("dbt-postgres", "1.11."),
        ("great-expectations", "1."),
        ("mlflow", "3."),
        ("pandas", "3."),
        ("scikit-learn", "1."),
    ],
)
def test_pinned_stack_versions(distribution, prefix):
    assert version(distribution).startswith(prefix), f"{distribution} {version(distribution)} is not {prefix}x"


@pytest.mark.parametrize(
    "module",
    [
        "airflow.sdk",
        "airflow.providers.postgres.hooks.postgres",
        "airflow.providers.mysql.hooks.mysql",
        "mysql.connector",
        "openpyxl",
        "dbt.cli.main",
        "duckdb",
        "great_expectations",
        "mlflow",
        "pandas",
        "pyarrow",
        "sklearn",
        "ar_risk",
    ],
)
def test_every_package_imports(module):
    importlib.import_module(module)


def test_mysqlclient_is_not_installed():
    """The MySQL provider runs on mysql-connector-python; the C client is overridden away (docs/decisions.md)."""
    assert importlib.util.find_spec("MySQLdb") is None
