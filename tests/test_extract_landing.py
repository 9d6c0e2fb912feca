"""Landing files -> raw: contract checks with clear errors, idempotent loads."""

from __future__ import annotations

import shutil

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from ar_risk.contract import TABLES
from ar_risk.extract.landing import LandingError, load_landing

from conftest import settings_for


def raw_rows(settings, table: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        cols = ", ".join(TABLES[table].column_names)
        return con.execute(f"SELECT {cols} FROM raw.{table} ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_loads_every_contract_table_and_reports_absent_ones(tiny_settings):
    report = load_landing(tiny_settings, batch_id="b1")
    assert report.tables["erp_invoices"].rows_loaded == 4
    assert report.tables["erp_customers"].rows_loaded == 2
    assert set(report.unavailable_tables) == {
        "erp_writeoffs", "erp_credit_limits", "erp_orders", "erp_sales_reps",
        "crm_accounts", "crm_contacts", "crm_activities", "crm_promises", "crm_disputes",
    }  # fmt: skip
    con = duckdb.connect(str(tiny_settings.warehouse_path), read_only=True)
    # Absent optional tables exist, empty, so downstream SQL always compiles.
    assert con.execute("SELECT count(*) FROM raw.crm_disputes").fetchone()[0] == 0
    meta = con.execute("SELECT DISTINCT _batch_id, _source_file FROM raw.erp_invoices").fetchall()
    assert meta == [("b1", "i.csv")]
    # Offsets are converted to UTC: C2's 2024-01-01T00:00:00+08:00 is 2023-12-31 16:00 UTC.
    updated = con.execute("SELECT updated_at FROM raw.erp_customers WHERE customer_id = 'C2'").fetchone()[0]
    assert str(updated) == "2023-12-31 16:00:00"
    # Quotes and semicolons are data, stored verbatim.
    name = con.execute("SELECT customer_name FROM raw.erp_customers WHERE customer_id = 'C2'").fetchone()[0]
    assert name == 'Acme; Corp "quoted"'
    con.close()


def test_loading_the_same_files_twice_changes_nothing(tiny_settings):
    load_landing(tiny_settings, batch_id="b1")
    before = {t: raw_rows(tiny_settings, t) for t in TABLES}
    report = load_landing(tiny_settings, batch_id="b2")
    assert all(load.files_loaded == 0 for load in report.tables.values())
    assert {t: raw_rows(tiny_settings, t) for t in TABLES} == before


def test_overlapping_drop_adds_only_new_rows(tiny_settings):
    load_landing(tiny_settings, batch_id="b1")
    folder = tiny_settings.landing_dir / "erp_invoices"
    lines = (folder / "i.csv").read_text().splitlines()
    # A second daily drop repeats I1 unchanged and re-sends I2 with a newer updated_at.
    resent_i2 = lines[2].replace("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z").replace("500.00", "450.00")
    (folder / "i2.csv").write_text("\n".join([lines[0], lines[1], resent_i2]) + "\n")
    report = load_landing(tiny_settings, batch_id="b2")
    assert report.tables["erp_invoices"].rows_loaded == 1
    assert report.tables["erp_invoices"].rows_already_present == 1
    assert len(raw_rows(tiny_settings, "erp_invoices")) == 5  # raw keeps both versions; staging picks the latest


def test_parquet_and_csv_give_the_same_raw_rows(tiny_settings, tmp_path):
    load_landing(tiny_settings, batch_id="b1")
    from_csv = {t: raw_rows(tiny_settings, t) for t in ("erp_customers", "erp_invoices", "erp_payments")}

    parquet_home = tmp_path / "parquet_home"
    for table in ("erp_customers", "erp_invoices", "erp_payments", "erp_payment_applications", "erp_fx_rates"):
        src = next((tiny_settings.landing_dir / table).glob("*.csv"))
        out = parquet_home / "landing" / table
        out.mkdir(parents=True)
        convert = pacsv.ConvertOptions(strings_can_be_null=True, column_types=None)
        pq.write_table(pacsv.read_csv(src, convert_options=convert), out / (src.stem + ".parquet"))
    parquet_settings = settings_for(parquet_home)
    load_landing(parquet_settings, batch_id="b1")
    from_parquet = {t: raw_rows(parquet_settings, t) for t in from_csv}
    assert from_parquet == from_csv


def _break(settings, table: str, old: str, new: str) -> None:
    path = next((settings.landing_dir / table).glob("*.csv"))
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("table", "old", "new", "message"),
    [
        (
            "erp_invoices",
            "2026-02-01,2026-03-03",
            "2026-02-01,2026-02-30",
            r"erp_invoices\.due_date: value '2026-02-30' at line 3 of .*i\.csv is not a valid date",
        ),
        (
            "erp_invoices",
            "1000.00",
            "1,000.00",
            r"erp_invoices: .*i\.csv is not a valid contract file: .*Line: 2\nOriginal Line: I1,C1,invoice,2026-01-01,"
            r"2026-01-31,1,000\.00.*\nExpected Number of Columns: 10 Found: 11",
        ),
        (
            "erp_payments",
            "600.00",
            "six hundred",
            r"erp_payments\.amount: value 'six hundred' at line 2 of .*p\.csv is not a valid money",
        ),
        (
            "erp_customers",
            "payment_terms_days",
            "terms",
            r"erp_customers: required column 'payment_terms_days' is missing in .*c\.csv",
        ),
    ],
)
def test_bad_files_stop_with_table_column_and_line(tiny_settings, table, old, new, message):
    _break(tiny_settings, table, old, new)
    with pytest.raises(LandingError) as excinfo:
        load_landing(tiny_settings, batch_id="b1")
    assert excinfo.match(message)
    assert not tiny_settings.serving_path.exists()


def test_a_failed_file_leaves_raw_as_it_was(tiny_settings):
    load_landing(tiny_settings, batch_id="b1")
    before = raw_rows(tiny_settings, "erp_invoices")
    folder = tiny_settings.landing_dir / "erp_invoices"
    (folder / "late.csv").write_text(
        "invoice_id,customer_id,document_type,invoice_date,due_date,amount,currency,order_id,sales_rep_id,updated_at\n"
        "I9,C1,invoice,2026-03-01,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z\n"
        "I10,C1,invoice,not-a-date,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z\n"
    )
    with pytest.raises(LandingError, match=r"erp_invoices\.invoice_date: value 'not-a-date' at line 3"):
        load_landing(tiny_settings, batch_id="b2")
    assert raw_rows(tiny_settings, "erp_invoices") == before  # I9 was not half-loaded


def test_extra_columns_are_kept_and_reported(tiny_settings):
    path = tiny_settings.landing_dir / "erp_payments" / "p.csv"
    lines = path.read_text().splitlines()
    path.write_text(f"{lines[0]},bank_reference\n{lines[1]},REF-001\n")
    report = load_landing(tiny_settings, batch_id="b1")
    assert report.tables["erp_payments"].extra_columns == ["bank_reference"]
    con = duckdb.connect(str(tiny_settings.warehouse_path), read_only=True)
    assert con.execute("SELECT bank_reference FROM raw.erp_payments").fetchall() == [("REF-001",)]
    con.close()


def test_missing_required_table_and_empty_file_are_clear(tiny_settings):
    (tiny_settings.landing_dir / "erp_payments" / "p.csv").write_text("")
    with pytest.raises(LandingError, match=r"erp_payments: file .*p\.csv is empty"):
        load_landing(tiny_settings, batch_id="b1")
    shutil.rmtree(tiny_settings.landing_dir / "erp_payments")
    with pytest.raises(LandingError, match=r"required table\(s\) erp_payments have no \.csv, \.parquet or \.xlsx"):
        load_landing(tiny_settings, batch_id="b1")


def _as_gb18030(path) -> None:
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))


