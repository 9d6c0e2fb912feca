"""Settings: every knob is an ``AR_*`` environment variable with a default.

Read once per process with :func:`load_settings`; invalid values fail fast with
a message that names the variable. The README's configuration table lists the
same variables: keep the two in step.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ar_risk.errors import DataError

# The repository root: include/ar_risk/config.py -> parents[2]. Used for the
# project's own files (dbt project, DAGs), and for AR_HOME's default.
PROJECT_DIR = Path(__file__).resolve().parents[2]

# Every task that writes the DuckDB warehouse or the serving file runs in this
# one-slot Airflow pool: DuckDB allows one writer process per file.
WAREHOUSE_POOL = "ar_warehouse"

# The schema BI tools read, in the warehouse and in the published copy.
MARTS_SCHEMA = "marts"


EMAIL_MODES = ("dry_run", "send")
# One plain address: a field with several, a masked one (z***@x.com) or a name is not one.
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


class ConfigError(DataError, ValueError):
    """A setting has a value the pipeline cannot use."""


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_dir: Path
    warehouse_path: Path
    serving_path: Path
    mlflow_dir: Path
    reports_dir: Path
    airflow_home: Path
    as_of_date: dt.date | None  # None: the run's own date decides (see resolve_as_of_date)
    reporting_currency: str
    timezone: str
    csv_encoding: str
    dbt_target: str
    dbt_threads: int
    duckdb_memory_limit: str
    # The sources configuration (ar_risk.extract.sources); None: the landing folder only.
    sources_file: Path | None = None
    # A PostgreSQL database BI tools read, published beside serving.duckdb (None: not published there).
    bi_postgres_url: str | None = None
    bi_postgres_schema: str = "ar_bi"
    # An MLflow tracking server shared by every worker (http://mlflow:5000 in docker-compose.yml);
    # None: the SQLite store under mlflow_dir, for one machine.
    mlflow_server_uri: str | None = None
    # Month-ends of history a first run computes before its as-of date; None: the seed's
    # analytics_parameters.history_month_ends (12). 0 turns it off (the test suite does).
    history_month_ends: int | None = None
    # E-mail delivery (ar_risk.delivery): dry_run writes the outbox and .eml files only; send uses the
    # SMTP server of the Airflow connection email_conn_id. Messages come from email_from.
    email_mode: str = "dry_run"
    email_conn_id: str = "ar_smtp"
    email_from: str = "accounts.receivable@example.com"
    outbox_dir: Path | None = None  # None: home / "outbox"

    @property
    def outbox_path(self) -> Path:
        return self.outbox_dir or self.home / "outbox"

    @property
    def dbt_project_dir(self) -> Path:
        return PROJECT_DIR / "dbt_project"

    @property
    def dags_dir(self) -> Path:
        return PROJECT_DIR / "dags"

    @property
    def mlflow_tracking_uri(self) -> str:
        return self.mlflow_server_uri or f"sqlite:///{self.mlflow_dir / 'mlflow.db'}"

    def today(self) -> dt.date:
        """Today's date in the company's time zone."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    def dbt_env(self) -> dict[str, str]:
        """Environment variables the dbt profile reads (dbt_project/profiles.yml)."""
        return {
            "AR_WAREHOUSE_PATH": str(self.warehouse_path),
            "AR_DBT_TARGET": self.dbt_target,
            "AR_DBT_THREADS": str(self.dbt_threads),
            "AR_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
        }


