"""The demo generator: determinism, the source contract, and archetypes visible in the data."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from ar_risk.contract import (
    ACCOUNT_TIERS,
    ACTIVITY_CHANNELS,
    ACTIVITY_OUTCOMES,
    ARROW_TYPES,
    CONTACT_CHANNELS,
    DISPUTE_REASONS,
    DISPUTE_STATUSES,
    DOCUMENT_TYPES,
    ORDER_STATUSES,
    TABLES,
)
from ar_risk.demo.generator import ARCHETYPES, SCALES, GenerationResult, generate

CUSTOMERS = SCALES["XS"]
END = date(2026, 10, 31)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.*"))}


def _read_csv_table(name: str, landing: Path) -> pa.Table:
    """Parse CSV parts with the contract's types: fails on any value that does not parse."""
    contract = TABLES[name]
    column_types = {c.name: ARROW_TYPES[c.type] for c in contract.columns}
    column_types.update({c.name: pa.timestamp("s", tz="UTC") for c in contract.columns if c.type == "timestamp"})
    parts = sorted((landing / name).glob("*.csv"))
    tables = [
        pa_csv.read_csv(
            p,
            convert_options=pa_csv.ConvertOptions(
                column_types=column_types, strings_can_be_null=True, true_values=["true"], false_values=["false"]
            ),
        )
        for p in parts
    ]
    return pa.concat_tables(tables)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Money as float (tests compare with a cent of tolerance), dates as datetime64."""
    columns = {}
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_decimal(field.type):
            column = column.cast(pa.float64())
        elif pa.types.is_date(field.type):
            column = column.cast(pa.timestamp("s"))
        columns[field.name] = column
    return pa.table(columns).to_pandas()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("demo")
    parquet = generate(root / "pq" / "landing", customers=CUSTOMERS, seed=42, file_format="parquet", end_date=END)
    csv = generate(root / "csv" / "landing", customers=CUSTOMERS, seed=42, file_format="csv", end_date=END)
    tables = {name: pq.read_table(parquet.landing_dir / name) for name in TABLES}
    frames = {name: _to_pandas(t) for name, t in tables.items()}
    truth = pd.read_csv(parquet.ground_truth_path, dtype={"customer_id": str})
    return {"root": root, "parquet": parquet, "csv": csv, "tables": tables, "df": frames, "truth": truth}


@pytest.fixture(scope="module")
def behaviour(generated) -> dict:
    """Per-document payment facts shared by the archetype tests."""
    df = generated["df"]
    inv = df["erp_invoices"]
    apps = df["erp_payment_applications"]
    wo = df["erp_writeoffs"]
    truth = generated["truth"].set_index("customer_id")
    docs = inv[inv.document_type != "credit_note"].copy()
    docs["archetype"] = docs.customer_id.map(truth.archetype)
    applied = apps.groupby("invoice_id").amount_applied.sum()
    written = wo.groupby("invoice_id").amount.sum()
    receipts = apps[apps.payment_id.notna()]
    docs["applied"] = docs.invoice_id.map(applied).fillna(0)
    docs["written_off"] = docs.invoice_id.map(written).fillna(0)
    docs["open_amount"] = (docs.amount - docs.applied - docs.written_off).round(2)
    docs["settled_on"] = docs.invoice_id.map(receipts.groupby("invoice_id").applied_date.max())
    settled = docs[(docs.open_amount <= 0.005) & docs.settled_on.notna()].copy()
    settled["days_late"] = (settled.settled_on - settled.due_date).dt.days
    return {"docs": docs, "settled": settled, "truth": truth}


# --- determinism ---------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_same_seed_gives_the_same_bytes(generated, file_format):
    first = generated[file_format]
    again_root = generated["root"] / f"again_{file_format}"
    again = generate(again_root / "landing", customers=CUSTOMERS, seed=42, file_format=file_format, end_date=END)
    assert _digest(first.landing_dir) == _digest(again.landing_dir)
    assert first.ground_truth_path.read_bytes() == again.ground_truth_path.read_bytes()
    assert first.row_counts == again.row_counts

    other = generate(again_root / "other", customers=CUSTOMERS, seed=7, file_format=file_format, end_date=END)
    differing = [k for k, v in _digest(other.landing_dir).items() if _digest(first.landing_dir).get(k) != v]
    assert "erp_invoices/part-00000." + file_format in differing
    assert "erp_payments/part-00000." + file_format in differing


def test_rerun_replaces_stale_parts(tmp_path):
    landing = tmp_path / "landing"
    stale = landing / "erp_invoices" / "part-00099.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("invoice_id\nOLD\n")
    result = generate(landing, customers=20, seed=1, end_date=END)
    assert not stale.exists()
    assert sorted(p.name for p in (landing / "erp_invoices").iterdir()) == ["part-00000.csv"]
    assert result.ground_truth_path == tmp_path / "demo_ground_truth" / "customer_archetypes.csv"


# --- the contract --------------------------------------------------------------------------------


def test_result_describes_the_run(generated):
    result: GenerationResult = generated["parquet"]
    assert result.end_date == END
    assert result.start_date == date(2023, 11, 1)
    assert set(result.row_counts) == set(TABLES)
    assert result.row_counts["erp_customers"] == CUSTOMERS
    assert all(result.row_counts[name] > 0 for name in TABLES)
    assert result.row_counts == generated["csv"].row_counts
    # About 100 AR documents per customer.
    assert 60 * CUSTOMERS < result.row_counts["erp_invoices"] < 140 * CUSTOMERS
    assert not (result.landing_dir / "demo_ground_truth").exists()


def test_every_table_has_the_contract_columns_and_types(generated):
    for name, contract in TABLES.items():
        schema = generated["tables"][name].schema
        assert schema.names == contract.column_names, name
        for column in contract.columns:
            assert schema.field(column.name).type == ARROW_TYPES[column.type], (name, column.name)
            if not column.nullable:
                assert generated["tables"][name].column(column.name).null_count == 0, (name, column.name)
        header = (generated["csv"].landing_dir / name / "part-00000.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.replace('"', "").split(",") == contract.column_names, name


def test_csv_parses_with_contract_types_and_equals_parquet(generated):
    landing = generated["csv"].landing_dir
    for name in TABLES:
        from_csv = _read_csv_table(name, landing)
        from_parquet = generated["tables"][name]
        for column in TABLES[name].columns:
            expected = from_parquet.column(column.name)
            if column.type == "timestamp":
                expected = expected.cast(pa.timestamp("s", tz="UTC"))
            assert from_csv.column(column.name).equals(expected), (name, column.name)


def test_csv_text_format(generated):
    landing = generated["csv"].landing_dir
    payments = (landing / "erp_payments" / "part-00000.csv").read_text(encoding="utf-8").splitlines()[1]
    fields = payments.replace('"', "").split(",")
    assert len(fields[2]) == 10 and fields[2][4] == "-"  # payment_date YYYY-MM-DD
    assert fields[3].split(".")[1].__len__() == 2  # money with 2 decimals
    assert fields[6].endswith("Z") and "T" in fields[6] and len(fields[6]) == 20  # 2025-03-04T09:15:00Z
    customers = (landing / "erp_customers" / "part-00000.csv").read_text(encoding="utf-8")
    assert ",true," in customers
    assert ",," in customers  # empty field for null parent_customer_id


def test_keys_are_unique(generated):
    for name, contract in TABLES.items():
        frame = generated["df"][name]
        assert not frame.duplicated(list(contract.key)).any(), name


def test_references_resolve(generated):
    df = generated["df"]
    for name, contract in TABLES.items():
        for column, target in contract.references.items():
            target_table, target_column = target.split(".")
            values = df[name][column].dropna()
            assert contract.column(column).nullable or len(values) == len(df[name]), (name, column)
            missing = ~values.isin(set(df[target_table][target_column]))
            assert not missing.any(), (name, column, values[missing].head().tolist())
    # References the contract implies but does not list.
    customers = set(df["erp_customers"].customer_id)
    reps = set(df["erp_sales_reps"].sales_rep_id)
    assert set(df["erp_customers"].parent_customer_id.dropna()) <= customers
    assert set(df["erp_customers"].sales_rep_id.dropna()) <= reps
    assert set(df["erp_invoices"].sales_rep_id.dropna()) <= reps
    assert set(df["erp_sales_reps"].supervisor_id.dropna()) <= reps
    assert set(df["erp_invoices"].order_id.dropna()) <= set(df["erp_orders"].order_id)
    assert set(df["crm_activities"].contact_id.dropna()) <= set(df["crm_contacts"].contact_id)
    assert set(df["crm_activities"].collector_id.dropna()) <= reps
    assert set(df["crm_promises"].activity_id.dropna()) <= set(df["crm_activities"].activity_id)
    assert df["crm_promises"].invoice_id.isna().any()  # promises on account
    assert df["crm_activities"].invoice_id.isna().any()
    dnc = set(df["crm_contacts"].contact_id[df["crm_contacts"].do_not_contact])
    assert not set(df["crm_activities"].contact_id.dropna()) & dnc


def test_value_domains(generated):
    df = generated["df"]
    assert set(df["erp_invoices"].document_type) == set(DOCUMENT_TYPES)
    assert set(df["erp_orders"].status) == set(ORDER_STATUSES)
    assert set(df["crm_accounts"].account_tier) == set(ACCOUNT_TIERS)
    assert set(df["crm_contacts"].preferred_channel) <= set(CONTACT_CHANNELS)
    assert set(df["crm_activities"].channel) <= set(ACTIVITY_CHANNELS)
    assert set(df["crm_activities"].outcome) <= set(ACTIVITY_OUTCOMES)
    assert {"promise_to_pay", "refused", "dispute_raised", "no_answer"} <= set(df["crm_activities"].outcome)
    assert set(df["crm_disputes"].reason) <= set(DISPUTE_REASONS)
    assert set(df["crm_disputes"].status) == set(DISPUTE_STATUSES)
    assert set(df["erp_customers"].payment_terms_days) == {30, 45, 60, 90}
    assert {"bank_transfer", "bank_acceptance_bill", "check", "offset"} <= set(df["erp_payments"].method.dropna())
    assert "华东" in set(df["erp_customers"].region)
    assert (df["erp_customers"].country_code != "CN").any()


def test_amounts_and_dates(generated):
    df = generated["df"]
    inv = df["erp_invoices"]
    assert (inv.amount > 0).all()
    assert (inv.due_date >= inv.invoice_date).all()
    assert (df["erp_payments"].amount > 0).all()
    assert (df["erp_payment_applications"].amount_applied > 0).all()
    assert (df["erp_writeoffs"].amount > 0).all()
    assert (df["erp_orders"].amount > 0).all()
    assert (df["crm_promises"].promised_amount > 0).all()
    assert (df["crm_disputes"].disputed_amount > 0).all()
    end = pd.Timestamp(END)
    for name, column in [
        ("erp_invoices", "invoice_date"),
        ("erp_payments", "payment_date"),
        ("erp_payment_applications", "applied_date"),
        ("erp_writeoffs", "writeoff_date"),
        ("erp_orders", "order_date"),
        ("crm_disputes", "opened_date"),
    ]:
        assert (df[name][column] <= end).all(), name
    for name in TABLES:
        if "updated_at" in df[name]:
            assert (df[name].updated_at < pd.Timestamp(END, tz="UTC") + pd.Timedelta(days=1)).all(), name
    disputes = df["crm_disputes"]
    assert (disputes.resolved_date.isna() == (disputes.status == "open")).all()
    assert (disputes.resolved_date.dropna() >= disputes.opened_date[disputes.resolved_date.notna()]).all()


def test_applications_never_over_apply(generated):
    df = generated["df"]
    inv = df["erp_invoices"].set_index("invoice_id")
    apps = df["erp_payment_applications"]
    pays = df["erp_payments"].set_index("payment_id")
    per_doc = (
        apps.groupby("invoice_id")
        .amount_applied.sum()
        .add(df["erp_writeoffs"].groupby("invoice_id").amount.sum(), fill_value=0)
    )
    assert (per_doc <= inv.amount.reindex(per_doc.index) + 0.005).all()
    per_payment = apps.dropna(subset=["payment_id"]).groupby("payment_id").amount_applied.sum()
    assert (per_payment <= pays.amount.reindex(per_payment.index) + 0.005).all()
    assert (per_payment < pays.amount.reindex(per_payment.index) - 0.005).any()  # some unapplied cash
    # One receipt settling several documents, and documents settled by several receipts.
    assert (apps.dropna(subset=["payment_id"]).groupby("payment_id").size() >= 2).any()
    assert (apps.dropna(subset=["payment_id"]).groupby("invoice_id").size() >= 2).any()
    # Exactly one of payment_id / credit_note_id; credit notes point at credit_note documents.
    assert (apps.payment_id.isna() != apps.credit_note_id.isna()).all()
    cn = apps.credit_note_id.dropna()
    assert (inv.document_type.reindex(cn).to_numpy() == "credit_note").all()
    assert (inv.document_type.reindex(apps.invoice_id).to_numpy() != "credit_note").all()
    # Receipts are applied in the receipt's currency and customer.
    receipts = apps.dropna(subset=["payment_id"])
    assert (
        pays.customer_id.reindex(receipts.payment_id).to_numpy()
        == inv.customer_id.reindex(receipts.invoice_id).to_numpy()
    ).all()
    assert (
        pays.currency.reindex(receipts.payment_id).to_numpy() == inv.currency.reindex(receipts.invoice_id).to_numpy()
    ).all()


def test_every_currency_has_daily_fx_rates(generated):
    df = generated["df"]
    fx = df["erp_fx_rates"]
    currencies = set(df["erp_invoices"].currency) | set(df["erp_payments"].currency) | set(df["erp_orders"].currency)
    assert {"CNY", "USD", "EUR"} <= currencies
    start = pd.Timestamp(generated["parquet"].start_date)
    all_days = pd.date_range(start, pd.Timestamp(END), freq="D")
    for currency in currencies - {"CNY"}:
        days = fx.rate_date[fx.currency == currency]
        assert days.min() <= start and set(all_days) <= set(days), currency
    assert fx.rate_to_reporting[fx.currency == "USD"].between(6.0, 8.5).all()
    assert fx.rate_to_reporting[fx.currency == "EUR"].between(6.5, 9.5).all()
    for name, column in [("erp_invoices", "invoice_date"), ("erp_payments", "payment_date")]:
        frame = df[name]
        assert (frame[column][frame.currency != "CNY"] >= start).all()


def test_open_book_has_every_aging_bucket(behaviour):
    docs = behaviour["docs"]
    open_docs = docs[docs.open_amount > 0.005]
    days_past_due = (pd.Timestamp(END) - open_docs.due_date).dt.days
    buckets = pd.cut(days_past_due, [-10_000, 0, 30, 60, 90, 180, 365, 10_000])
    counts = buckets.value_counts()
    assert (counts > 0).all(), counts


def test_credit_limit_history_is_contiguous(generated):
    limits = generated["df"]["erp_credit_limits"].sort_values(["customer_id", "valid_from"])
    assert set(limits.customer_id) == set(generated["df"]["erp_customers"].customer_id)
    nxt = limits.groupby("customer_id").valid_from.shift(-1)
    closed = nxt.notna()
    assert ((limits.valid_to[closed] + pd.Timedelta(days=1)) == nxt[closed]).all()
    assert limits.valid_to[~closed].isna().all()
    assert (limits.credit_limit > 0).all()


def test_sales_reps_form_a_chain(generated):
    reps = generated["df"]["erp_sales_reps"].set_index("sales_rep_id")
    assert reps.supervisor_id.isna().sum() == 1
    depth = {}
    for rep in reps.index:
        level, boss = 1, reps.supervisor_id[rep]
        while isinstance(boss, str):
            level, boss = level + 1, reps.supervisor_id[boss]
        depth[rep] = level
    assert max(depth.values()) == 3
    assert reps.email.str.contains("@").all()
    assert reps.department.str.endswith("部").all()


def test_customers_look_like_customers(generated):
    df = generated["df"]
    customers = df["erp_customers"]
    cn = customers[customers.country_code == "CN"]
    assert cn.customer_name.str.endswith("公司").all()
    assert (customers.parent_customer_id.notna()).any()
    contacts = df["crm_contacts"]
    per_customer = contacts.groupby("customer_id").size()
    assert per_customer.between(1, 3).all() and per_customer.index.size == len(customers)
    assert (contacts.timezone == "Asia/Shanghai").mean() > 0.8
    assert contacts.do_not_contact.any()
    notes = df["crm_activities"].notes.dropna()
    assert notes.str.contains("DROP TABLE", regex=False).any()
    assert notes.str.contains('"', regex=False).any() and notes.str.contains(";", regex=False).any()


# --- archetypes ----------------------------------------------------------------------------------


def test_ground_truth_file(generated):
    truth = generated["truth"]
    assert list(truth.columns) == ["customer_id", "archetype", "pays_around_day_of_month"]
    assert set(truth.customer_id) == set(generated["df"]["erp_customers"].customer_id)
    assert set(truth.archetype) == set(ARCHETYPES)
    shares = truth.archetype.value_counts(normalize=True)
    assert shares["good_payer"] > 0.4 and 0.05 < shares["strategic_strong_payer"] < 0.11
    habit = truth.pays_around_day_of_month.dropna()
    assert 0.1 < len(habit) / len(truth) < 0.3
    assert habit.between(1, 28).all()


def test_habit_payers_pay_on_their_day(behaviour, generated):
    truth = behaviour["truth"]
    pays = generated["df"]["erp_payments"]
    pays = pays[pays.customer_id.isin(truth.index[truth.pays_around_day_of_month.notna()])]
    habit_day = pays.customer_id.map(truth.pays_around_day_of_month)
    # Weekend habit days move to the Friday before: within 2 days of the habit day.
    near = (habit_day - pays.payment_date.dt.day).between(0, 2)
    assert near.mean() > 0.95


def test_delayers_pay_much_later_than_good_payers(behaviour):
    late = behaviour["settled"].groupby("archetype").days_late.mean()
    assert late["dishonest_delayer"] >= late["good_payer"] + 20
    assert abs(late["good_payer"]) < 8
    assert 8 <= late["strategic_strong_payer"] <= 35
    spread = behaviour["settled"].groupby("archetype").days_late.std()
    assert spread["strategic_strong_payer"] < spread["dishonest_delayer"]


def test_strategic_customers_are_the_largest(behaviour, generated):
    docs = behaviour["docs"]
    invoices = docs[(docs.document_type == "invoice") & (docs.currency == "CNY")]
    mean_amount = invoices.groupby("archetype").amount.mean()
    others = mean_amount.drop("strategic_strong_payer")
    assert mean_amount["strategic_strong_payer"] > 2 * others.max()
    accounts = generated["df"]["crm_accounts"].set_index("customer_id")
    strategic = behaviour["truth"].index[behaviour["truth"].archetype == "strategic_strong_payer"]
    assert (accounts.account_tier[strategic] == "strategic").all()
    written = generated["df"]["erp_writeoffs"].invoice_id
    assert not docs[docs.invoice_id.isin(written)].archetype.eq("strategic_strong_payer").any()


def test_legacy_problem_customers_have_one_very_old_open_invoice(behaviour, generated):
    docs = behaviour["docs"]
    truth = behaviour["truth"]
    very_old = docs[(docs.open_amount > 0.005) & ((pd.Timestamp(END) - docs.due_date).dt.days > 365)]
    legacy = truth.index[truth.archetype == "legacy_problem"]
    per_customer = very_old.groupby("customer_id").size().reindex(legacy, fill_value=0)
    assert (per_customer == 1).all()
    disputed = set(generated["df"]["crm_disputes"].invoice_id)
    legacy_docs = very_old[very_old.customer_id.isin(legacy)]
    assert legacy_docs.invoice_id.isin(disputed).mean() >= 0.6


def test_delayers_break_promises(behaviour, generated):
    promises = generated["df"]["crm_promises"].dropna(subset=["invoice_id"])
    promises = promises[promises.promised_date + pd.Timedelta(days=3) < pd.Timestamp(END)]
    receipts = generated["df"]["erp_payment_applications"].dropna(subset=["payment_id"])
    merged = promises.merge(receipts[["invoice_id", "applied_date"]], on="invoice_id", how="left")
    merged["in_time"] = (merged.applied_date >= merged.created_at.dt.tz_localize(None).dt.normalize()) & (
        merged.applied_date <= merged.promised_date + pd.Timedelta(days=3)
    )
    kept = merged.groupby("promise_id").in_time.any()
    archetype = promises.set_index("promise_id").customer_id.map(behaviour["truth"].archetype)
    broken_share = (~kept).groupby(archetype.reindex(kept.index)).mean()
    assert broken_share["dishonest_delayer"] > 0.6
    assert broken_share["dishonest_delayer"] > broken_share["good_payer"] + 0.2
    assert broken_share["strategic_strong_payer"] < 0.3
    refusals = (
        generated["df"]["crm_activities"].query("outcome == 'refused'").customer_id.map(behaviour["truth"].archetype)
    )
    assert refusals.value_counts().idxmax() in ("dishonest_delayer", "cash_strapped")
    disputes = generated["df"]["crm_disputes"]
    delayer_disputes = disputes[disputes.customer_id.map(behaviour["truth"].archetype) == "dishonest_delayer"]
    assert (delayer_disputes.status == "rejected").mean() > 0.5


def test_cash_strapped_slide_into_default(behaviour, generated):
    settled = behaviour["settled"]
    cash = settled[settled.archetype == "cash_strapped"]
    slopes = []
    for _, rows in cash.groupby("customer_id"):
        if len(rows) >= 10:
            x = (rows.invoice_date - rows.invoice_date.min()).dt.days.to_numpy()
            slopes.append(np.polyfit(x, rows.days_late.to_numpy(), 1)[0])
    assert len(slopes) >= 5 and np.median(slopes) > 0
    df = generated["df"]
    truth = behaviour["truth"]
    cash_ids = truth.index[truth.archetype == "cash_strapped"]
    limits = df["erp_credit_limits"].sort_values("valid_from")
    first = limits.groupby("customer_id").credit_limit.first()
    last = limits.groupby("customer_id").credit_limit.last()
    assert (last[cash_ids] < first[cash_ids]).mean() > 0.8
    written = behaviour["docs"][behaviour["docs"].invoice_id.isin(df["erp_writeoffs"].invoice_id)]
    assert written.archetype.eq("cash_strapped").any()
    accounts = df["crm_accounts"].set_index("customer_id")
    flagged = accounts.litigation_flag | accounts.negative_news_flag
    assert flagged[cash_ids].mean() > 3 * flagged.drop(cash_ids).mean()
    # Unpaid balance concentrates in the last months.
    docs = behaviour["docs"]
    open_share = docs.assign(overdue_open=(docs.open_amount > 0) & (docs.due_date < pd.Timestamp(END)))
    assert open_share.groupby("archetype").overdue_open.mean().idxmax() == "cash_strapped"


def test_growers_are_new_and_growing(behaviour, generated):
    docs = behaviour["docs"]
    truth = behaviour["truth"]
    customers = generated["df"]["erp_customers"].set_index("customer_id")
    growers = truth.index[truth.archetype == "potential_grower"]
    since = customers.customer_since[growers]
    assert ((pd.Timestamp(END) - since).dt.days.between(365, 550)).all()
    mine = docs[docs.customer_id.isin(growers)]
    first_quarter = (mine.invoice_date - mine.customer_id.map(since)).dt.days < 91
    last_quarter = (pd.Timestamp(END) - mine.invoice_date).dt.days < 91
    assert last_quarter.sum() > 1.8 * first_quarter.sum()
    late = behaviour["settled"].groupby("archetype").days_late.mean()
    assert late["potential_grower"] < 10


def test_cli_prints_json_summary(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "ar_risk.demo.generator", "--landing-dir", str(tmp_path / "landing"),
         "--customers", "12", "--seed", "3", "--format", "parquet"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    assert summary["as_of_date"] == "2026-10-31"
    assert summary["row_counts"]["erp_customers"] == 12
    assert (tmp_path / "landing" / "erp_invoices" / "part-00000.parquet").exists()


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path / "x", scale="XXL")
    with pytest.raises(ValueError):
        generate(tmp_path / "x", customers=10, years=1)
