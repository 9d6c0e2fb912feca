-- Late-payment interest (滞纳金/逾期利息) per overdue debit document, accrued to the
-- as-of date, for information: what the contract lets the company claim, usable in
-- a letter, never booked here (docs/metrics.md, "Late-payment interest").
--   daily_rate       from seed late_fee_rates, the first row that applies:
--                    the customer's own row, else its tier's, else the '*' row;
--                    rate_basis daily_rate: daily_rate (policy 003: 0.0005 = 0.05 % a day),
--                    lpr_multiple: lpr_annual_rate x lpr_multiple / 365 (policy 002: LPR x 1.5),
--                    waived: 0 (the core tier by default)
--   balance_days     open amount x days past due
--                    + each amount received or written off after the due date x its days late
--                    (simple interest on the daily overdue balance; nothing before the due date)
--   accrued_late_fee = daily_rate x balance_days (document currency), accrued_late_fee_rc in
--                    the reporting currency at the document's rate
-- Incremental by as_of_date, history bounded as fct_ar_open_items'.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook=["{{ prune_snapshot_history() }}"],
    )
}}

with

overdue_items as (
    select * from {{ ref('int_open_items_enriched') }}
    where days_past_due > 0
),

tiers as (
    select * from {{ ref('int_customer_tiers') }}
),

rates as (
    select * from {{ ref('late_fee_rates') }}
),

-- what left the balance after the due date accrued until it left
late_reductions as (
    select
        applications.invoice_id,
        applications.amount_applied as amount,
        applications.applied_date as reduced_date
    from {{ ref('int_payment_applications_unified') }} as applications
    union all
    select
        writeoffs.invoice_id,
        writeoffs.writeoff_amount as amount,
        writeoffs.writeoff_date as reduced_date
    from {{ ref('stg_erp__writeoffs') }} as writeoffs
    where writeoffs.writeoff_date <= {{ as_of_date() }}
),

paid_late as (
    select
        overdue_items.invoice_id,
        sum(late_reductions.amount) as paid_late_amount,
        sum(
            cast(late_reductions.amount as double precision) * (late_reductions.reduced_date - overdue_items.due_date)
        ) as paid_late_balance_days
    from overdue_items
    inner join late_reductions
        on
            overdue_items.invoice_id = late_reductions.invoice_id
            and overdue_items.due_date < late_reductions.reduced_date
    group by overdue_items.invoice_id
),

matched as (
    select
        overdue_items.invoice_id,
        tiers.customer_tier,
        rates.rate_basis,
        case
            when coalesce(rates.customer_id, '') <> '' then 'customer'
            when rates.customer_tier <> '*' then 'tier'
            else 'default'
        end as rate_source,
        case rates.rate_basis
            when 'daily_rate' then cast(rates.daily_rate as double precision)
            when 'lpr_multiple' then cast(rates.lpr_annual_rate as double precision) * rates.lpr_multiple / 365.0
            else 0.0
        end as daily_rate,
        row_number() over (
            partition by overdue_items.invoice_id
            order by
                case
                    when coalesce(rates.customer_id, '') <> '' then 1
                    when rates.customer_tier <> '*' then 2
                    else 3
                end
        ) as match_rank
    from overdue_items
    left join tiers
        on overdue_items.customer_id = tiers.customer_id
    inner join rates
        on
            overdue_items.customer_id = rates.customer_id
            or (coalesce(rates.customer_id, '') = '' and rates.customer_tier in (tiers.customer_tier, '*'))
),

accrued as (
    select
        overdue_items.*,
        matched.customer_tier,
        matched.rate_basis,
        matched.rate_source,
        matched.daily_rate,
        coalesce(paid_late.paid_late_amount, 0) as paid_late_amount,
        cast(overdue_items.open_amount as double precision) * overdue_items.days_past_due
        + coalesce(paid_late.paid_late_balance_days, 0) as balance_days
    from overdue_items
    inner join matched
        on overdue_items.invoice_id = matched.invoice_id and matched.match_rank = 1
    left join paid_late
        on overdue_items.invoice_id = paid_late.invoice_id
),

final as (
    select
        -- ids
        as_of_date,
        invoice_id,
        customer_id,
        -- attributes
        customer_tier,
        currency,
        rate_basis as late_fee_basis,
        rate_source,
        rate_basis = 'waived' as is_waived,
        is_disputed,
        -- dates
        due_date,
        days_past_due,
        -- amounts
        cast(open_amount as decimal(18, 2)) as open_amount,
        cast(open_amount_rc as decimal(18, 2)) as open_amount_rc,
        cast(paid_late_amount as decimal(18, 2)) as paid_late_amount,
        cast(daily_rate as decimal(12, 10)) as daily_rate,
        cast(round(cast(balance_days as decimal(38, 6)), 2) as decimal(24, 2)) as balance_days,
        cast(round(cast(daily_rate * balance_days as decimal(38, 6)), 2) as decimal(18, 2)) as accrued_late_fee,
        cast(
            round(cast(daily_rate * balance_days * fx_rate_to_reporting as decimal(38, 6)), 2) as decimal(18, 2)
        ) as accrued_late_fee_rc
    from accrued
)

select * from final
