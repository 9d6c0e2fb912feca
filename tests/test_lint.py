"""Lint is part of the suite: ruff for Python, sqlfluff (dbt templater) for SQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=PROJECT, capture_output=True, text=True, check=False, env=env)


def test_ruff_check():
    proc = _run(str(BIN / "ruff"), "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format():
    proc = _run(str(BIN / "ruff"), "format", "--check", ".")
    assert proc.returncode == 0, "run `make format`:\n" + proc.stdout + proc.stderr


def test_sqlfluff_dbt_models_and_tests(tmp_path):
    # two processes: 66 s -> 37 s on an idle 2-core machine; in the suite the other worker may share the cores
    env = {**os.environ, "AR_WAREHOUSE_PATH": str(tmp_path / "lint.duckdb"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    sql_dirs = ("dbt_project/models", "dbt_project/tests")
    proc = _run(str(BIN / "sqlfluff"), "lint", *sql_dirs, "--nofail", "--processes", "2", "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    problems = [
        f"{f['filepath']}:{v['start_line_no']} {v['code']} {v['description']}" for f in report for v in f["violations"]
    ]
    assert report, "sqlfluff linted no files"
    assert problems == []
