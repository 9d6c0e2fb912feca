#!/bin/bash
# Runs once, when the postgres volume is new (docker-entrypoint-initdb.d): the Airflow metadata
# database is POSTGRES_DB; MLflow's backend store and Superset's metadata get their own
# databases and owners, so each service can be backed up or moved on its own.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v mlflow_password="$MLFLOW_DB_PASSWORD" -v superset_password="$SUPERSET_DB_PASSWORD" <<'SQL'
CREATE ROLE mlflow LOGIN PASSWORD :'mlflow_password';
CREATE DATABASE mlflow OWNER mlflow;
CREATE ROLE superset LOGIN PASSWORD :'superset_password';
CREATE DATABASE superset OWNER superset;
SQL
