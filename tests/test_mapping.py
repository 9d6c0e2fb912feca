"""Mapping files: validated on load; the SAP and Kingdee examples load into raw end to end.

Expected values are worked out by hand from tests/fixtures/sap_export and kingdee_export
(see tests/fixtures/README.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from ar_risk.extract.landing import LandingError, load_landing
from ar_risk.extract.mapping import MappingError, load_mapping

from conftest import FIXTURES


def _rows(settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_sap_export_loads_with_contract_values(tiny_settings):
    report = load_landing(tiny_settings, batch_id="sap1", landing_dir=FIXTURES / "sap_export", mapping="sap_export")
    assert report.tables["erp_invoices"].source_table == "BSID"
    assert report.tables["erp_invoices"].extra_columns == ["BUKRS"]
    assert report.rows_quarantined == 0
    invoices = _rows(
        tiny_settings,
        "SELECT invoice_id, customer_id, document_type, invoice_date, due_date, amount, currency, order_id, "
        "updated_at FROM raw.erp_invoices ORDER BY invoice_id",
    )
    assert invoices == [
        # due = ZFBDT + ZBD1T: 2026-01-05 + 30 = 2026-02-04; DMBTR 1.234,56 = 1234.56
        ("1800000001", "0000100001", "invoice", dt.date(2026, 1, 5), dt.date(2026, 2, 4), Decimal("1234.56"),
         "CNY", "0000500001", dt.datetime(2026, 1, 5)),  # CPUDT is a date: midnight UTC
        ("1800000002", "0000100001", "credit_note", dt.date(2026, 1, 10), dt.date(2026, 1, 10), Decimal("234.56"),
         "CNY", None, dt.datetime(2026, 1, 10)),
        # 2026-02-01 + 60 days = 2026-04-02
        ("1800000003", "0000100002", "invoice", dt.date(2026, 2, 1), dt.date(2026, 4, 2), Decimal("10000.00"),
         "USD", None, dt.datetime(2026, 2, 1)),
        # 2026-02-20 + 14 days = 2026-03-06; DD is a debit note
        ("1800000004", "0000100002", "debit_note", dt.date(2026, 2, 15), dt.date(2026, 3, 6), Decimal("99.90"),
         "CNY", None, dt.datetime(2026, 2, 15)),
    ]  # fmt: skip
    customers = _rows(
        tiny_settings,
        "SELECT customer_id, customer_name, parent_customer_id, payment_terms_days, customer_since, is_active, "
        "is_deleted, KTOKD FROM raw.erp_customers ORDER BY customer_id",
    )
    assert customers == [
        ("0000100001", "Shanghai Hongda Machinery Co.", None, 30, dt.date(2019, 3, 15), True, None, "KUNA"),
        ("0000100002", 'Acme; Corp "quoted"', "0000100001", 60, dt.date(2020, 6, 1), True, None, "KUNA"),
        ("0000100003", "Old Customer GmbH", None, 45, dt.date(2015, 1, 1), True, True, "KUNA"),  # LOEVM = X
    ]
    payments = _rows(tiny_settings, "SELECT payment_id, amount, method FROM raw.erp_payments ORDER BY 1")
    assert payments == [
        ("1400000001", Decimal("1000.00"), "bank_transfer"),
        ("1400000002", Decimal("5000.00"), "bank_acceptance_bill"),
    ]


def test_kingdee_export_in_gb18030_with_chinese_headers(tiny_settings):
    # The mapping names its encoding (gb18030); AR_CSV_ENCODING stays utf-8.
    report = load_landing(
        tiny_settings, batch_id="kd1", landing_dir=FIXTURES / "kingdee_export", mapping="kingdee_export"
    )
    assert report.tables["erp_customers"].source_table == "客户"
    assert report.tables["erp_customers"].extra_columns == ["助记码"]
    assert set(report.unavailable_tables) >= {"erp_payment_applications", "erp_fx_rates"}
    customers = _rows(
        tiny_settings,
        "SELECT customer_id, customer_name, parent_customer_id, region, customer_since, payment_terms_days, "
        "is_active, updated_at, 助记码 FROM raw.erp_customers ORDER BY customer_id",
    )
    assert customers == [
        # 2026-01-05 09:30 Beijing time = 01:30 UTC
        ("C001", "上海宏达机械有限公司", None, "华东", dt.date(2020, 1, 5), 30, True,
         dt.datetime(2026, 1, 5, 1, 30), "SHHD"),
        ("C002", '广州"引号"；贸易有限公司', "C001", "华南", dt.date(2021, 12, 20), 60, False,
         dt.datetime(2026, 1, 6, 2, 0), "GZMY"),
    ]  # fmt: skip
    invoices = _rows(
        tiny_settings,
        "SELECT invoice_id, document_type, invoice_date, due_date, amount, currency, order_id, sales_rep_id "
        "FROM raw.erp_invoices ORDER BY invoice_id",
    )
    assert invoices == [
        ("AR-2026-0001", "invoice", dt.date(2026, 1, 5), dt.date(2026, 2, 4), Decimal("12345.67"), "CNY", "SO-001",
         "R01"),
        ("AR-2026-0002", "credit_note", dt.date(2026, 1, 20), dt.date(2026, 1, 20), Decimal("345.67"), "CNY", None,
         "R01"),
        ("AR-2026-0003", "debit_note", dt.date(2026, 2, 1), dt.date(2026, 3, 3), Decimal("1000.00"), "CNY", None,
         None),
    ]  # fmt: skip
    assert _rows(tiny_settings, "SELECT payment_id, amount, method FROM raw.erp_payments") == [
        ("SK-2026-0001", Decimal("10000.00"), "bank_acceptance_bill")
    ]


def test_a_bad_value_under_a_mapping_names_table_column_line_and_value(tiny_settings, tmp_path):
    import shutil

    landing = tmp_path / "sap"
    shutil.copytree(FIXTURES / "sap_export", landing)
    bsid = landing / "BSID" / "bsid.csv"
    bsid.write_text(bsid.read_text().replace("20260215,20260220,14", "20260215,20260231,14"))
    with pytest.raises(LandingError, match=r"erp_invoices\.due_date: value '20260231 \+ 14 days' at line 5 of .*bsid"):
        load_landing(tiny_settings, batch_id="sap1", landing_dir=landing, mapping="sap_export")


def test_a_renamed_source_column_names_both_columns(tiny_settings, tmp_path):
    import shutil

    landing = tmp_path / "sap"
    shutil.copytree(FIXTURES / "sap_export", landing)
    bsid = landing / "BSID" / "bsid.csv"
    bsid.write_text(bsid.read_text().replace("DMBTR", "WRBTR", 1))
    with pytest.raises(MappingError, match=r"erp_invoices\.amount: source column 'DMBTR' is missing in .*bsid\.csv"):
        load_landing(tiny_settings, batch_id="sap1", landing_dir=landing, mapping="sap_export")


def _mapping(tmp_path, text: str):
    path = tmp_path / "m.yml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL_INVOICES = """
