"""Publication is atomic: readers see the old or the new file, and failures change nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

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


# -- the PostgreSQL publication for BI tools (AR_BI_POSTGRES_URL) ------------------------------


@pytest.fixture
def bi_database():
    """A throwaway database on the local PostgreSQL, dropped afterwards (also when the test fails)."""
    import os
    import secrets

    import psycopg

    name = f"ar_test_db_bi_{os.getpid()}_{secrets.token_hex(3)}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _typed_warehouse(settings, invoices: list[str]) -> None:
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(
        """CREATE OR REPLACE TABLE marts.collection_worklist AS
           SELECT * FROM (VALUES
               (DATE '2026-03-31', 'C1', 1, 1234.56::DECIMAL(18, 2), TIMESTAMP '2026-04-01 09:30:00', true,
                ['a', 'b'], '陈明您好'))
           AS t(as_of_date, customer_id, worklist_rank, priority_score, contact_window_start_local, flag, codes,
                message_zh)"""
    )
    con.execute("CREATE OR REPLACE TABLE marts.fct_example (invoice_id VARCHAR)")
    con.executemany("INSERT INTO marts.fct_example VALUES (?)", [[i] for i in invoices])
    con.execute(
        "CREATE OR REPLACE TABLE marts.model_card AS "
        "SELECT DATE '2026-03-31' AS as_of_date, 'pd_default' AS target, '7' AS model_version"
    )
    con.close()


def _pg_rows(url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as con:
        return con.execute(sql).fetchall()


def test_postgres_publication_has_every_table_typed_and_the_manifest(tiny_settings, bi_database):
    from ar_risk.config import load_settings

    settings = load_settings({"AR_HOME": str(tiny_settings.home), "AR_BI_POSTGRES_URL": bi_database,
                              "AR_BI_POSTGRES_SCHEMA": "ar_bi_test"})  # fmt: skip
    _typed_warehouse(settings, ["I1", "I2"])
    publication = publish_marts(settings, run_id="run-1", as_of_date=AS_OF)
    assert publication.postgres_schema == "ar_bi_test" and publication.model_version == "pd_default:7"
    assert _pg_rows(bi_database, "SELECT invoice_id FROM ar_bi_test.fct_example ORDER BY 1") == [("I1",), ("I2",)]
    row = _pg_rows(bi_database, "SELECT * FROM ar_bi_test.collection_worklist")[0]
    assert row[:6] == (AS_OF, "C1", 1, Decimal("1234.56"), dt.datetime(2026, 4, 1, 9, 30), True)
    assert row[6:] == ('["a", "b"]', "陈明您好")
    columns = (
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'ar_bi_test' AND table_name = 'collection_worklist'"
    )
    types = dict(_pg_rows(bi_database, columns))
    assert types["priority_score"] == "numeric" and types["as_of_date"] == "date"
    manifest = _pg_rows(
        bi_database,
        "SELECT run_id, table_name, row_count, model_version, data_quality_status "
        "FROM ar_bi_test.meta_publication ORDER BY table_name",
    )
    assert manifest == [
        ("run-1", "collection_worklist", 1, "pd_default:7", "not_checked"),
        ("run-1", "fct_example", 2, "pd_default:7", "not_checked"),
        ("run-1", "model_card", 1, "pd_default:7", "not_checked"),
    ]


def test_postgres_publication_swaps_whole_and_a_failure_keeps_both_previous_publications(
    tiny_settings, bi_database, monkeypatch
):
    import psycopg

    from ar_risk.config import load_settings
    from ar_risk.publish import postgres

    env = {"AR_HOME": str(tiny_settings.home), "AR_BI_POSTGRES_URL": bi_database}
    settings = load_settings(env)
    _typed_warehouse(settings, ["I1"])
    publish_marts(settings, run_id="run-1", as_of_date=AS_OF)

    # A reader inside one transaction keeps its snapshot while the next run swaps the schema in.
    reader = psycopg.connect(bi_database)
    reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    assert reader.execute("SELECT count(*) FROM ar_bi.fct_example").fetchone() == (1,)
    reader.commit()
    _typed_warehouse(settings, ["I1", "I2", "I3"])
    publish_marts(settings, run_id="run-2", as_of_date=AS_OF)
    assert reader.execute("SELECT count(*) FROM ar_bi.fct_example").fetchone() == (3,)
    reader.close()
    schemas = {r[0] for r in _pg_rows(bi_database, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ar_bi%'")}
    assert schemas == {"ar_bi"}  # no incoming or previous schema left behind

    # The next run dies while loading PostgreSQL: nothing changes there, nor in serving.duckdb.
    before = _digest(settings.serving_path)
    _typed_warehouse(settings, ["I1", "I2", "I3", "I4"])

    def broken(_value):
        raise ValueError("cannot convert (simulated)")

    monkeypatch.setattr(postgres, "_cell", broken)
    with pytest.raises(ValueError, match="simulated"):
        publish_marts(settings, run_id="run-3", as_of_date=AS_OF)
    assert _pg_rows(bi_database, "SELECT DISTINCT run_id FROM ar_bi.meta_publication") == [("run-2",)]
    assert _pg_rows(bi_database, "SELECT count(*) FROM ar_bi.fct_example") == [(3,)]
    assert _digest(settings.serving_path) == before

    # An unreachable PostgreSQL is a clear error naming the target, without the password.
    monkeypatch.undo()
    unreachable = load_settings({**env, "AR_BI_POSTGRES_URL": "postgresql://bi:secret@127.0.0.1:9/bi"})
    with pytest.raises(postgres.PostgresPublicationError, match=r"bi:\*\*\*|//\*\*\*@127.0.0.1:9/bi") as error:
        publish_marts(unreachable, run_id="run-4", as_of_date=AS_OF)
    assert "secret" not in str(error.value)
    assert _digest(settings.serving_path) == before
