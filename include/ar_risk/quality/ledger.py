"""Rules across rows and tables: the gate's checks that one row alone cannot answer.

GX validates one batch DataFrame at a time, so it cannot see that an application clears more
than its invoice still owes, or that a soft-deleted customer still has live invoices. One such
row, once in raw, would fail a dbt data test on every later run (``open_amount`` not negative,
``relationships``) until someone re-sends it. These rules run in DuckDB against raw as it
would be after the batch (the latest live version of every key, as dbt's staging sees it) and
return the batch rows to quarantine, each with a reason that names the numbers:

- ``amount_applied_within_document``: applications and write-offs to a debit document total at
  most its amount;
- ``amount_applied_within_receipt`` / ``amount_applied_within_credit_note``: applications from a
  receipt or a credit note total at most its amount;
- ``amount_covers_applications``: a new version of a document or receipt keeps an amount of at
  least what is already applied from or to it;
- ``still_referenced``: a soft delete (``is_deleted = true``) of a row that live rows of other
  tables still point at (a customer with invoices, an invoice with applications);
- ``same_version_conflict``: a row with the same key and ``updated_at`` as a loaded row but other
  values. The loaded version is kept (the first load wins, files in name order), the newcomer is
  quarantined and reported: re-send it with a newer ``updated_at`` to replace the loaded one.

When a batch over-applies, rows are accepted in date order (then by key) while the total fits,
and only the rows that push it over are quarantined; rows already in raw always count first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from ar_risk.contract import TABLES, Table
from ar_risk.warehouse import quote_ident

SOFT_DELETE = "is_deleted"
# A batch row ranks after every loaded version with the same updated_at (it is the newer load).
_BATCH_LOADED_AT = "TIMESTAMP '9999-12-31 00:00:00'"


@dataclass(frozen=True)
class Finding:
    source_row: int
    rule: str
    column: str
    reason: str


Quarantine = Callable[[list[Finding]], None]


def _keys(table: Table) -> str:
    return ", ".join(quote_ident(k) for k in table.key)


def _order(table: Table) -> str:
    # The tie-breaks of dbt's latest_version macro: newer updated_at, later load, later line.
    updated = "updated_at DESC, " if "updated_at" in table.column_names else ""
    return f"{updated}_loaded_at DESC, _source_row DESC"


def live_sql(table_name: str, *, where: str = "TRUE") -> str:
    """The live rows of ``raw.<table>`` (latest version per key, not soft-deleted), filtered first by ``where``."""
    table = TABLES[table_name]
    return (
        f"SELECT * EXCLUDE (_version_rank) FROM (SELECT r.*, row_number() OVER "
        f"(PARTITION BY {_keys(table)} ORDER BY {_order(table)}) AS _version_rank "
        f"FROM raw.{table.name} AS r WHERE {where}) WHERE _version_rank = 1 AND NOT coalesce({SOFT_DELETE}, false)"
    )


def _after_sql(table: Table, batch: str, *, where: str = "TRUE") -> str:
    """Live rows of ``table`` once the batch is merged; ``_batch_row`` is the batch's source row (else NULL)."""
    columns = ", ".join(quote_ident(c) for c in [*table.column_names, SOFT_DELETE])
    return f"""SELECT * EXCLUDE (_version_rank) FROM (
        SELECT *, row_number() OVER (PARTITION BY {_keys(table)} ORDER BY {_order(table)}) AS _version_rank FROM (
            SELECT {columns}, _loaded_at, _source_row, CAST(NULL AS BIGINT) AS _batch_row
            FROM raw.{table.name} WHERE {where}
            UNION ALL
            SELECT {columns}, {_BATCH_LOADED_AT} AS _loaded_at, _source_row, _source_row AS _batch_row
            FROM {batch} WHERE {where}))
        WHERE _version_rank = 1 AND NOT coalesce({SOFT_DELETE}, false)"""


def _money(value) -> str:
    return f"{value:,.2f}"


def check(con: duckdb.DuckDBPyConnection, table: Table, batch: str, quarantine: Quarantine) -> None:
    """Run every cross-row rule of ``table`` on the batch; ``quarantine`` moves findings out of it.

    Rules run one after the other, each on what the previous ones left in the batch.
    """
    if "updated_at" in table.column_names:
        quarantine(_same_version_conflicts(con, table, batch))
    quarantine(_deletes_still_referenced(con, table, batch))
    if table.name == "erp_payment_applications":
        quarantine(_over_applied(con, batch, by="invoice_id"))
        quarantine(_over_applied(con, batch, by="payment_id"))
        quarantine(_over_applied(con, batch, by="credit_note_id"))
    elif table.name == "erp_writeoffs":
        quarantine(_over_written_off(con, batch))
    elif table.name in ("erp_invoices", "erp_payments"):
        quarantine(_amount_below_applied(con, table, batch))


