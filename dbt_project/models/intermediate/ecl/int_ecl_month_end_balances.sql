-- Open balance and aging bucket of every debit document (invoice, debit note)
-- on each of the trailing month-ends the provision matrix's roll rates read
-- (month_index 0 = the latest month-end on or before the as-of date, up to
-- ecl_roll_rate_months + 1 month-ends), recomputed from the ledger cut at the
-- as-of date (int_kpi_ar_movements), so a backfill sees what was known then:
--   open_amount = document amount - receipts, credit notes and write-offs
--                 dated on or before the month-end (document currency)
--   open_amount_rc at the document date's rate, as fct_ar_open_items
--   days_past_due = month_end - due_date; bucket edges from seed aging_buckets
-- Only documents with a positive balance on the month-end are kept.
with

parameters as (
    select {{ analytics_parameter('ecl_roll_rate_months') }} as roll_rate_months
),

month_ends as (
    select month_ends.*
    from ({{ ecl_month_ends() }}) as month_ends
    cross join parameters
    where month_ends.month_index <= parameters.roll_rate_months
),

movements as (
    select
        invoice_id,
        customer_id,
        movement_type,
        amount,
        fx_rate_to_reporting,
        movement_date,
        invoice_date,
        due_date
    from {{ ref('int_kpi_ar_movements') }}
    where
        document_type in ('invoice', 'debit_note')
        and movement_type in ('sale', 'receipt_applied', 'credit_applied', 'writeoff')
),

window_start as (
    select min(month_end) as first_month_end from month_ends
),

-- A document closed before the first month-end has no balance in the window:
-- left out before the join to the month-ends.
documents_in_window as (
    select movements.invoice_id
    from movements
    cross join window_start
    group by movements.invoice_id, window_start.first_month_end
    having
        max(movements.movement_date) > window_start.first_month_end
        or sum(case when movements.movement_type = 'sale' then movements.amount else -movements.amount end) > 0
),

balances as (
    select
        month_ends.month_index,
        month_ends.month_end,
        movements.invoice_id,
        max(movements.customer_id) as customer_id,
        max(movements.fx_rate_to_reporting) as fx_rate_to_reporting,
        max(movements.due_date) as due_date,
        sum(case when movements.movement_type = 'sale' then movements.amount else -movements.amount end) as open_amount
    from movements
    inner join documents_in_window
        on movements.invoice_id = documents_in_window.invoice_id
    inner join month_ends
        on
            movements.movement_date <= month_ends.month_end
            and movements.invoice_date <= month_ends.month_end
    group by month_ends.month_index, month_ends.month_end, movements.invoice_id
    having
        sum(case when movements.movement_type = 'sale' then 1 else 0 end) = 1
        and sum(case when movements.movement_type = 'sale' then movements.amount else -movements.amount end) > 0.005
),

buckets as (
    select * from {{ ref('aging_buckets') }}
),

final as (
    select
        -- ids
        balances.month_index,
        balances.month_end,
        balances.invoice_id,
        balances.customer_id,
        -- attributes
        buckets.aging_bucket,
        buckets.bucket_order as aging_bucket_order,
        -- amounts
        cast(balances.open_amount as decimal(18, 2)) as open_amount,
        {{ to_reporting_currency('balances.open_amount', 'balances.fx_rate_to_reporting') }} as open_amount_rc,
        -- dates
        balances.due_date,
        balances.month_end - balances.due_date as days_past_due
    from balances
    left join buckets
        on
            (
                buckets.min_days_past_due is null
                or balances.month_end - balances.due_date >= buckets.min_days_past_due
            )
            and (
                buckets.max_days_past_due is null
                or balances.month_end - balances.due_date <= buckets.max_days_past_due
            )
)

select * from final
