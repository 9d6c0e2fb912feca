-- Every movement of the receivables ledger up to the as-of date, one row each,
-- in document and reporting currency: the single source the KPIs, RFA and
-- behaviour features read sales, collections and balances from.
--   sale:            an invoice or debit note posted (raises AR)
--   credit_note:     a credit note posted (its use shows as credit_applied)
--   receipt_applied: a receipt applied to a debit document (lowers its AR)
--   credit_applied:  a credit note applied to a debit document (lowers its AR)
--   writeoff:        a write-off of a debit document (lowers its AR)
-- Every movement of a document converts at the rate of the document date,
-- as fct_ar_open_items does, so balances here and there agree to the cent.
-- A missing rate leaves fx_rate_to_reporting null and fails its not_null test.
with

documents as (
    select * from {{ ref('stg_erp__invoices') }}
    where invoice_date <= {{ as_of_date() }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

-- Documents in the reporting currency (most of them) convert at 1 without the
-- range join; only the others look up their rate (same rule as fx_rate macros).
documents_converted as (
    select
        documents.*,
        cast(1 as decimal(18, 8)) as fx_rate_to_reporting
    from documents
    where documents.currency = '{{ var("reporting_currency") }}'
    union all
    select
        documents.*,
        cast(fx_rates.rate_to_reporting as decimal(18, 8)) as fx_rate_to_reporting
    from documents
    left join fx_rates
        on {{ fx_rate_join_condition('fx_rates', 'documents.currency', 'documents.invoice_date') }}
    where documents.currency != '{{ var("reporting_currency") }}'
),

applications as (
    select * from {{ ref('int_payment_applications_unified') }}
),

writeoffs as (
    select * from {{ ref('stg_erp__writeoffs') }}
    where writeoff_date <= {{ as_of_date() }}
),

posted as (
    select
        case when document_type = 'credit_note' then 'credit_note' else 'sale' end as movement_type,
        invoice_id as movement_id,
        invoice_id,
        invoice_date as movement_date,
        document_amount as amount
    from documents_converted
),

applied as (
    select
        case when payment_id is not null then 'receipt_applied' else 'credit_applied' end as movement_type,
        application_id as movement_id,
        invoice_id,
        applied_date as movement_date,
        amount_applied as amount
    from applications
),

written_off as (
    select
        'writeoff' as movement_type,
        writeoff_id as movement_id,
        invoice_id,
        writeoff_date as movement_date,
        writeoff_amount as amount
    from writeoffs
),

movements as (
    select * from posted
    union all
    select * from applied
    union all
    select * from written_off
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        movements.movement_type,
        movements.movement_id,
        movements.invoice_id,
        documents_converted.customer_id,
        -- attributes
        documents_converted.document_type,
        documents_converted.currency,
        -- amounts
        movements.amount,
        documents_converted.document_amount,
        documents_converted.fx_rate_to_reporting,
        {{ to_reporting_currency('movements.amount', 'documents_converted.fx_rate_to_reporting') }} as amount_rc,
        -- dates
        movements.movement_date,
        documents_converted.invoice_date,
        documents_converted.due_date
    from movements
    -- inner: a movement of a document not yet posted on the as-of date did not happen yet
    inner join documents_converted
        on movements.invoice_id = documents_converted.invoice_id
)

select * from final