def outside_customer_history(
    con: duckdb.DuckDBPyConnection, table: Table, batch: str, *, multiple: float, min_documents: int
) -> list[Finding]:
    """Invoices far above the customer's own history: loaded, but flagged (a warning, not a quarantine)."""
    if table.name != "erp_invoices":
        return []
    live = live_sql("erp_invoices", where=f"customer_id IN (SELECT customer_id FROM {batch})")
    rows = con.execute(
        f"""WITH history AS (
                SELECT b._source_row, b.invoice_id, b.customer_id, b.amount,
                       max(h.amount) AS largest, count(h.invoice_id) AS documents
                FROM {batch} AS b JOIN ({live}) AS h
                    ON h.customer_id = b.customer_id AND h.invoice_id <> b.invoice_id
                       AND h.document_type <> 'credit_note'
                WHERE b.document_type <> 'credit_note' AND NOT coalesce(b.{SOFT_DELETE}, false)
                GROUP BY ALL)
            SELECT _source_row, invoice_id, customer_id, amount, largest FROM history
            WHERE documents >= ? AND amount > ? * largest ORDER BY _source_row""",
        [min_documents, multiple],
    ).fetchall()
    return [
        Finding(
            row,
            "amount_outside_customer_history",
            "amount",
            f"{invoice} of {customer}: {_money(amount)} is more than {multiple:g}x the customer's largest document "
            f"so far ({_money(largest)}): loaded; check it is not a typo"
            f" / {customer} 的 {invoice}：{_money(amount)} 超过该客户历史最大单据"
            f"（{_money(largest)}）的 {multiple:g} 倍：已载入，请核实是否录入错误",
        )
        for row, invoice, customer, amount, largest in rows
    ]


def _same_version_conflicts(con: duckdb.DuckDBPyConnection, table: Table, batch: str) -> list[Finding]:
    join = " AND ".join(f"r.{quote_ident(k)} = b.{quote_ident(k)}" for k in table.key)
    rows = con.execute(
        f"""SELECT b._source_row, any_value(r._source_file), any_value(r._source_row), any_value(b.updated_at)
            FROM {batch} AS b JOIN raw.{table.name} AS r ON {join} AND r.updated_at = b.updated_at
            WHERE r._row_hash <> b._row_hash
              AND NOT EXISTS (SELECT 1 FROM raw.{table.name} AS same WHERE same._row_hash = b._row_hash)
            GROUP BY b._source_row"""
    ).fetchall()
    key = "/".join(table.key)
    return [
        Finding(
            row,
            "same_version_conflict",
            key,
            f"same {key} and updated_at ({updated}) as the version loaded from {file} row {loaded_row}, "
            "but other values: the loaded version is kept; re-send this row with a newer updated_at to replace it"
            f" / 与已从 {file} 第 {loaded_row} 行载入的版本主键和 updated_at 相同但内容不同：保留已载入版本；"
            "如需替换，请以更新的 updated_at 重新发送",
        )
        for row, file, loaded_row, updated in rows
    ]


def _deletes_still_referenced(con: duckdb.DuckDBPyConnection, table: Table, batch: str) -> list[Finding]:
    if len(table.key) != 1:
        return []
    key = quote_ident(table.key[0])
    referencing = [
        (other.name, column)
        for other in TABLES.values()
        for column, ref in other.references.items()
        if ref == f"{table.name}.{table.key[0]}"
    ]
    if not referencing or not con.execute(f"SELECT count(*) FROM {batch} WHERE {SOFT_DELETE}").fetchone()[0]:
        return []
    counts = " UNION ALL ".join(
        f"SELECT {quote_ident(column)} AS ref_key, '{other}.{column}' AS via, count(*) AS n FROM ("
        + live_sql(other, where=f"{quote_ident(column)} IN (SELECT {key} FROM {batch} WHERE {SOFT_DELETE})")
        + ") GROUP BY 1"
        for other, column in referencing
    )
    rows = con.execute(
        f"""SELECT b._source_row, b.{key}, string_agg(c.n || ' ' || c.via, ', ' ORDER BY c.n DESC, c.via), sum(c.n)
            FROM {batch} AS b JOIN ({counts}) AS c ON c.ref_key = b.{key}
            WHERE b.{SOFT_DELETE} GROUP BY ALL"""
    ).fetchall()
    return [
        Finding(
            row,
            "still_referenced",
            table.key[0],
            f"{table.key[0]} {value} is deleted but {total} live row(s) still point at it ({detail}): "
            "delete or re-assign those first; this delete is re-checked on every run"
            f" / {table.key[0]} {value} 被删除，但仍有 {total} 行有效数据引用它（{detail}）：请先删除或改挂这些行；"
            "每次运行都会复查此删除",
        )
        for row, value, detail, total in rows
    ]


