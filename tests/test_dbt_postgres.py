"""The same dbt project builds on PostgreSQL (dbt-postgres) and gives the same numbers as on DuckDB.

Demo data (scale XS) is extracted into DuckDB as usual, its raw tables are
copied into a throwaway PostgreSQL database on 127.0.0.1:5432, and `dbt build`
(models, data tests, unit tests) runs on both targets for the same as-of date.
Key mart numbers must agree to the cent. The database is dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from decimal import Decimal

import duckdb
import psycopg2
import pytest

from ar_risk.demo.generator import generate
from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import build, build_score_marts, build_training_features, run_dbt

from conftest import settings_for

AS_OF = dt.date(2026, 10, 31)
PG = {"host": os.environ.get("AR_PG_HOST", "127.0.0.1"), "port": int(os.environ.get("AR_PG_PORT", "5432"))}
PG_USER = os.environ.get("AR_PG_USER", "postgres")

# DuckDB raw column types -> PostgreSQL (raw is typed to the contract plus loader metadata).
PG_TYPES = {
    "VARCHAR": "text",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "BOOLEAN": "boolean",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE": "double precision",
    "HUGEINT": "numeric",
    "UBIGINT": "numeric",
}

# What is compared: each query runs on both warehouses for the as-of date.
KEY_NUMBERS = {
    "kpi targets": """
        select kpi_code, target_status, round(actual_value, 6), round(path_value, 6), round(gap_to_path, 6),
               round(gap_to_target, 6)
        from marts.agg_kpi_targets where as_of_date = %(d)s order by kpi_code""",
    "collection plan": """
        select plan_source, plan_status, planned_collections_rc, collected_month_to_date_rc, plan_share
        from marts.collection_plan_progress where as_of_date = %(d)s""",
    "open items": """
        select count(*), sum(open_amount_rc), sum(case when is_disputed then 1 else 0 end),
               sum(case when promise_to_pay_status = 'broken' then 1 else 0 end)
        from marts.fct_ar_open_items where as_of_date = %(d)s""",
    "aging by scope": """
        select scope_type, count(*), sum(total_open_ar_rc), sum(overdue_amount_rc), sum(dpd_over_365_amount_rc),
               sum(unapplied_cash_rc), sum(net_open_ar_rc), sum(overdue_invoice_count)
        from marts.agg_ar_aging where as_of_date = %(d)s group by scope_type order by scope_type""",
    "concentration": """
        select scope_type, scope_id, customer_count, customers_for_80_pct, total_open_ar_rc,
               round(top10_share, 8), round(top50_share, 8), round(hhi, 8)
        from intermediate.int_concentration_summary order by scope_type, scope_id""",
    "top customers": """
        select customer_rank, customer_id, open_amount_rc, round(cumulative_share, 8)
        from marts.agg_ar_concentration where as_of_date = %(d)s and customer_rank <= 20 order by customer_rank""",
    "credit exposure": """
        select exposure_level, utilisation_flag, count(*), sum(exposure_rc), sum(uninvoiced_orders_rc),
               sum(credit_limit_rc), sum(headroom_rc)
        from marts.credit_exposure where as_of_date = %(d)s
        group by exposure_level, utilisation_flag order by exposure_level, utilisation_flag""",
    # the model's point-in-time features and labels (training set and today's scoring set)
    "model training features": """
        select count(*), count(is_late), sum(is_late), sum(is_90_plus_late),
               round(cast(sum(cur_open_ar_rc) as decimal(38, 6)), 2),
               round(cast(sum(cur_overdue_ar_rc) as decimal(38, 6)), 2),
               cast(sum(cur_max_days_past_due) as bigint),
               round(cast(sum(hist_avg_days_late) as decimal(38, 6)), 2),
               cast(sum(rel_tenure_days) as bigint), cast(sum(rel_contacts_recent) as bigint),
               round(cast(sum(cur_credit_utilisation) as decimal(38, 6)), 2)
        from ml.invoice_features where as_of_date = %(d)s""",
    # lifecycle observations: document state, the three labels, default at the observation
    "model observations and labels": """
        select observation_kind, count(*), count(is_paid_30d), sum(is_paid_30d), count(is_default), sum(is_default),
               sum(in_default_at_observation), cast(sum(days_to_pay) as bigint), cast(sum(doc_days_past_due) as bigint),
               round(cast(sum(doc_share_paid) as decimal(38, 6)), 4), cast(sum(doc_partial_receipts) as bigint),
               cast(sum(doc_open_dispute) as bigint), cast(sum(doc_active_promise) as bigint),
               cast(sum(doc_broken_promise) as bigint), cast(sum(doc_contacts_30d) as bigint),
               round(cast(sum(open_amount_rc) as decimal(38, 6)), 2)
        from ml.invoice_features where as_of_date = %(d)s group by observation_kind order by observation_kind""",
    "model scoring features": """
        select count(*), round(cast(sum(open_amount_rc) as decimal(38, 6)), 2),
               round(cast(sum(cur_open_ar_rc) as decimal(38, 6)), 2), cast(sum(cur_max_days_past_due) as bigint),
               cast(sum(hist_promises_broken) as bigint), round(cast(sum(hist_share_late) as decimal(38, 6)), 2),
               cast(sum(inv_days_due_to_usual_pay_day) as bigint)
        from ml.open_invoice_features where as_of_date = %(d)s""",
    # expected credit loss and the score marts (hand-made predictions: PREDICTIONS_SQL)
    "provision matrix": """
        select aging_bucket, roll_rate, roll_rate_basis_rc, loss_rate, lgd, lgd_source, lgd_reason
        from intermediate.int_ecl_provision_matrix order by aging_bucket_order""",
    "lgd history": """
        select worked_out_defaults, exposure_at_default_rc, written_off_after_default_rc, lgd_history
        from intermediate.int_ecl_loss_given_default""",
    "expected credit loss": """
        select scope_type, aging_bucket, count(*), sum(open_amount_rc), sum(model_expected_loss_rc),
               sum(provision_matrix_expected_loss_rc), sum(open_documents)
        from marts.expected_credit_loss where as_of_date = %(d)s
        group by scope_type, aging_bucket order by scope_type, aging_bucket""",
    "invoice risk scores": """
        select risk_level, count(*), sum(expected_loss_rc), sum(expected_late_amount_rc),
               min(predicted_pay_date), max(predicted_pay_date_p90), max(reasons_zh)
        from marts.invoice_risk_scores where as_of_date = %(d)s group by risk_level order by risk_level""",
    "customer risk scores": """
        select risk_level, count(*), sum(expected_loss_rc), sum(open_invoices)
        from marts.customer_risk_scores where as_of_date = %(d)s group by risk_level order by risk_level""",
    "credit scores": """
        select score_band, count(*), sum(credit_score), sum(points_total), sum(neutral_components),
               sum(days_late_points), sum(late_share_points), sum(pd_default_points), max(reasons_zh)
        from marts.customer_credit_scores where as_of_date = %(d)s group by score_band order by score_band""",
    "credit policy": """
        select limit_action, terms_action, approval_level, review_status, count(*), sum(limit_gap_rc),
               sum(exposure_over_recommended_rc), sum(terms_gap_days), max(next_review_date)
        from marts.customer_credit_policy where as_of_date = %(d)s
        group by limit_action, terms_action, approval_level, review_status
        order by limit_action, terms_action, approval_level, review_status""",
    "order holds": """
        select hold_level, count(*), sum(release_amount_rc), min(since_date)
        from marts.order_hold_recommendations where as_of_date = %(d)s group by hold_level order by hold_level""",
    "late-payment interest": """
        select late_fee_basis, rate_source, count(*), sum(paid_late_amount), sum(balance_days),
               sum(accrued_late_fee), sum(accrued_late_fee_rc), max(daily_rate)
        from marts.fct_late_payment_interest where as_of_date = %(d)s
        group by late_fee_basis, rate_source order by late_fee_basis, rate_source""",
    "cash forecast": """
        select period_type, period_number, period_start, period_end, expected_collections_rc, invoice_count
        from marts.cash_forecast where as_of_date = %(d)s order by period_type, period_number""",
}

# What the scorer would write (contract types; the same SQL on both targets): a pd_default rising with
# days past due, 1 in default; the pay date later the more overdue the document is.
PREDICTIONS_SQL = """
    create table ml_scores.invoice_predictions as
    select
        as_of_date, invoice_id, customer_id,
        cast(case when days_past_due <= 0 then 0.2 end as double precision) as p_late,
        cast(0.5 as double precision) as p_paid_30d,
        cast(case when days_past_due > 90 then 1.0 else 0.02 + 0.004 * greatest(days_past_due, 0) end
             as double precision) as pd_default,
        cast(3 as double precision) as pay_days_p10,
        cast(greatest(5, 40 - days_past_due) as double precision) as pay_days_p50,
        cast(greatest(30, 90 - days_past_due) as double precision) as pay_days_p90,
        cast('hist_avg_days_late' as varchar) as reason_code_1,
        cast(case when days_past_due > 30 then 'cur_max_days_past_due' end as varchar) as reason_code_2,
        cast(null as varchar) as reason_code_3,
        cast('1' as varchar) as model_version_p_late,
        cast('1' as varchar) as model_version_p_paid_30d,
        cast('1' as varchar) as model_version_pd_default
    from marts.fct_ar_open_items where as_of_date = '2026-10-31'"""


def _write_predictions(execute) -> None:
    from scores_support import ML_SCORES_DDL

    execute("create schema ml_scores")
    execute(PREDICTIONS_SQL)
    for table in ("model_drift", "model_card"):
        execute(f"create table ml_scores.{table} ({ML_SCORES_DDL[table]})")


def _pg_admin():
    con = psycopg2.connect(dbname="postgres", user=PG_USER, **PG)
    con.autocommit = True
    return con


def _copy_raw_to_postgres(warehouse, dbname: str, workdir) -> int:
    """Create schema raw in PostgreSQL with the DuckDB raw tables' columns and copy their rows (CSV)."""
    src = duckdb.connect(str(warehouse), read_only=True)
    dst = psycopg2.connect(dbname=dbname, user=PG_USER, **PG)
    copied = 0
    try:
        tables = [
            r[0]
            for r in src.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            ).fetchall()
        ]
        with dst, dst.cursor() as cur:
            cur.execute("create schema raw")
            for table in tables:
                cols = src.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                ddl = ", ".join(f'"{name}" {PG_TYPES.get(dtype, dtype.lower())}' for name, dtype in cols)
                cur.execute(f'create table raw."{table}" ({ddl})')
                csv_path = workdir / f"{table}.csv"
                src.execute(f"copy (select * from raw.\"{table}\") to '{csv_path}' (header, format csv)")
                with csv_path.open() as fh:
                    cur.copy_expert(f'copy raw."{table}" from stdin with (format csv, header true)', fh)
                copied += cur.rowcount if cur.rowcount > 0 else 0
    finally:
        src.close()
        dst.close()
    return copied


