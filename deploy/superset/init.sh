#!/bin/bash
# Superset's first start: metadata schema, the admin user, roles, and the connection to the
# publication. A new DuckDB connection per query (Superset's default for this dialect) sees
# the newest publication after each atomic swap; read_only so BI can never lock or write it.
set -euo pipefail
superset db upgrade
superset fab create-admin --username admin --firstname AR --lastname Admin \
    --email admin@example.invalid --password "$SUPERSET_ADMIN_PASSWORD" || true
superset init
superset set-database-uri --database_name "AR risk publication" \
    --uri "duckdb:////data/serving.duckdb?access_mode=read_only"
exec /usr/bin/run-server.sh