tables:
  erp_invoices:
    columns:
      invoice_id: BELNR
      customer_id: KUNNR
      document_type: {constant: invoice}
      invoice_date: BUDAT
      due_date: FAEDT
      amount: DMBTR
      currency: WAERS
      updated_at: CPUDT
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tables: [unclosed", r"m\.yml: not valid YAML"),
        ("tables:\n  erp_bills:\n    columns: {a: b}\n", r"tables\.erp_bills: 'erp_bills' is not a contract table"),
        (
            MINIMAL_INVOICES + "      invoice_number: XBLNR\n",
            r"tables\.erp_invoices\.columns: 'invoice_number' is not a column of erp_invoices",
        ),
        (
            MINIMAL_INVOICES.replace("      currency: WAERS\n", ""),
            r"tables\.erp_invoices\.columns: required contract column\(s\) not mapped: currency",
        ),
        (
            MINIMAL_INVOICES.replace("due_date: FAEDT", "due_date: BUDAT"),
            r"source column 'BUDAT' is mapped twice \(invoice_date and due_date\)",
        ),
        (MINIMAL_INVOICES + "      amount: WRBTR\n", r"m\.yml: duplicate key 'amount' at line 13"),
        (
            MINIMAL_INVOICES.replace("invoice_date: BUDAT", "invoice_date: {column: BUDAT, date_format: YYMMDD}"),
            r"columns\.invoice_date: date_format 'YYMMDD' is not one of",
        ),
        (
            MINIMAL_INVOICES.replace("amount: DMBTR", "amount: {column: DMBTR, date_format: YYYYMMDD}"),
            r"columns\.amount: date_format applies to date and timestamp columns, not money",
        ),
        (
            MINIMAL_INVOICES.replace("amount: DMBTR", "amount: {column: DMBTR, constant: '1'}"),
            r"columns\.amount: give exactly one of 'column' \(a source column\) or 'constant'",
        ),
        ("encoding: klingon\n" + MINIMAL_INVOICES, r"encoding 'klingon' is not an encoding Python knows"),
        ("source: sap\n" + MINIMAL_INVOICES, r"unknown top-level key\(s\) \['source'\]"),
    ],
)
def test_mapping_files_are_validated_on_load(tmp_path, text, message):
    with pytest.raises(MappingError, match=message):
        load_mapping(_mapping(tmp_path, text))


def test_shipped_examples_load_and_tables_not_listed_are_identity():
    sap = load_mapping("sap_export")
    assert sap.for_table("erp_invoices").columns["due_date"].plus_days == "ZBD1T"
    assert sap.for_table("erp_fx_rates").is_identity
    assert sap.for_table("erp_fx_rates").source_table == "erp_fx_rates"
    kingdee = load_mapping("kingdee_export")
    assert kingdee.encoding == "gb18030"
    assert kingdee.for_table("erp_invoices").source_columns["invoice_id"] == "单据编号"
    with pytest.raises(MappingError, match=r"mapping file .*no_such\.yml cannot be read"):
        load_mapping("no_such.yml")
