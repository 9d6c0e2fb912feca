"""The dbt benchmark's `--raw-load direct` gives the raw schema the gated extraction gives."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import duckdb
import pytest

from ar_risk.contract import TABLES
from ar_risk.demo import generator
from ar_risk.extract.landing import LandingError, load_landing
from ar_risk.extract.raw_columns import METADATA_COLUMNS

from conftest import settings_for

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_dbt_build.py"
# Set when the rows are written, so it differs between two loads of the same files.
LOAD_TIME_COLUMNS = {"_loaded_at", "loaded_at", "validated_at", "quarantined_at"}


def _bench():
    spec = importlib.util.spec_from_file_location("bench_dbt_build", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raw_tables(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema = 'raw' ORDER BY table_name",
            [db],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, db: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
        [db, table],
    ).fetchall()


def test_direct_raw_load_matches_extraction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    homes = {"extract": tmp_path / "extract", "direct": tmp_path / "direct"}
    # Blocks of 100 customers: XS's 150 customers give two part files per document table, as
    # larger scales give many, so rows are numbered and files registered file by file.
    monkeypatch.setattr(generator, "BLOCK_CUSTOMERS", 100)
    generator.generate(homes["extract"] / "landing", scale="XS", seed=42, file_format="parquet")
    invoice_files = sorted((homes["extract"] / "landing" / "erp_invoices").glob("*.parquet"))
    assert len(invoice_files) == 2
    shutil.copytree(homes["extract"] / "landing", homes["direct"] / "landing")
    settings = {name: settings_for(home) for name, home in homes.items()}

    report = load_landing(settings["extract"], batch_id="bench")
    assert report.rows_quarantined == 0  # the demo data passes the gate whole
    rows = _bench().load_raw_direct(settings["direct"], batch_id="bench")
    assert set(rows) == set(TABLES)
    assert rows["erp_invoices"] > 10_000

    con = duckdb.connect()
    try:
        for name, s in settings.items():
            con.execute(f"ATTACH '{s.warehouse_path}' AS {name} (READ_ONLY)")
        tables = _raw_tables(con, "extract")
        assert tables == _raw_tables(con, "direct")
        assert set(TABLES) | {"_ingested_files", "_quarantine", "_validation_results"} <= set(tables)
        for table in tables:
            columns = _columns(con, "extract", table)
            assert columns == _columns(con, "direct", table), table
            names = [c for c, _ in columns]
            if table in TABLES:
                assert set(METADATA_COLUMNS) | {"is_deleted"} <= set(names), table
            if table == "_validation_results":
                # The gate's results: the direct load runs no gate, so it writes none.
                assert con.execute("SELECT count(*) FROM direct.raw._validation_results").fetchone()[0] == 0
                continue
            compared = ", ".join(f'"{c}"' for c in names if c not in LOAD_TIME_COLUMNS)
            counts = [con.execute(f"SELECT count(*) FROM {db}.raw.{table}").fetchone()[0] for db in homes]
            assert counts[0] == counts[1], table
            if table in TABLES:
                assert counts[0] == report.tables[table].rows_loaded == rows[table] > 0, table
            for a, b in (("extract", "direct"), ("direct", "extract")):
                (differing,) = con.execute(
                    f"SELECT count(*) FROM (SELECT {compared} FROM {a}.raw.{table} "
                    f"EXCEPT ALL SELECT {compared} FROM {b}.raw.{table})"
                ).fetchone()
                assert differing == 0, f"{table}: {differing} row(s) of {a} not in {b}"
        # Each file carries its own load time, as each extracted file does.
        assert con.execute(
            "SELECT count(DISTINCT _loaded_at), count(DISTINCT _source_file) FROM direct.raw.erp_invoices"
        ).fetchone() == (2, 2)
    finally:
        con.close()

    # Loading again changes nothing: every file is already in raw._ingested_files.
    assert _bench().load_raw_direct(settings["direct"], batch_id="again") == rows


def test_direct_raw_load_reads_parquet_only(tiny_settings) -> None:
    with pytest.raises(LandingError, match="Parquet only"):
        _bench().load_raw_direct(tiny_settings, batch_id="bench")
