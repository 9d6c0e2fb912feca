-- Open balance of every debit document on each reference date of the KPIs
-- (analytics_date: as_of, prior_month_end, cei_month_end, cei_month_open,
-- year_ago), so last month's DSO and the CEI month are recomputed in the same
-- build from the ledger: a backfill reproduces them without earlier runs.
--   open_amount = document amount - applied - written off, each dated <= balance_date
--   open_amount_rc = round(open_amount * rate of the document date, 2), as fct_ar_open_items
-- Only documents with a positive open balance on the date are kept.
with

reference_dates as (
    select {{ analytics_date('as_of') }} as balance_date
    union
    select {{ analytics_date('prior_month_end') }} as balance_date
    union
    select {{ analytics_date('cei_month_end') }} as balance_date
    union
    select {{ analytics_date('cei_month_open') }} as balance_date
    union
    select {{ analytics_date('year_ago') }} as balance_date
),

movements as (
    select * from {{ ref('int_kpi_ar_movements') }}
),

debit_documents as (
    select * from movements
    where movement_type = 'sale'
),

reductions as (
    select * from movements
    where movement_type in ('receipt_applied', 'credit_applied', 'writeoff')
),

reduced_by_date as (
    select
        reference_dates.balance_date,
        reductions.invoice_id,
        sum(reductions.amount) as reduced_amount
    from reductions
    inner join reference_dates
        on reductions.movement_date <= reference_dates.balance_date
    group by reference_dates.balance_date, reductions.invoice_id
),

balanced as (
    select
        reference_dates.balance_date,
        debit_documents.invoice_id,
        debit_documents.customer_id,
        debit_documents.currency,
        debit_documents.fx_rate_to_reporting,
        debit_documents.invoice_date,
        debit_documents.due_date,
        debit_documents.amount - coalesce(reduced_by_date.reduced_amount, 0) as open_amount
    from debit_documents
    inner join reference_dates
        on debit_documents.invoice_date <= reference_dates.balance_date
    left join reduced_by_date
        on
            debit_documents.invoice_id = reduced_by_date.invoice_id
            and reference_dates.balance_date = reduced_by_date.balance_date
),

final as (
    select
        -- ids
        balance_date,
        invoice_id,
        customer_id,
        -- attributes
        currency,
        -- amounts
        cast(open_amount as decimal(18, 2)) as open_amount,
        {{ to_reporting_currency('open_amount', 'fx_rate_to_reporting') }} as open_amount_rc,
        -- dates
        invoice_date,
        due_date,
        balance_date - due_date as days_past_due
    from balanced
    where open_amount > 0
)

select * from final