def parse_date(value: str, what: str) -> dt.date:
    """Parse YYYY-MM-DD or fail with a message naming ``what``."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{what}={value!r} is not a date in the form YYYY-MM-DD") from None


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    raw = env.get(name, "").strip()
    return Path(raw).expanduser().resolve() if raw else default


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    home = _path(env, "AR_HOME", PROJECT_DIR / "data")

    as_of_raw = env.get("AR_AS_OF", "").strip()
    as_of = parse_date(as_of_raw, "AR_AS_OF") if as_of_raw and as_of_raw.lower() != "today" else None

    currency = env.get("AR_REPORTING_CURRENCY", "CNY").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(f"AR_REPORTING_CURRENCY={currency!r} is not an ISO 4217 code such as CNY or USD")

    timezone = env.get("AR_TIMEZONE", "Asia/Shanghai").strip()
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"AR_TIMEZONE={timezone!r} is not an IANA time zone such as Asia/Shanghai") from None

    encoding = env.get("AR_CSV_ENCODING", "utf-8").strip().lower()

    threads_raw = env.get("AR_DBT_THREADS", "2").strip()
    if not threads_raw.isdigit() or int(threads_raw) < 1:
        raise ConfigError(f"AR_DBT_THREADS={threads_raw!r} must be a whole number >= 1")

    memory_limit = env.get("AR_DUCKDB_MEMORY_LIMIT", "4GB").strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", memory_limit, flags=re.IGNORECASE):
        raise ConfigError(f"AR_DUCKDB_MEMORY_LIMIT={memory_limit!r} must look like 4GB or 512MB")

    history_raw = env.get("AR_HISTORY_MONTH_ENDS", "").strip()
    if history_raw and not (history_raw.isdigit() and int(history_raw) <= 60):
        raise ConfigError(f"AR_HISTORY_MONTH_ENDS={history_raw!r} must be a whole number from 0 to 60")
    mlflow_server = env.get("AR_MLFLOW_TRACKING_URI", "").strip() or None
    if mlflow_server is not None and not re.fullmatch(r"https?://\S+", mlflow_server):
        raise ConfigError(
            f"AR_MLFLOW_TRACKING_URI={mlflow_server!r} must be an MLflow server URL such as http://mlflow:5000"
        )

    email_mode = env.get("AR_EMAIL_MODE", "dry_run").strip().lower()
    if email_mode not in EMAIL_MODES:
        raise ConfigError(f"AR_EMAIL_MODE={email_mode!r} must be one of {', '.join(EMAIL_MODES)}")
    email_from = env.get("AR_EMAIL_FROM", "accounts.receivable@example.com").strip()
    if not EMAIL_ADDRESS.fullmatch(email_from):
        raise ConfigError(f"AR_EMAIL_FROM={email_from!r} is not an e-mail address such as ar@yourcompany.com")
    email_conn_id = env.get("AR_EMAIL_CONN_ID", "ar_smtp").strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", email_conn_id):
        raise ConfigError(f"AR_EMAIL_CONN_ID={email_conn_id!r} is not an Airflow connection id")

    return Settings(
        home=home,
        landing_dir=_path(env, "AR_LANDING_DIR", home / "landing"),
        warehouse_path=_path(env, "AR_WAREHOUSE_PATH", home / "warehouse.duckdb"),
        serving_path=_path(env, "AR_SERVING_PATH", home / "serving.duckdb"),
        mlflow_dir=_path(env, "AR_MLFLOW_DIR", home / "mlflow"),
        reports_dir=_path(env, "AR_REPORTS_DIR", home / "reports"),
        airflow_home=_path(env, "AIRFLOW_HOME", home / "airflow"),
        as_of_date=as_of,
        reporting_currency=currency,
        timezone=timezone,
        csv_encoding=encoding,
        dbt_target=env.get("AR_DBT_TARGET", "duckdb").strip(),
        dbt_threads=int(threads_raw),
        duckdb_memory_limit=memory_limit,
        sources_file=_path(env, "AR_SOURCES_FILE", None),
        bi_postgres_url=env.get("AR_BI_POSTGRES_URL", "").strip() or None,
        bi_postgres_schema=_bi_schema(env),
        mlflow_server_uri=mlflow_server,
        history_month_ends=int(history_raw) if history_raw else None,
        email_mode=email_mode,
        email_conn_id=email_conn_id,
        email_from=email_from,
        outbox_dir=_path(env, "AR_OUTBOX_DIR", home / "outbox"),
    )


def _bi_schema(env: Mapping[str, str]) -> str:
    schema = env.get("AR_BI_POSTGRES_SCHEMA", "ar_bi").strip()
    # The publication renames <schema>__incoming to <schema>: leave room for the suffix (63 bytes).
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", schema):
        raise ConfigError(
            f"AR_BI_POSTGRES_SCHEMA={schema!r} must be a lower-case PostgreSQL identifier of at most 41 characters"
        )
    return schema


def resolve_as_of_date(
    settings: Settings,
    *,
    requested: str | None = None,
    upstream: str | None = None,
    logical_date: dt.datetime | None = None,
) -> dt.date:
    """The as-of date of a run, first match wins.

    1. ``requested``: the run's ``as_of_date`` param (trigger conf, backfill);
    2. ``upstream``: the as-of date carried by the asset event that triggered
       this DAG, so transform and publish compute what extract loaded;
    3. ``AR_AS_OF``;
    4. the run's logical date in the company time zone (scheduled runs);
    5. today in the company time zone.
    """
    if requested:
        return parse_date(str(requested), "as_of_date")
    if upstream:
        return parse_date(str(upstream), "as_of_date (from the upstream asset event)")
    if settings.as_of_date is not None:
        return settings.as_of_date
    if logical_date is not None:
        return logical_date.astimezone(ZoneInfo(settings.timezone)).date()
    return settings.today()