def _normalise(rows):
    # Both sides as comparable Python values: decimals to the cent or 1e-8, counts as ints.
    out = []
    for row in rows:
        out.append(tuple(round(Decimal(str(v)), 8) if isinstance(v, (Decimal, float)) else v for v in row))
    return out


@pytest.fixture(scope="module")
def both_warehouses(tmp_path_factory):
    home = tmp_path_factory.mktemp("pg_home")
    generate(home / "landing", scale="XS", file_format="parquet")
    duck = settings_for(home)
    load_landing(duck, batch_id="xs")
    counts = build(duck, AS_OF, unit_tests=True)
    for status, n in build_training_features(duck, AS_OF).items():
        counts[status] = counts.get(status, 0) + n
    con = duckdb.connect(str(duck.warehouse_path))
    _write_predictions(con.execute)
    con.close()
    for status, n in build_score_marts(duck, AS_OF).items():
        counts[status] = counts.get(status, 0) + n
    assert counts.get("error", 0) == 0 and counts.get("fail", 0) == 0

    dbname = f"ar_marts_ledger_test_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin()
    admin.cursor().execute(f'create database "{dbname}"')
    old_env = {k: os.environ.get(k) for k in ("AR_PG_DBNAME",)}
    try:
        rows = _copy_raw_to_postgres(duck.warehouse_path, dbname, home)
        assert rows > 10_000  # the XS demo data arrived
        os.environ["AR_PG_DBNAME"] = dbname
        pg_home = home / "pg"
        pg_home.mkdir()
        pg = settings_for(pg_home, AR_DBT_TARGET="postgres")
        pg_counts = build(pg, AS_OF, unit_tests=True)
        for status, n in build_training_features(pg, AS_OF).items():
            pg_counts[status] = pg_counts.get(status, 0) + n
        with psycopg2.connect(dbname=dbname, user=PG_USER, **PG) as scores_con, scores_con.cursor() as cur:
            _write_predictions(cur.execute)
        for status, n in build_score_marts(pg, AS_OF).items():
            pg_counts[status] = pg_counts.get(status, 0) + n
        yield duck, dbname, counts, pg_counts
    finally:
        for key, value in old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        admin.cursor().execute(f'drop database if exists "{dbname}" with (force)')
        admin.close()


