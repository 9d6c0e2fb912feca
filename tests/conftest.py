"""Shared fixtures: isolated AR_HOME folders, the hand-made landing set, one demo run per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

# Airflow reads its configuration on import: give the test session its own
# home so nothing is written to ~/airflow, and no example DAGs are loaded.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ar_test_airflow_"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
# Idle OpenMP threads sleep, not spin (ar_risk_ml/__init__.py): set before any test imports scikit-learn.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
from pathlib import Path

import pytest

from ar_risk.config import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"
TINY_LANDING = FIXTURES / "landing_tiny"
AR_RISK = str(Path(sys.executable).with_name("ar-risk"))


def settings_for(home: Path, **overrides: str) -> Settings:
    """Settings for a throwaway AR_HOME; nothing outside it is written."""
    env = {"AR_HOME": str(home), **overrides}
    return load_settings(env)


@pytest.fixture
def ar_home(tmp_path: Path) -> Path:
    home = tmp_path / "ar_home"
    home.mkdir()
    return home


@pytest.fixture
def tiny_settings(ar_home: Path) -> Settings:
    """Settings whose landing folder holds a copy of fixtures/landing_tiny."""
    shutil.copytree(TINY_LANDING, ar_home / "landing")
    return settings_for(ar_home)


def ar_risk(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run the `ar-risk` command (what the Makefile calls) with a clean AR_/AIRFLOW environment."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AR_", "AIRFLOW"))}
    environment.update({"AR_HOME": str(home), **env})
    return subprocess.run([AR_RISK, *args], env=environment, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> tuple[Settings, str]:
    """`ar-risk demo` (XS, seed 11) through the real DAGs, once per session: (settings, stdout).

    The slowest fixture of the suite (about a minute, most of it Airflow start-up); the end-to-end
    tests and the report tests share it. Tests that change its home say so.
    """
    home = tmp_path_factory.mktemp("demo_home")
    proc = ar_risk(home, "demo", "--scale", "XS", "--seed", "11")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return settings_for(home), proc.stdout