_CREDIT_RULES = {
    # column of the application -> (rule, the document it draws on, its amount column, extra where)
    "invoice_id": ("amount_applied_within_document", "erp_invoices", "amount", "document_type <> 'credit_note'"),
    "payment_id": ("amount_applied_within_receipt", "erp_payments", "amount", "TRUE"),
    "credit_note_id": ("amount_applied_within_credit_note", "erp_invoices", "amount", "document_type = 'credit_note'"),
}


def _written_off_sql(batch_keys: str) -> str:
    live = live_sql("erp_writeoffs", where=f"invoice_id IN ({batch_keys})")
    return f"SELECT invoice_id, sum(amount) AS written_off FROM ({live}) GROUP BY invoice_id"


def _applied_sql(by: str, keys: str) -> str:
    return (
        f"SELECT {by}, sum(amount_applied) AS applied FROM "
        f"({live_sql('erp_payment_applications', where=f'{by} IN ({keys})')}) GROUP BY {by}"
    )


def _over_applied(con: duckdb.DuckDBPyConnection, batch: str, *, by: str) -> list[Finding]:
    """Applications to a document (or from a receipt or credit note) beyond its amount."""
    rule, document_table, amount_column, document_filter = _CREDIT_RULES[by]
    document_key = TABLES[document_table].key[0]
    keys = f"SELECT {by} FROM {batch} WHERE {by} IS NOT NULL AND NOT coalesce({SOFT_DELETE}, false)"
    table = TABLES["erp_payment_applications"]
    # Write-offs use up a debit document too; they do not touch receipts or credit notes.
    written_off = (
        f"LEFT JOIN ({_written_off_sql(keys)}) AS w ON w.invoice_id = d.{document_key}" if by == "invoice_id" else ""
    )
    limit = f"d.{amount_column} - {'coalesce(w.written_off, 0)' if by == 'invoice_id' else '0'}"
    over = con.execute(
        f"""WITH after AS ({_after_sql(table, batch, where=f"{by} IN ({keys})")})
            SELECT d.{document_key}, {limit} AS limit_amount, d.{amount_column}
            FROM ({live_sql(document_table, where=f"{document_key} IN ({keys})")}) AS d {written_off}
            JOIN (SELECT {by}, sum(amount_applied) AS applied FROM after GROUP BY {by}) AS a
                ON a.{by} = d.{document_key}
            WHERE {document_filter.replace("document_type", "d.document_type")} AND a.applied > {limit}"""
    ).fetchall()
    if not over:
        return []
    limits = {doc: (limit_amount, amount) for doc, limit_amount, amount in over}
    rows = _candidate_rows(con, table, batch, list(limits), by=by, amount="amount_applied", date="applied_date")
    return _greedy(rows, limits, rule=rule, column="amount_applied", what=by)


def _candidate_rows(
    con: duckdb.DuckDBPyConnection, table: Table, batch: str, docs: list, *, by: str, amount: str, date: str
) -> list[tuple]:
    """The live rows drawing on ``docs`` once the batch is merged, loaded rows first, for :func:`_greedy`.

    Each row: (document, key, date, amount, batch source row or NULL, amount of the loaded version it replaces).
    """
    key = table.key[0]
    where = f"{by} IN (SELECT unnest($1::VARCHAR[]))"
    return con.execute(
        f"""WITH after AS ({_after_sql(table, batch, where=where)}), replaced AS ({live_sql(table.name, where=where)})
            SELECT a.{by}, a.{key}, a.{date}, a.{amount}, a._batch_row, coalesce(p.{amount}, 0) AS replaced_amount
            FROM after AS a
            LEFT JOIN replaced AS p ON a._batch_row IS NOT NULL AND p.{key} = a.{key} AND p.{by} = a.{by}
            ORDER BY a.{by}, a._batch_row IS NOT NULL, a.{date}, a.{key}""",
        [docs],
    ).fetchall()


