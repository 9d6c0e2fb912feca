-- Credit the customer has given us that no document has used yet, as of the
-- as-of date: receipts not (fully) applied = unapplied cash, credit notes not
-- (fully) applied = unapplied credit notes. They lower what the customer owes
-- net, but are not open items: the aggregates show them beside the buckets.
with

applications as (
    select * from {{ ref('int_payment_applications_unified') }}
),

applied_from_receipt as (
    select
        payment_id,
        sum(amount_applied) as applied_amount
    from applications
    where payment_id is not null
    group by payment_id
),

applied_from_credit_note as (
    select
        credit_note_id,
        sum(amount_applied) as applied_amount
    from applications
    where credit_note_id is not null
    group by credit_note_id
),

credits as (
    select
        receipts.payment_id as credit_id,
        'receipt' as credit_type,
        receipts.customer_id,
        cast(null as {{ dbt.type_string() }}) as sales_rep_id,
        receipts.currency,
        receipts.payment_date as credit_date,
        receipts.payment_amount as credit_amount,
        receipts.payment_amount - coalesce(applied_from_receipt.applied_amount, 0) as unapplied_amount
    from {{ ref('stg_erp__payments') }} as receipts
    left join applied_from_receipt
        on receipts.payment_id = applied_from_receipt.payment_id
    where receipts.payment_date <= {{ as_of_date() }}
    union all
    select
        notes.invoice_id as credit_id,
        'credit_note' as credit_type,
        notes.customer_id,
        notes.sales_rep_id,
        notes.currency,
        notes.invoice_date as credit_date,
        notes.document_amount as credit_amount,
        notes.document_amount - coalesce(applied_from_credit_note.applied_amount, 0) as unapplied_amount
    from {{ ref('stg_erp__invoices') }} as notes
    left join applied_from_credit_note
        on notes.invoice_id = applied_from_credit_note.credit_note_id
    where
        notes.document_type = 'credit_note'
        and notes.invoice_date <= {{ as_of_date() }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        credits.credit_id,
        credits.credit_type,
        credits.customer_id,
        credits.sales_rep_id,
        -- attributes
        credits.currency,
        -- amounts
        credits.credit_amount,
        cast(credits.unapplied_amount as decimal(18, 2)) as unapplied_amount,
        cast({{ fx_rate_to_reporting('fx_rates', 'credits.currency') }} as decimal(18, 8)) as fx_rate_to_reporting,
        {{ to_reporting_currency(
            'credits.unapplied_amount', fx_rate_to_reporting('fx_rates', 'credits.currency')
        ) }} as unapplied_amount_rc,
        -- dates
        credits.credit_date
    from credits
    left join fx_rates
        on {{ fx_rate_join_condition('fx_rates', 'credits.currency', 'credits.credit_date') }}
    where credits.unapplied_amount > 0
)

select * from final