def test_gb18030_exports_load_when_the_encoding_is_configured(tiny_settings):
    _as_gb18030(tiny_settings.landing_dir / "erp_customers" / "c.csv")
    gb_settings = settings_for(tiny_settings.home, AR_CSV_ENCODING="gb18030")
    load_landing(gb_settings, batch_id="b1")
    names = [r[1] for r in raw_rows(gb_settings, "erp_customers")]
    assert "上海宏达机械有限公司" in names
    assert not any((gb_settings.home / "tmp").iterdir())  # the UTF-8 copy is gone


def test_gb18030_file_read_as_utf8_is_a_clear_error(tiny_settings):
    _as_gb18030(tiny_settings.landing_dir / "erp_customers" / "c.csv")
    with pytest.raises(LandingError, match=r"erp_customers: .*c\.csv is not a valid contract file: .*Line: 2"):
        load_landing(tiny_settings, batch_id="b1")


def test_undecodable_byte_names_the_file_and_line(tiny_settings):
    _as_gb18030(tiny_settings.landing_dir / "erp_customers" / "c.csv")  # so that only p.csv is wrong
    bad = tiny_settings.landing_dir / "erp_payments" / "p.csv"
    bad.write_bytes(bad.read_bytes() + b"P2,C1,2026-02-21,1.00,CNY,\x81\x20,2026-02-21T00:00:00Z\n")
    gb_settings = settings_for(tiny_settings.home, AR_CSV_ENCODING="gb18030")
    with pytest.raises(LandingError, match=r"p\.csv: line 3 is not valid gb18030 text"):
        load_landing(gb_settings, batch_id="b1")