def test_postgres_build_passes_every_model_and_test(both_warehouses):
    _, _, duck_counts, pg_counts = both_warehouses
    assert pg_counts.get("error", 0) == 0 and pg_counts.get("fail", 0) == 0
    # The same nodes ran on both targets: models, seeds, data tests, unit tests.
    assert sum(pg_counts.values()) == sum(duck_counts.values())


@pytest.mark.parametrize("what", sorted(KEY_NUMBERS))
def test_key_mart_numbers_match_duckdb(both_warehouses, what):
    duck_settings, dbname, _, _ = both_warehouses
    sql = KEY_NUMBERS[what]
    duck = duckdb.connect(str(duck_settings.warehouse_path), read_only=True)
    try:
        expected = _normalise(duck.execute(sql.replace("%(d)s", "?"), [AS_OF] * sql.count("%(d)s")).fetchall())
    finally:
        duck.close()
    pg = psycopg2.connect(dbname=dbname, user=PG_USER, **PG)
    try:
        with pg.cursor() as cur:
            cur.execute(sql, {"d": AS_OF})
            actual = _normalise(cur.fetchall())
    finally:
        pg.close()
    assert expected, f"{what}: nothing to compare on DuckDB"
    assert actual == expected


def test_incremental_staging_on_postgres(both_warehouses):
    """Next day on PostgreSQL: a changed and a deleted invoice are re-staged, the ledger follows (changes data)."""
    duck_settings, dbname, _, _ = both_warehouses
    pg = psycopg2.connect(dbname=dbname, user=PG_USER, **PG)
    pg.autocommit = True
    try:
        with pg.cursor() as cur:
            # Two invoices nothing else refers to, so deleting one breaks no relationship.
            cur.execute(
                """select invoice_id from raw.erp_invoices as i
                   where document_type = 'invoice'
                     and not exists (select 1 from raw.erp_payment_applications as a where a.invoice_id = i.invoice_id)
                     and not exists (select 1 from raw.erp_writeoffs as w where w.invoice_id = i.invoice_id)
                     and not exists (select 1 from raw.crm_disputes as d where d.invoice_id = i.invoice_id)
                     and not exists (select 1 from raw.crm_promises as p where p.invoice_id = i.invoice_id)
                     and not exists (select 1 from raw.crm_activities as c where c.invoice_id = i.invoice_id)
                   order by invoice_id limit 2"""
            )
            changed, deleted = (row[0] for row in cur.fetchall())
            # The next extraction as raw records it: new versions loaded later.
            cur.execute("create temp table next_load as select * from raw.erp_invoices where invoice_id in (%s, %s)",
                        (changed, deleted))  # fmt: skip
            cur.execute(
                """update next_load set _loaded_at = timestamp '2030-01-01', _batch_id = 'b2',
                       updated_at = updated_at + interval '1 day',
                       amount = case when invoice_id = %s then amount + 100 else amount end,
                       is_deleted = (invoice_id = %s)""",
                (changed, deleted),
            )
            cur.execute("insert into raw.erp_invoices select * from next_load")
            cur.execute(
                "select amount + 100 from raw.erp_invoices where invoice_id = %s and _batch_id <> 'b2'", (changed,)
            )
            expected_amount = cur.fetchone()[0]

        # Only the incremental models and their tests: their SQL on PostgreSQL is what is new here.
        pg_settings = settings_for(duck_settings.home / "pg", AR_DBT_TARGET="postgres")
        incremental_only = [
            "build",
            "--select",
            "stg_erp__invoices",
            "int_ar_ledger",
            "--indirect-selection",
            "cautious",
        ]
        results = run_dbt(pg_settings, incremental_only, as_of_date=AS_OF)["results"]
        assert {r["status"] for r in results} <= {"success", "pass"} and len(results) > 5
        with pg.cursor() as cur:
            cur.execute(
                "select invoice_id, document_amount from staging.stg_erp__invoices where invoice_id in (%s, %s)",
                (changed, deleted),
            )
            assert cur.fetchall() == [(changed, expected_amount)]
            # the ledger re-derived the changed invoice and dropped the deleted one
            cur.execute(
                "select movement_id, amount from intermediate.int_ar_ledger where invoice_id in (%s, %s)",
                (changed, deleted),
            )
            assert cur.fetchall() == [(changed, expected_amount)]
    finally:
        pg.close()
