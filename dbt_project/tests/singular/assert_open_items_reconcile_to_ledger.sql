-- Reconciliation, per currency, for the as-of date being built: the open
-- items published must add up to what the ledger says is still open on debit
-- documents, computed from staging, independently of the item models:
--   with ERP applications: documents posted - applications - write-offs
--   without (FIFO): per customer and currency, documents - write-offs -
--     receipts - credit notes, floored at 0 (what FIFO cannot apply is
--     unapplied credit, not negative AR)
-- (each up to the as-of date).
-- depends_on: {{ ref('stg_erp__payment_applications') }}
{%- set method = payment_application_method() %}
with

debit_documents as (
    select
        invoice_id,
        customer_id,
        currency,
        document_amount
    from {{ ref('stg_erp__invoices') }}
    where
        document_type in ('invoice', 'debit_note')
        and invoice_date <= {{ as_of_date() }}
),

applied as (
    select
        invoice_id,
        sum(amount_applied) as amount
    from {{ ref('stg_erp__payment_applications') }}
    where applied_date <= {{ as_of_date() }}
    group by invoice_id
),

written_off as (
    select
        invoice_id,
        sum(writeoff_amount) as amount
    from {{ ref('stg_erp__writeoffs') }}
    where writeoff_date <= {{ as_of_date() }}
    group by invoice_id
),

credits as (
    select
        customer_id,
        currency,
        payment_amount as amount
    from {{ ref('stg_erp__payments') }}
    where payment_date <= {{ as_of_date() }}
    union all
    select
        customer_id,
        currency,
        document_amount as amount
    from {{ ref('stg_erp__invoices') }}
    where
        document_type = 'credit_note'
        and invoice_date <= {{ as_of_date() }}
),

source_ledger as ( -- noqa: ST03
    select
        debit_documents.currency,
        sum(
            debit_documents.document_amount
            - coalesce(applied.amount, 0)
            - coalesce(written_off.amount, 0)
        ) as ledger_open
    from debit_documents
    left join applied on debit_documents.invoice_id = applied.invoice_id
    left join written_off on debit_documents.invoice_id = written_off.invoice_id
    group by debit_documents.currency
),

customer_debits as (
    select
        debit_documents.customer_id,
        debit_documents.currency,
        sum(debit_documents.document_amount - coalesce(written_off.amount, 0)) as amount
    from debit_documents
    left join written_off on debit_documents.invoice_id = written_off.invoice_id
    group by debit_documents.customer_id, debit_documents.currency
),

customer_credits as (
    select
        customer_id,
        currency,
        sum(amount) as amount
    from credits
    group by customer_id, currency
),

fifo_ledger as ( -- noqa: ST03
    select
        customer_debits.currency,
        sum(
            case
                when customer_debits.amount - coalesce(customer_credits.amount, 0) > 0
                    then customer_debits.amount - coalesce(customer_credits.amount, 0)
                else 0
            end
        ) as ledger_open
    from customer_debits
    left join customer_credits
        on
            customer_debits.customer_id = customer_credits.customer_id
            and customer_debits.currency = customer_credits.currency
    group by customer_debits.currency
),

ledger as (
    select * from {{ 'source_ledger' if method == 'source' else 'fifo_ledger' }}
),

published as (
    select
        currency,
        sum(open_amount) as published_open
    from {{ ref('fct_ar_open_items') }}
    where as_of_date = {{ as_of_date() }}
    group by currency
)

select
    ledger.currency,
    ledger.ledger_open,
    coalesce(published.published_open, 0) as published_open
from ledger
left join published on ledger.currency = published.currency
where abs(ledger.ledger_open - coalesce(published.published_open, 0)) > 0.005
