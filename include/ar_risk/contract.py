"""The source contract (``shared/source_contract.md``) as data.

One place for table names, columns, types and keys. The demo generator writes
these tables, the extractor checks landing files against them, and the tests
check both. Change the contract here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

# Logical types of the contract and the DuckDB types the raw layer stores them as.
# Money is DECIMAL(18, 2): exact, and fits any AR balance a company has.
DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",  # stored in UTC; offsets in the source are converted on load
    "money": "DECIMAL(18,2)",
    "rate": "DECIMAL(18,8)",
    "int": "INTEGER",
    "bool": "BOOLEAN",
}

# The same logical types as Arrow types: what a Parquet landing file should carry.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "money": pa.decimal128(18, 2),
    "rate": pa.decimal128(18, 8),
    "int": pa.int32(),
    "bool": pa.bool_(),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a key of DUCKDB_TYPES
    nullable: bool = False

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    system: str  # "erp" or "crm"
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False
    description: str = ""
    references: dict[str, str] = field(default_factory=dict)  # column -> "table.column"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _cols(*specs: tuple) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "erp_customers",
            "erp",
            _cols(
                ("customer_id", "string"),
                ("customer_name", "string"),
                ("parent_customer_id", "string", True),
                ("region", "string"),
                ("country_code", "string", True),
                ("industry", "string"),
                ("customer_since", "date"),
                ("sales_rep_id", "string", True),
                ("payment_terms_days", "int"),
                ("credit_rating", "string", True),
                ("is_active", "bool"),
                ("updated_at", "timestamp"),
            ),
            key=("customer_id",),
            required=True,
            description="one row per customer",
        ),
        Table(
            "erp_invoices",
            "erp",
            _cols(
                ("invoice_id", "string"),
                ("customer_id", "string"),
                ("document_type", "string"),
                ("invoice_date", "date"),
                ("due_date", "date"),
                ("amount", "money"),
                ("currency", "string"),
                ("order_id", "string", True),
                ("sales_rep_id", "string", True),
                ("updated_at", "timestamp"),
            ),
            key=("invoice_id",),
            required=True,
            description="AR documents: invoice and debit_note raise AR, credit_note lowers it",
            references={"customer_id": "erp_customers.customer_id"},
        ),
        Table(
            "erp_payments",
            "erp",
            _cols(
                ("payment_id", "string"),
                ("customer_id", "string"),
                ("payment_date", "date"),
                ("amount", "money"),
                ("currency", "string"),
                ("method", "string", True),
                ("updated_at", "timestamp"),
            ),
            key=("payment_id",),
            required=True,
            description="cash receipts",
            references={"customer_id": "erp_customers.customer_id"},
        ),
        Table(
            "erp_payment_applications",
            "erp",
            _cols(
                ("application_id", "string"),
                ("invoice_id", "string"),
                ("payment_id", "string", True),
                ("credit_note_id", "string", True),
                ("applied_date", "date"),
                ("amount_applied", "money"),
                ("updated_at", "timestamp"),
            ),
            key=("application_id",),
            description="which document a receipt or credit note cleared",
            references={
                "invoice_id": "erp_invoices.invoice_id",
                "payment_id": "erp_payments.payment_id",
                "credit_note_id": "erp_invoices.invoice_id",
            },
        ),
        Table(
            "erp_writeoffs",
            "erp",
            _cols(
                ("writeoff_id", "string"),
                ("invoice_id", "string"),
                ("writeoff_date", "date"),
                ("amount", "money"),
                ("reason", "string", True),
                ("updated_at", "timestamp"),
            ),
            key=("writeoff_id",),
            description="bad-debt write-offs",
            references={"invoice_id": "erp_invoices.invoice_id"},
        ),
        Table(
            "erp_credit_limits",
            "erp",
            _cols(
                ("customer_id", "string"),
                ("credit_limit", "money"),
                ("currency", "string"),
                ("valid_from", "date"),
                ("valid_to", "date", True),
                ("approved_by", "string", True),
                ("updated_at", "timestamp"),
            ),
            key=("customer_id", "valid_from"),
            description="credit limit history",
            references={"customer_id": "erp_customers.customer_id"},
        ),
        Table(
            "erp_orders",
            "erp",
            _cols(
                ("order_id", "string"),
                ("customer_id", "string"),
                ("order_date", "date"),
                ("amount", "money"),
                ("currency", "string"),
                ("status", "string"),
                ("updated_at", "timestamp"),
            ),
            key=("order_id",),
            description="sales orders",
            references={"customer_id": "erp_customers.customer_id"},
        ),
        Table(
            "erp_sales_reps",
            "erp",
            _cols(
                ("sales_rep_id", "string"),
                ("rep_name", "string"),
                ("department", "string"),
                ("supervisor_id", "string", True),
                ("region", "string", True),
                ("email", "string", True),
                ("updated_at", "timestamp"),
            ),
            key=("sales_rep_id",),
            description="the people and departments that own customers",
        ),
        Table(
            "erp_fx_rates",
            "erp",
            _cols(
                ("currency", "string"),
                ("rate_date", "date"),
                ("rate_to_reporting", "rate"),
            ),
            key=("currency", "rate_date"),
            description="units of reporting currency per unit of currency; latest on or before a date applies",
        ),
        Table(
            "crm_accounts",
            "crm",
            _cols(
                ("customer_id", "string"),
                ("account_tier", "string"),
                ("relationship_manager_id", "string", True),
                ("litigation_flag", "bool"),
                ("negative_news_flag", "bool"),
                ("last_review_date", "date", True),
                ("updated_at", "timestamp"),
            ),
            key=("customer_id",),
            description="relationship and risk signals",
            references={"customer_id": "erp_customers.customer_id"},
        ),
        Table(
            "crm_contacts",
            "crm",
            _cols(
                ("contact_id", "string"),
                ("customer_id", "string"),
                ("contact_name", "string"),
                ("role", "string", True),
                ("email", "string", True),
                ("phone", "string", True),
                ("preferred_channel", "string"),
                ("timezone", "string", True),
                ("do_not_contact", "bool"),
                ("updated_at", "timestamp"),
            ),
            key=("contact_id",),
            description="who to contact (personal data)",
            references={"customer_id": "erp_customers.customer_id"},
        ),
        Table(
            "crm_activities",
            "crm",
            _cols(
                ("activity_id", "string"),
                ("customer_id", "string"),
                ("invoice_id", "string", True),
                ("contact_id", "string", True),
                ("collector_id", "string", True),
                ("activity_ts", "timestamp"),
                ("channel", "string"),
                ("outcome", "string"),
                ("notes", "string", True),
                ("updated_at", "timestamp"),
            ),
            key=("activity_id",),
            description="the collection and communication log",
            references={"customer_id": "erp_customers.customer_id"},
        ),
        Table(
            "crm_promises",
            "crm",
            _cols(
                ("promise_id", "string"),
                ("customer_id", "string"),
                ("invoice_id", "string", True),
                ("activity_id", "string", True),
                ("promised_date", "date"),
                ("promised_amount", "money"),
                ("created_at", "timestamp"),
                ("updated_at", "timestamp"),
            ),
            key=("promise_id",),
            description="promises to pay; kept or broken is derived, never read",
            references={"customer_id": "erp_customers.customer_id"},
        ),
        Table(
            "crm_disputes",
            "crm",
            _cols(
                ("dispute_id", "string"),
                ("invoice_id", "string"),
                ("customer_id", "string"),
                ("opened_date", "date"),
                ("reason", "string"),
                ("disputed_amount", "money"),
                ("status", "string"),
                ("resolved_date", "date", True),
                ("updated_at", "timestamp"),
            ),
            key=("dispute_id",),
            description="invoice disputes",
            references={"invoice_id": "erp_invoices.invoice_id", "customer_id": "erp_customers.customer_id"},
        ),
    ]
}

REQUIRED_TABLES: tuple[str, ...] = tuple(name for name, t in TABLES.items() if t.required)

# Value domains the contract fixes (codes stay in English; labels live in seeds).
DOCUMENT_TYPES = ("invoice", "debit_note", "credit_note")
ORDER_STATUSES = ("open", "invoiced", "cancelled")
ACCOUNT_TIERS = ("strategic", "key", "standard")
CONTACT_CHANNELS = ("phone", "email", "sms", "wechat", "visit")
ACTIVITY_CHANNELS = ("call", "email", "sms", "letter", "visit", "legal_notice")
ACTIVITY_OUTCOMES = (
    "no_answer",
    "reached",
    "promise_to_pay",
    "dispute_raised",
    "refused",
    "paid_confirmed",
    "wrong_contact",
)
DISPUTE_REASONS = ("quality", "price", "delivery", "documentation", "other")
DISPUTE_STATUSES = ("open", "resolved", "rejected")


def _table_ranks() -> dict[str, int]:
    """Contract tables in reference order: a table comes after the tables it points at.

    Every extractor loads in this order, because the quality gate checks references against
    raw. FX rates come first: the gate checks each document's currency against them.
    """
    ranks: dict[str, int] = {"erp_fx_rates": 0}

    def rank(name: str) -> int:
        if name not in ranks:
            parents = {ref.split(".")[0] for ref in TABLES[name].references.values()} - {name}
            ranks[name] = 1 + max((rank(p) for p in parents), default=0)
        return ranks[name]

    for name in TABLES:
        rank(name)
    return ranks


TABLE_RANKS = _table_ranks()
EXTRACTION_ORDER: tuple[str, ...] = tuple(sorted(TABLES, key=lambda t: (TABLE_RANKS[t], list(TABLES).index(t))))


def render_markdown() -> str:
    """docs/source_contract.md, generated from TABLES (``ar-risk contract > docs/source_contract.md``)."""
    lines = [
        "# Source contract (generated)",
        "",
        "What the pipeline reads from ERP and CRM: the tables, columns, types and keys",
        "every landing folder or source database must provide. Generated from",
        "`include/ar_risk/contract.py` by `ar-risk contract`; a test keeps it in sync.",
        "",
        "- Landing files: `<AR_LANDING_DIR>/<table>/*.csv|*.parquet|*.xlsx`: CSV with a header row",
        "  (UTF-8, or `AR_CSV_ENCODING`), Parquet, or Excel (the first sheet, header in row 1);",
        "  dates `YYYY-MM-DD`, timestamps ISO 8601 with an offset or UTC, booleans `true`/`false`.",
        "- Amounts are >= 0; whether a document raises or lowers AR comes from `document_type`.",
        "- Extra columns are kept in the raw layer and reported; a row may carry `is_deleted`",
        "  (soft delete); a row re-sent with a newer `updated_at` replaces the older one.",
        "- Required tables: " + ", ".join(f"`{t}`" for t in REQUIRED_TABLES) + ". The others are optional:",
        "  when absent, what needs them is reported as unavailable, never faked.",
        "",
        "Types: " + ", ".join(f"`{k}` = {v}" for k, v in DUCKDB_TYPES.items()) + " (as stored in DuckDB).",
    ]
    for table in TABLES.values():
        lines += [
            "",
            f"## {table.name} ({'required' if table.required else 'optional'})",
            "",
            f"{table.description[:1].upper()}{table.description[1:]}. Key: ({', '.join(table.key)}).",
            "",
            "| column | type | null allowed | references |",
            "|---|---|---|---|",
        ]
        for column in table.columns:
            ref = table.references.get(column.name, "")
            lines.append(f"| {column.name} | {column.type} | {'yes' if column.nullable else 'no'} | {ref} |")
    return "\n".join(lines) + "\n"