def _invoices_xlsx(path, rows, sheet_title="应收单") -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(TABLES["erp_invoices"].column_names)
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_excel_cells_keep_their_types(tiny_settings):
    import datetime as dt
    from decimal import Decimal

    folder = tiny_settings.landing_dir / "erp_invoices"
    _invoices_xlsx(
        folder / "extra.xlsx",
        [
            # Real Excel dates and numbers; a text cell for a date works as in CSV.
            ["I10", "C1", "invoice", dt.datetime(2026, 3, 1), dt.date(2026, 3, 31), 1234.5, "CNY", None, None,
             dt.datetime(2026, 3, 1, 8, 30)],
            [None] * 10,  # a blank row in the middle is skipped, row numbers stay Excel's
            ["I11", "C1", "debit_note", "2026-03-02", "2026-04-01", 7, "CNY", "SO-1", "R1", "2026-03-02T00:00:00Z"],
        ],
    )  # fmt: skip
    (folder / "~$extra.xlsx").write_bytes(b"\x00lock")  # Excel's lock file while the workbook is open
    report = load_landing(tiny_settings, batch_id="b1")
    assert report.tables["erp_invoices"].rows_loaded == 4 + 2
    assert report.tables["erp_invoices"].files_seen == 2
    con = duckdb.connect(str(tiny_settings.warehouse_path), read_only=True)
    rows = con.execute(
        "SELECT invoice_id, invoice_date, due_date, amount, updated_at, _source_file, _source_row "
        "FROM raw.erp_invoices WHERE invoice_id IN ('I10', 'I11') ORDER BY 1"
    ).fetchall()
    con.close()
    assert rows == [
        ("I10", dt.date(2026, 3, 1), dt.date(2026, 3, 31), Decimal("1234.50"), dt.datetime(2026, 3, 1, 8, 30),
         "extra.xlsx", 1),
        ("I11", dt.date(2026, 3, 2), dt.date(2026, 4, 1), Decimal("7.00"), dt.datetime(2026, 3, 2), "extra.xlsx", 3),
    ]  # fmt: skip


def test_excel_errors_name_the_sheet_row_and_column(tiny_settings):
    import datetime as dt

    _invoices_xlsx(
        tiny_settings.landing_dir / "erp_invoices" / "bad.xlsx",
        [
            ["I10", "C1", "invoice", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 10, "CNY", None, None, "2026-03-01"],
            ["I11", "C1", "invoice", "31.02.2026", dt.date(2026, 3, 31), 10, "CNY", None, None, "2026-03-01"],
        ],
    )
    with pytest.raises(
        LandingError,
        match=r"erp_invoices\.invoice_date: value '31\.02\.2026' at row 3 of .*bad\.xlsx \(sheet '应收单'\) "
        r"is not a valid date",
    ):
        load_landing(tiny_settings, batch_id="b1")


