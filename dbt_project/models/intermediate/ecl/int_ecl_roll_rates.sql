-- Roll rates of the provision matrix (IFRS 9 simplified approach), one row per
-- aging bucket before the default bucket (the bucket holding day
-- ml_bad_debt_label_days + 1 past due, where pd_default is 1), pooled over the
-- trailing month-end to month-end transitions of int_ecl_month_end_balances:
--   eligible_rc = balance in the bucket at a month-end that, unpaid, would have
--                 aged out of the bucket by the next month-end
--                 (next month-end - due_date > the bucket's max_days_past_due)
--   rolled_rc   = what is still open of those same documents at the next month-end
--   roll_rate   = sum(rolled_rc) / sum(eligible_rc) over all transitions
-- "Would have aged out" keeps wide buckets honest: a 91-180 bucket is left by a
-- sixth of its balance in a month, a not-yet-due bucket only by the documents
-- falling due; counting the rest as "not rolled" would understate every rate.
-- No eligible balance in the window: roll_rate null (int_ecl_provision_matrix
-- then assumes 1, prudent, and says so).
with

parameters as (
    select {{ analytics_parameter('ml_bad_debt_label_days') }} as bad_debt_days
),

buckets as (
    select * from {{ ref('aging_buckets') }}
),

default_bucket as (
    select min(buckets.bucket_order) as default_bucket_order
    from buckets
    cross join parameters
    where buckets.max_days_past_due is null or buckets.max_days_past_due > parameters.bad_debt_days
),

balances as (
    select * from {{ ref('int_ecl_month_end_balances') }}
),

month_ends as (
    select distinct
        month_index,
        month_end
    from balances
),

next_balances as (
    select
        invoice_id,
        month_index,
        open_amount_rc
    from balances
),

transitions as (
    select
        balances.aging_bucket_order,
        balances.month_index,
        balances.open_amount_rc as eligible_rc,
        coalesce(next_balances.open_amount_rc, 0) as rolled_rc
    from balances
    inner join buckets
        on balances.aging_bucket = buckets.aging_bucket
    cross join default_bucket
    inner join month_ends as next_month
        on balances.month_index - 1 = next_month.month_index
    left join next_balances
        on
            balances.invoice_id = next_balances.invoice_id
            and balances.month_index - 1 = next_balances.month_index
    where
        balances.aging_bucket_order < default_bucket.default_bucket_order
        and next_month.month_end - balances.due_date > buckets.max_days_past_due
),

pooled as (
    select
        aging_bucket_order,
        sum(eligible_rc) as eligible_rc,
        sum(rolled_rc) as rolled_rc,
        count(distinct month_index) as transitions
    from transitions
    group by aging_bucket_order
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        buckets.aging_bucket,
        buckets.bucket_order as aging_bucket_order,
        -- measures
        cast(coalesce(pooled.eligible_rc, 0) as decimal(18, 2)) as roll_rate_basis_rc,
        cast(coalesce(pooled.rolled_rc, 0) as decimal(18, 2)) as rolled_rc,
        coalesce(pooled.transitions, 0) as roll_rate_months,
        case
            when pooled.eligible_rc > 0 then round(cast(pooled.rolled_rc / pooled.eligible_rc as decimal(18, 6)), 6)
        end as roll_rate
    from buckets
    cross join default_bucket
    left join pooled
        on buckets.bucket_order = pooled.aging_bucket_order
    where buckets.bucket_order < default_bucket.default_bucket_order
)

select * from final
