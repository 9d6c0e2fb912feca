"""Shared fixtures: isolated AR_HOME folders, the hand-made landing set, one demo run per session."""

from __future__ import annotations

import fcntl
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
# A first run's 12 month-ends of history cost a minute each demo: off in the suite, except where tested
# (tests/test_dbt_analytics.py, history from the first run).
os.environ.setdefault("AR_HISTORY_MONTH_ENDS", "0")
from pathlib import Path

import pytest

from ar_risk.config import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"
TINY_LANDING = FIXTURES / "landing_tiny"
AR_RISK = str(Path(sys.executable).with_name("ar-risk"))
# Passed on to the `ar-risk` subprocesses, which get a clean AR_ environment.
NO_HISTORY = {"AR_HISTORY_MONTH_ENDS": os.environ["AR_HISTORY_MONTH_ENDS"]}


# The slowest modules first (measured, docs/benchmarks.md), so that the two pytest-xdist
# workers of `make test` end together: each module runs whole on one worker
# (--dist loadscope), and the scheduler hands modules out in this order.
SLOW_MODULES_FIRST = (
    "test_ml_model.py",
    "test_failures.py",
    "test_collections_backtest.py",
    "test_end_to_end.py",
    "test_bad_inputs_operations.py",
    "test_required_tables_only.py",
    "test_deployment_celery.py",
    "test_deployment_mlflow.py",
    "test_dbt_postgres.py",
    "test_bad_inputs.py",
    "test_collections.py",
    "test_large_amounts.py",
    "test_lint.py",
    "test_extract_database.py",
    "test_report.py",
    "test_score_marts.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    rank = {name: i for i, name in enumerate(SLOW_MODULES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a module's own order stays


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
    environment.update({"AR_HOME": str(home), **NO_HISTORY, **env})
    return subprocess.run([AR_RISK, *args], env=environment, capture_output=True, text=True, check=False)


def _build_demo(home: Path) -> str:
    proc = ar_risk(home, "demo", "--scale", "XS", "--seed", "11")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _copy_home(source: Path, target: Path) -> None:
    """A copy of a built AR_HOME that runs on its own (its airflow.cfg is pointed at the copy
    by ar_risk.runner.prepare_airflow on the next run, as for any copied or moved home)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("run.lock"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> tuple[Settings, str]:
    """`ar-risk demo` (XS, seed 11) through the real DAGs, once per session: (settings, stdout).

    The slowest fixture of the suite (two to three minutes: Airflow start-up, the build and
    the first training); the end-to-end, report, backtest, failure and deployment tests share it.
    Tests that change its home say so. Under pytest-xdist (`make test`) the
    first worker that needs it builds it once, under a file lock, and every worker gets a copy
    of its own, so one worker's changes never reach another's tests.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    home = tmp_path_factory.mktemp("demo_home")
    if not worker:
        return settings_for(home), _build_demo(home)
    shared = tmp_path_factory.getbasetemp().parent / "demo_home_shared"
    with open(f"{shared}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "stdout.txt").exists():
            # built aside and moved into place whole: a build that failed or timed out leaves
            # nothing half-made for the next worker, which then builds afresh
            building = shared / f"building-{worker}-{os.getpid()}"
            stdout = _build_demo(building)
            building.rename(shared / "home")
            (shared / "stdout.txt").write_text(stdout.replace(str(building), str(shared / "home")))
    home.rmdir()
    _copy_home(shared / "home", home)
    # what the command printed, as if it had run in this copy (it names files of its home)
    return settings_for(home), (shared / "stdout.txt").read_text().replace(str(shared / "home"), str(home))


# ---- a real browser (the report and the UIs) ---------------------------------------------------

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
CJK_FONT_DIR = Path("/usr/share/fonts/truetype/wqy")  # without a CJK font the zh-CN screenshot shows boxes
BROWSER_PACKAGES = ("chromium", "chromium-driver", "fonts-wqy-zenhei")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking")


@pytest.fixture(scope="session")
def browser_installed() -> None:
    """Debian's chromium and chromedriver (and a CJK font), installed with apt-get if missing: never skipped."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists() and CJK_FONT_DIR.exists():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", *BROWSER_PACKAGES],
    ):
        proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=600)
        assert proc.returncode == 0, f"{' '.join(command)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), "apt-get installed no chromium / chromedriver"


@pytest.fixture
def browser(browser_installed, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()
