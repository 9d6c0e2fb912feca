from __future__ import annotations

import datetime as dt

import pytest

from ar_risk.config import ConfigError, load_settings, resolve_as_of_date


def test_defaults_live_under_ar_home(tmp_path):
    s = load_settings({"AR_HOME": str(tmp_path)})
    assert s.landing_dir == tmp_path / "landing"
    assert s.warehouse_path == tmp_path / "warehouse.duckdb"
    assert s.serving_path == tmp_path / "serving.duckdb"
    assert s.mlflow_dir == tmp_path / "mlflow"
    assert s.reporting_currency == "CNY"
    assert s.as_of_date is None


def test_overrides_are_honoured(tmp_path):
    s = load_settings(
        {
            "AR_HOME": str(tmp_path),
            "AR_LANDING_DIR": str(tmp_path / "exports"),
            "AR_AS_OF": "2026-06-30",
            "AR_REPORTING_CURRENCY": "usd",
        }
    )
    assert s.landing_dir == tmp_path / "exports"
    assert s.as_of_date == dt.date(2026, 6, 30)
    assert s.reporting_currency == "USD"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("AR_AS_OF", "2026-13-01", "AR_AS_OF='2026-13-01' is not a date"),
        ("AR_AS_OF", "31/10/2026", "is not a date in the form YYYY-MM-DD"),
        ("AR_REPORTING_CURRENCY", "RMB1", "is not an ISO 4217 code"),
        ("AR_TIMEZONE", "Mars/Olympus", "is not an IANA time zone"),
        ("AR_DBT_THREADS", "0", "must be a whole number >= 1"),
        ("AR_DUCKDB_MEMORY_LIMIT", "lots", "must look like 4GB"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({"AR_HOME": str(tmp_path), name: value})


def test_as_of_resolution_order(tmp_path):
    s = load_settings({"AR_HOME": str(tmp_path), "AR_AS_OF": "2026-05-31"})
    logical = dt.datetime(2026, 7, 1, 20, 0, tzinfo=dt.UTC)  # 2026-07-02 04:00 in Shanghai
    assert resolve_as_of_date(s, requested="2026-01-31", upstream="2026-02-28") == dt.date(2026, 1, 31)
    assert resolve_as_of_date(s, upstream="2026-02-28", logical_date=logical) == dt.date(2026, 2, 28)
    assert resolve_as_of_date(s, logical_date=logical) == dt.date(2026, 5, 31)
    unset = load_settings({"AR_HOME": str(tmp_path)})
    assert resolve_as_of_date(unset, logical_date=logical) == dt.date(2026, 7, 2)
    assert resolve_as_of_date(unset) == unset.today()
    with pytest.raises(ConfigError, match="as_of_date='yesterday'"):
        resolve_as_of_date(unset, requested="yesterday")


def test_readme_configuration_table_lists_every_setting():
    import re
    from pathlib import Path

    import ar_risk.config as config

    project = Path(__file__).resolve().parents[1]
    read_in_code = set(re.findall(r'"((?:AR_|AIRFLOW_HOME)[A-Z_]*)"', Path(config.__file__).read_text()))
    # Settings read outside config.py: environ lookups in the packages, env_var() in the dbt profile.
    # (AR_AS_OF_DATE is the runner's hand-over to dbt, not a setting.)
    for path in [*(project / "include").rglob("*.py"), *(project / "models_ml").rglob("*.py")]:
        read_in_code |= set(re.findall(r'environ(?:\.get\(|\[)"(AR_[A-Z_]+)"', path.read_text(encoding="utf-8")))
    profile = (project / "dbt_project" / "profiles.yml").read_text()
    read_in_code |= set(re.findall(r"env_var\('(AR_[A-Z_]+)'", profile))
    readme = (project / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))
    assert len(read_in_code) >= 10, read_in_code  # the regex found the settings
    assert documented == read_in_code
