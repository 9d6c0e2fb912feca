"""Seed the deployment's demo source databases: the ERP in PostgreSQL, the CRM in MariaDB.

Run once by the `demo-seed` service of docker-compose.yml (and by hand with the same
environment). Generates the demo ERP/CRM data (scale DEMO_SCALE, seed DEMO_SEED) and loads
it through `ar_risk.demo.to_database.build_demo_databases`, as `ar-risk demo --source
databases` does on a workstation; writes $AR_HOME/sources.demo.yml, which the workers read
(AR_SOURCES_FILE). The admin connections come from AIRFLOW_CONN_AR_DEMO_POSTGRES_ADMIN and
AIRFLOW_CONN_AR_DEMO_MYSQL_ADMIN. A marker file makes a restart a no-op: the pipeline's
watermarks stay valid. Delete $AR_HOME/demo_source/.seeded to seed again from scratch.
"""

from __future__ import annotations

import os
import sys

from ar_risk.config import load_settings
from ar_risk.demo.generator import generate
from ar_risk.demo.to_database import build_demo_databases


def main() -> int:
    settings = load_settings()
    source_dir = settings.home / "demo_source"
    marker = source_dir / ".seeded"
    if marker.exists():
        print(f"demo sources already seeded ({marker.read_text().strip()}); nothing to do")
        return 0
    scale, seed = os.environ.get("DEMO_SCALE", "S"), int(os.environ.get("DEMO_SEED", "42"))
    result = generate(source_dir, scale=scale, seed=seed, file_format="parquet")
    demo = build_demo_databases(source_dir, settings.home)
    for conn_id, where in demo.where.items():
        print(f"{conn_id}: {where}")
    marker.write_text(f"scale {scale}, seed {seed}, as-of date {result.end_date}\n")
    print(f"{sum(demo.row_counts.values()):,} rows; sources file {demo.sources_file}; "
          f"the demo's as-of date is {result.end_date}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