def _greedy(rows, limits: dict, *, rule: str, column: str, what: str) -> list[Finding]:
    """Accept loaded rows, then batch rows in date order while the total fits; the rest are findings.

    ``rows``: (document, row key, date, amount, batch source row or None, amount of the loaded version
    the batch row replaces). A refused replacement leaves its loaded version standing, so that one counts.
    """
    findings = []
    running: dict = {}
    for doc, _key, _date, amount, batch_row, replaced in rows:
        if batch_row is None:
            running[doc] = running.get(doc, 0) + amount
        else:
            running[doc] = running.get(doc, 0) + replaced
    for doc, key, _date, amount, batch_row, replaced in rows:
        if batch_row is None:
            continue
        limit_amount, document_amount = limits[doc]
        candidate = running[doc] - replaced + amount
        if candidate <= limit_amount:
            running[doc] = candidate
            continue
        findings.append(
            Finding(
                batch_row,
                rule,
                column,
                f"{key}: {_money(amount)} would bring the total applied on {what} {doc} to {_money(candidate)}, "
                f"more than its {_money(limit_amount)} available (amount {_money(document_amount)})"
                f" / {key}：核销 {_money(amount)} 后 {what} {doc} 的核销合计 {_money(candidate)}，"
                f"超过可核销的 {_money(limit_amount)}（金额 {_money(document_amount)}）",
            )
        )
    return findings


def _over_written_off(con: duckdb.DuckDBPyConnection, batch: str) -> list[Finding]:
    """Write-offs beyond what a document still owes after its applications."""
    keys = f"SELECT invoice_id FROM {batch} WHERE invoice_id IS NOT NULL AND NOT coalesce({SOFT_DELETE}, false)"
    table = TABLES["erp_writeoffs"]
    over = con.execute(
        f"""WITH after AS ({_after_sql(table, batch, where=f"invoice_id IN ({keys})")})
            SELECT d.invoice_id, d.amount - coalesce(a.applied, 0) AS limit_amount, d.amount
            FROM ({live_sql("erp_invoices", where=f"invoice_id IN ({keys})")}) AS d
            LEFT JOIN ({_applied_sql("invoice_id", keys)}) AS a ON a.invoice_id = d.invoice_id
            JOIN (SELECT invoice_id, sum(amount) AS written_off FROM after GROUP BY 1) AS w
                ON w.invoice_id = d.invoice_id
            WHERE d.document_type <> 'credit_note' AND w.written_off > d.amount - coalesce(a.applied, 0)"""
    ).fetchall()
    if not over:
        return []
    limits = {doc: (limit_amount, amount) for doc, limit_amount, amount in over}
    rows = _candidate_rows(con, table, batch, list(limits), by="invoice_id", amount="amount", date="writeoff_date")
    return _greedy(rows, limits, rule="amount_applied_within_document", column="amount", what="invoice_id")


def _amount_below_applied(con: duckdb.DuckDBPyConnection, table: Table, batch: str) -> list[Finding]:
    """A new version of a document or receipt with an amount below what is already applied."""
    key = table.key[0]
    keys = f"SELECT {key} FROM {batch} WHERE NOT coalesce({SOFT_DELETE}, false)"
    if table.name == "erp_payments":
        used = f"SELECT payment_id AS doc, applied AS used FROM ({_applied_sql('payment_id', keys)})"
        used_sql = f"b.{key} = u.doc"
    else:
        # Debit documents: applications to them plus write-offs; credit notes: applications drawn from them.
        used = f"""SELECT coalesce(a.invoice_id, w.invoice_id) AS doc,
                          coalesce(a.applied, 0) + coalesce(w.written_off, 0) AS used, FALSE AS from_credit_note
                   FROM ({_applied_sql("invoice_id", keys)}) AS a
                   FULL JOIN ({_written_off_sql(keys)}) AS w ON w.invoice_id = a.invoice_id
                   UNION ALL
                   SELECT credit_note_id, applied, TRUE FROM ({_applied_sql("credit_note_id", keys)})"""
        used_sql = f"b.{key} = u.doc AND u.from_credit_note = (b.document_type = 'credit_note')"
    rows = con.execute(
        f"""SELECT b._source_row, b.{key}, b.amount, u.used FROM {batch} AS b JOIN ({used}) AS u ON {used_sql}
            WHERE NOT coalesce(b.{SOFT_DELETE}, false) AND b.amount < u.used"""
    ).fetchall()
    return [
        Finding(
            row,
            "amount_covers_applications",
            "amount",
            f"{key} {doc}: the new amount {_money(amount)} is below the {_money(used)} already applied to or from it:"
            " send the applications' corrections first, or correct the amount"
            f" / {key} {doc}：新金额 {_money(amount)} 低于已核销的 {_money(used)}：请先更正核销记录，或更正金额",
        )
        for row, doc, amount, used in rows
    ]
