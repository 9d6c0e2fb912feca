-- Reconciliation, per currency, for the as-of date being built: the open
-- items published must add up to what the ledger says is still open on debit
-- documents = documents posted - applications - write-offs (each up to the
-- as-of date). Computed from staging, independently of the item models.
with

debit_documents as (
    select
        invoice_id,
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

ledger as (
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
