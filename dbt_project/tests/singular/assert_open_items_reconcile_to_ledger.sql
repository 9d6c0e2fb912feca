-- Reconciliation, per currency, for the as-of date being built: the open
-- items published must add up to what the ledger says is still open on debit
-- documents = documents posted - applications - write-offs (each up to the
-- as-of date). Computed from staging, independently of the item models.
with

as_of as (
    select {{ as_of_date() }} as as_of_date
),

debit_documents as (
    select invoices.invoice_id, invoices.currency, invoices.document_amount
    from {{ ref('stg_erp__invoices') }} as invoices
    cross join as_of
    where invoices.document_type in ('invoice', 'debit_note') and invoices.invoice_date <= as_of.as_of_date
),

ledger as (
    select
        debit_documents.currency,
        sum(debit_documents.document_amount) as posted,
        sum(coalesce(applied.amount, 0)) as applied,
        sum(coalesce(written_off.amount, 0)) as written_off
    from debit_documents
    left join (
        select applications.invoice_id, sum(applications.amount_applied) as amount
        from {{ ref('stg_erp__payment_applications') }} as applications
        cross join as_of
        where applications.applied_date <= as_of.as_of_date
        group by applications.invoice_id
    ) as applied on debit_documents.invoice_id = applied.invoice_id
    left join (
        select writeoffs.invoice_id, sum(writeoffs.writeoff_amount) as amount
        from {{ ref('stg_erp__writeoffs') }} as writeoffs
        cross join as_of
        where writeoffs.writeoff_date <= as_of.as_of_date
        group by writeoffs.invoice_id
    ) as written_off on debit_documents.invoice_id = written_off.invoice_id
    group by debit_documents.currency
),

published as (
    select items.currency, sum(items.open_amount) as open_amount
    from {{ ref('fct_ar_open_items') }} as items
    cross join as_of
    where items.as_of_date = as_of.as_of_date
    group by items.currency
)

select
    ledger.currency,
    ledger.posted - ledger.applied - ledger.written_off as ledger_open,
    coalesce(published.open_amount, 0) as published_open
from ledger
left join published on ledger.currency = published.currency
where abs(ledger.posted - ledger.applied - ledger.written_off - coalesce(published.open_amount, 0)) > 0.005
