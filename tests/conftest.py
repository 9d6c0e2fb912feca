"""Shared fixtures: isolated AR_HOME folders and the hand-made landing set."""

from __future__ import annotations

import os
import shutil
import tempfile

# Airflow reads its configuration on import: give the test session its own
# home so nothing is written to ~/airflow, and no example DAGs are loaded.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ar_test_airflow_"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
from pathlib import Path

import pytest

from ar_risk.config import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"
TINY_LANDING = FIXTURES / "landing_tiny"


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