def test_a_changed_parquet_type_is_reported_not_coerced(tiny_settings):
    """Schema drift: a DATE column arriving as text still loads when every value parses, and is reported;
    a numeric column arriving with text stops the load naming the value."""
    import pyarrow as pa

    folder = tiny_settings.landing_dir / "erp_payments"
    (folder / "p.csv").unlink()
    table = pa.table(
        {
            "payment_id": ["P1"],
            "customer_id": ["C1"],
            "payment_date": ["2026-02-20"],  # was DATE
            "amount": pa.array([600], pa.decimal128(18, 2)),
            "currency": ["CNY"],
            "method": ["bank_transfer"],
            "updated_at": pa.array([0], pa.timestamp("us", tz="UTC")),
        }
    )
    pq.write_table(table, folder / "p.parquet")
    report = load_landing(tiny_settings, batch_id="b1")
    assert report.tables["erp_payments"].type_changes == ["payment_date: VARCHAR (contract DATE)"]
    assert report.to_dict()["quality"]["type_changes"] == {"erp_payments": ["payment_date: VARCHAR (contract DATE)"]}

    later = table.set_column(3, "amount", pa.array(["600 CNY"])).set_column(0, "payment_id", pa.array(["P2"]))
    pq.write_table(later, folder / "p2.parquet")
    with pytest.raises(LandingError, match=r"erp_payments\.amount: value '600 CNY' at row 1 of .*p2\.parquet"):
        load_landing(tiny_settings, batch_id="b2")


def test_excel_sheet_named_in_a_mapping(tiny_settings, tmp_path):
    import datetime as dt

    import openpyxl

    folder = tiny_settings.landing_dir / "erp_invoices"
    (folder / "i.csv").unlink()
    book = openpyxl.Workbook()
    book.active.title = "说明"  # a cover sheet first, as exports often have
    book.active.append(["exported by ERP, do not edit"])
    data = book.create_sheet("明细")
    data.append(TABLES["erp_invoices"].column_names)
    data.append(["I1", "C1", "invoice", dt.date(2026, 1, 1), dt.date(2026, 1, 31), 1000, "CNY", None, "R1",
                 "2026-01-01T00:00:00Z"])  # fmt: skip
    book.save(folder / "invoices.xlsx")
    mapping = tmp_path / "m.yml"
    mapping.write_text("tables:\n  erp_invoices:\n    sheet: 明细\n", encoding="utf-8")
    report = load_landing(tiny_settings, batch_id="b1", mapping=mapping)
    assert report.tables["erp_invoices"].rows_loaded == 1
    mapping.write_text("tables:\n  erp_invoices:\n    sheet: Sheet9\n", encoding="utf-8")
    data.append(["I2", "C1", "invoice", dt.date(2026, 2, 1), dt.date(2026, 3, 3), 500, "CNY", None, None,
                 "2026-02-01T00:00:00Z"])  # fmt: skip
    book.save(folder / "again.xlsx")  # a new file (new content), so it is read
    missing_sheet = r"again\.xlsx: sheet 'Sheet9' not found; the workbook has \['说明', '明细'\]"
    with pytest.raises(LandingError, match=missing_sheet):
        load_landing(tiny_settings, batch_id="b2", mapping=mapping)


def test_a_landing_load_limited_to_some_tables_needs_and_reads_only_those(tiny_settings):
    """Beside database sources, a files source loads only the tables no database reads."""
    shutil.rmtree(tiny_settings.landing_dir / "erp_payments")  # required, but "from a database" here
    report = load_landing(tiny_settings, "b1", tables=["erp_customers", "erp_invoices", "erp_fx_rates"])
    assert report.tables["erp_invoices"].rows_loaded == 4
    assert "erp_payment_applications" not in report.tables  # its folder exists, but it is not this source's
    con = duckdb.connect(str(tiny_settings.warehouse_path), read_only=True)
    assert con.execute("SELECT count(*) FROM raw.erp_payment_applications").fetchone() == (0,)
    con.close()
    with pytest.raises(LandingError, match="erp_payments"):
        load_landing(tiny_settings, "b2", tables=["erp_customers", "erp_payments"])
