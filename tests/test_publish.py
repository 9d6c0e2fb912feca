"""Publication is atomic: readers see the old or the new file, and failures change nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import pytest

from ar_risk.publish import serving
from ar_risk.publish.serving import PublicationError, connect_serving, publish_marts

AS_OF = dt.date(2026, 3, 31)


def _warehouse_with_marts(settings, rows: list[tuple[str, float]]) -> None:
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute("CREATE OR REPLACE TABLE marts.fct_example (invoice_id VARCHAR, open_amount DECIMAL(18,2))")
    con.executemany("INSERT INTO marts.fct_example VALUES (?, ?)", rows)
    con.execute("CREATE OR REPLACE TABLE marts.dim_example AS SELECT 'x' AS code")
    con.close()


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publishes_every_marts_table_sorted_with_a_manifest(tiny_settings):
    _warehouse_with_marts(tiny_settings, [("I2", 5.0), ("I1", 3.0)])
    publication = publish_marts(tiny_settings, run_id="run-1", as_of_date=AS_OF)
    assert publication.row_counts == {"dim_example": 1, "fct_example": 2}
    con = connect_serving(tiny_settings)
    assert con.execute("SELECT invoice_id FROM marts.fct_example").fetchall() == [("I1",), ("I2",)]
    manifest = con.execute(
        "SELECT run_id, as_of_date, table_name, row_count FROM meta.publication ORDER BY 3"
    ).fetchall()
    assert manifest == [("run-1", AS_OF, "dim_example", 1), ("run-1", AS_OF, "fct_example", 2)]
    con.close()
    assert not list(tiny_settings.serving_path.parent.glob(".*.tmp*"))


def test_a_failure_mid_publication_leaves_the_previous_one_untouched(tiny_settings, monkeypatch):
    _warehouse_with_marts(tiny_settings, [("I1", 3.0)])
    publish_marts(tiny_settings, run_id="run-1", as_of_date=AS_OF)
    before = _digest(tiny_settings.serving_path)

    _warehouse_with_marts(tiny_settings, [("I1", 3.0), ("I9", 9.0)])

    def crash(*_args, **_kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(serving.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        publish_marts(tiny_settings, run_id="run-2", as_of_date=AS_OF)
    assert _digest(tiny_settings.serving_path) == before
    assert not list(tiny_settings.serving_path.parent.glob(".*.tmp*"))  # no half-built file left behind


def test_an_empty_warehouse_is_a_clear_error_and_publishes_nothing(tiny_settings):
    duckdb.connect(str(tiny_settings.warehouse_path)).close()
    with pytest.raises(PublicationError, match="has no tables in schema 'marts': run the transform DAG"):
        publish_marts(tiny_settings, run_id="run-1", as_of_date=AS_OF)
    assert not tiny_settings.serving_path.exists()


def test_a_reader_holding_the_old_file_keeps_a_consistent_view(tiny_settings):
    _warehouse_with_marts(tiny_settings, [("I1", 3.0)])
    publish_marts(tiny_settings, run_id="run-1", as_of_date=AS_OF)
    reader = connect_serving(tiny_settings)  # a BI tool with the file open

    _warehouse_with_marts(tiny_settings, [("I1", 3.0), ("I9", 9.0)])
    publish_marts(tiny_settings, run_id="run-2", as_of_date=AS_OF)

    assert reader.execute("SELECT count(*) FROM marts.fct_example").fetchone()[0] == 1
    assert reader.execute("SELECT DISTINCT run_id FROM meta.publication").fetchall() == [("run-1",)]
    reader.close()
    fresh = connect_serving(tiny_settings)
    assert fresh.execute("SELECT count(*) FROM marts.fct_example").fetchone()[0] == 2
    fresh.close()
