-- Open balance of every debit document on each reference date of the KPIs
-- (analytics_date: as_of, prior_month_end, cei_month_end, cei_month_open,
-- year_ago), so last month's DSO and the CEI month are recomputed in the same
-- build from the ledger: a backfill reproduces them without earlier runs.
--   open_amount = document amount - applied - written off, each dated <= balance_date
--   open_amount_rc = round(open_amount * rate of the document date, 2), as fct_ar_open_items
-- Only documents with a positive open balance on the date are kept.
with

movements as (
    select * from {{ ref('int_kpi_ar_movements') }}
    where movement_type in ('sale', 'receipt_applied', 'credit_applied', 'writeoff')
),

-- One pass over the ledger, one balance column per reference date: a sale
-- raises the balance, the reductions lower it, each counted on the dates on
-- or after it (cheaper than joining every movement to every date). A
-- document without exactly one sale row (a credit note) has no balance here.
per_document as (
    select
        invoice_id,
        min(case when movement_type = 'sale' then movement_date end) as posted_date,
        sum(
            case
                when movement_date <= {{ analytics_date('as_of') }}
                    then case when movement_type = 'sale' then amount else -amount end
            end
        ) as open_amount_as_of,
        sum(
            case
                when movement_date <= {{ analytics_date('prior_month_end') }}
                    then case when movement_type = 'sale' then amount else -amount end
            end
        ) as open_amount_prior_month_end,
        sum(
            case
                when movement_date <= {{ analytics_date('cei_month_end') }}
                    then case when movement_type = 'sale' then amount else -amount end
            end
        ) as open_amount_cei_month_end,
        sum(
            case
                when movement_date <= {{ analytics_date('cei_month_open') }}
                    then case when movement_type = 'sale' then amount else -amount end
            end
        ) as open_amount_cei_month_open,
        sum(
            case
                when movement_date <= {{ analytics_date('year_ago') }}
                    then case when movement_type = 'sale' then amount else -amount end
            end
        ) as open_amount_year_ago
    from movements
    group by invoice_id
    having sum(case when movement_type = 'sale' then 1 else 0 end) = 1
),

-- Back to one row per (date, document); reference dates that coincide (the
-- as-of date is a month end) give the same rows, kept once.
open_by_date as (
    select distinct dated.*
    from (
        select
            {{ analytics_date('as_of') }} as balance_date,
            invoice_id,
            open_amount_as_of as open_amount
        from per_document
        where posted_date <= {{ analytics_date('as_of') }} and open_amount_as_of > 0
        union all
        select
            {{ analytics_date('prior_month_end') }} as balance_date,
            invoice_id,
            open_amount_prior_month_end as open_amount
        from per_document
        where posted_date <= {{ analytics_date('prior_month_end') }} and open_amount_prior_month_end > 0
        union all
        select
            {{ analytics_date('cei_month_end') }} as balance_date,
            invoice_id,
            open_amount_cei_month_end as open_amount
        from per_document
        where posted_date <= {{ analytics_date('cei_month_end') }} and open_amount_cei_month_end > 0
        union all
        select
            {{ analytics_date('cei_month_open') }} as balance_date,
            invoice_id,
            open_amount_cei_month_open as open_amount
        from per_document
        where posted_date <= {{ analytics_date('cei_month_open') }} and open_amount_cei_month_open > 0
        union all
        select
            {{ analytics_date('year_ago') }} as balance_date,
            invoice_id,
            open_amount_year_ago as open_amount
        from per_document
        where posted_date <= {{ analytics_date('year_ago') }} and open_amount_year_ago > 0
    ) as dated
),

sales as (
    select * from movements
    where movement_type = 'sale'
),

final as (
    select
        -- ids
        open_by_date.balance_date,
        open_by_date.invoice_id,
        sales.customer_id,
        -- attributes
        sales.currency,
        -- amounts
        cast(open_by_date.open_amount as decimal(18, 2)) as open_amount,
        {{ to_reporting_currency('open_by_date.open_amount', 'sales.fx_rate_to_reporting') }} as open_amount_rc,
        -- dates
        sales.invoice_date,
        sales.due_date,
        open_by_date.balance_date - sales.due_date as days_past_due
    from open_by_date
    inner join sales
        on open_by_date.invoice_id = sales.invoice_id
)

select * from final
