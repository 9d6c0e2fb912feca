-- The provision matrix (IFRS 9 simplified approach, 坏账准备): one loss rate
-- per aging bucket for the as-of date.
--   before the default bucket: loss_rate = roll_rate(b) x roll_rate(b + 1) x ...
--       x roll_rate(last bucket before default) x lgd
--   the default bucket and later (>= ml_bad_debt_label_days + 1 past due):
--       loss_rate = lgd (already in default: what is lost of a defaulted amount)
-- A bucket without roll history (no eligible balance in the window) rolls at 1,
-- the prudent assumption, with roll_rate_source 'no_history_assumed_1'.
with

buckets as (
    select * from {{ ref('aging_buckets') }}
),

roll_rates as (
    select * from {{ ref('int_ecl_roll_rates') }}
),

lgd as (
    select * from {{ ref('int_ecl_loss_given_default') }}
),

rolled as (
    select
        buckets.aging_bucket,
        buckets.bucket_order,
        roll_rates.aging_bucket is not null as is_before_default,
        roll_rates.roll_rate,
        roll_rates.roll_rate_basis_rc,
        roll_rates.roll_rate_months,
        coalesce(roll_rates.roll_rate, 1) as roll_rate_used
    from buckets
    left join roll_rates
        on buckets.aging_bucket = roll_rates.aging_bucket
),

-- The product of the roll rates from each bucket to the default bucket, as
-- exp(sum(ln)) over the buckets at or after it (a zero rate makes it zero).
chained as (
    select
        rolled.*,
        case
            when not rolled.is_before_default then 1
            when min(rolled.roll_rate_used) over (
                partition by rolled.is_before_default order by rolled.bucket_order
                rows between current row and unbounded following
            ) = 0 then 0
            else exp(sum(ln(rolled.roll_rate_used)) over (
                partition by rolled.is_before_default order by rolled.bucket_order
                rows between current row and unbounded following
            ))
        end as probability_to_default
    from rolled
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        chained.aging_bucket,
        chained.bucket_order as aging_bucket_order,
        -- measures
        chained.is_before_default,
        chained.roll_rate,
        case
            when not chained.is_before_default then 'in_default'
            when chained.roll_rate is null then 'no_history_assumed_1'
            else 'history'
        end as roll_rate_source,
        coalesce(chained.roll_rate_basis_rc, 0) as roll_rate_basis_rc,
        coalesce(chained.roll_rate_months, 0) as roll_rate_months,
        cast(round(cast(chained.probability_to_default as decimal(18, 8)), 6) as decimal(18, 6))
            as probability_to_default,
        lgd.lgd,
        lgd.lgd_source,
        lgd.lgd_reason,
        cast(round(cast(chained.probability_to_default * lgd.lgd as decimal(18, 8)), 6) as decimal(18, 6)) as loss_rate
    from chained
    cross join lgd
)

select * from final
