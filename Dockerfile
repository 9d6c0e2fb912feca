# syntax=docker/dockerfile:1
# The one image of the deployment (docker-compose.yml): Airflow (api-server, scheduler,
# dag-processor, triggerer, Celery workers), dbt, Great Expectations and the MLflow server,
# all from uv.lock exactly as `make install` installs them. Packages come only from the lock
# (`uv sync --frozen`), never from _PIP_ADDITIONAL_REQUIREMENTS at container start.
FROM python:3.11-slim-bookworm

# tini reaps the task processes Airflow and Celery fork, and forwards signals (warm shutdown).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

# The same uv as the Makefile bootstraps; bytecode compiled once at build, like `make install`.
RUN pip install --no-cache-dir uv==0.13.9
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/ar-risk/.venv

WORKDIR /opt/ar-risk
# Dependencies first (a layer that changes only with the lock), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN uv sync --frozen --no-dev

# uid 50000, group 0: the official Airflow image's convention, so volumes work the same way.
# The mount points exist in the image with this owner, so new named volumes get it too.
RUN useradd --uid 50000 --gid 0 --home-dir /opt/airflow --create-home airflow \
    && mkdir -p /data /opt/airflow/auth /mlflow/artifacts \
    && chown -R 50000:0 /data /opt/airflow /mlflow
ENV PATH=/opt/ar-risk/.venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AR_HOME=/data \
    PYTHONUNBUFFERED=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    DO_NOT_TRACK=1 \
    OMP_WAIT_POLICY=PASSIVE
USER 50000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["airflow", "version"]
