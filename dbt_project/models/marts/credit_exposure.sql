-- Credit exposure per as-of date, for each customer and each customer group
-- (a parent_customer_id with the head office itself and its subsidiaries):
--   credit_limit_rc  = the limit valid that day (valid_from <= as_of_date <=
--                      valid_to, both inclusive; null valid_to = open-ended;
--                      overlapping limits: the latest valid_from wins),
--                      converted at the rate on the as-of date. A group's
--                      limit is the sum of its members' limits (the head
--                      office's own included; a member without a limit adds
--                      exposure but no limit), in the reporting currency: the
--                      source contract has no group-limit row (erp_credit_limits
--                      is keyed by customer), and the head office's limit alone
--                      put 52 of 61 demo groups over limit (issue 19).
--   members_with_limit = the members whose limit counts (1 or 0 for a customer)
--   open_ar_rc       = open debit documents (gross; unapplied cash is not
--                      netted, the prudent view)
--   uninvoiced_orders_rc = open orders not yet invoiced (int_uninvoiced_orders)
--   exposure_rc      = open_ar_rc + uninvoiced_orders_rc
--   utilisation_pct  = exposure_rc / credit_limit_rc x 100 (null without a
--                      positive limit)
--   headroom_rc      = credit_limit_rc - exposure_rc (negative = over limit)
--   utilisation_flag = the highest credit_utilisation_thresholds row with
--                      min_utilisation_pct <= utilisation_pct; 'no_limit'
--                      without a positive limit.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}

with

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

limits_valid as (
    select
        customer_id,
        credit_limit,
        currency,
        row_number() over (partition by customer_id order by valid_from desc) as limit_rank
    from {{ ref('stg_erp__credit_limits') }}
    where
        valid_from <= {{ as_of_date() }}
        and (valid_to is null or valid_to >= {{ as_of_date() }})
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

limits_converted as (
    select
        limits_valid.customer_id,
        limits_valid.currency as credit_limit_currency,
        limits_valid.credit_limit,
        {{ to_reporting_currency(
            'limits_valid.credit_limit', fx_rate_to_reporting('fx_rates', 'limits_valid.currency')
        ) }} as credit_limit_rc
    from limits_valid
    left join fx_rates
        on {{ fx_rate_join_condition('fx_rates', 'limits_valid.currency', as_of_date()) }}
    where limits_valid.limit_rank = 1
),

open_ar as (
    select
        customer_id,
        sum(open_amount_rc) as open_ar_rc
    from {{ ref('int_open_items_enriched') }}
    group by customer_id
),

open_orders as (
    select
        customer_id,
        sum(order_amount_rc) as uninvoiced_orders_rc
    from {{ ref('int_uninvoiced_orders') }}
    group by customer_id
),

customer_exposure as (
    select
        customers.customer_id,
        customers.parent_customer_id,
        customers.customer_name,
        coalesce(open_ar.open_ar_rc, 0) as open_ar_rc,
        coalesce(open_orders.uninvoiced_orders_rc, 0) as uninvoiced_orders_rc
    from customers
    left join open_ar
        on customers.customer_id = open_ar.customer_id
    left join open_orders
        on customers.customer_id = open_orders.customer_id
),

-- A group = a customer named as someone's parent, with all its members.
group_members as (
    select
        parent_customer_id as group_id,
        customer_id
    from customers
    where parent_customer_id is not null
    union
    select distinct
        parent_customer_id as group_id,
        parent_customer_id as customer_id
    from customers
    where parent_customer_id is not null
),

parties as (
    select
        'customer' as exposure_level,
        customer_exposure.customer_id as party_id,
        customer_exposure.customer_name as party_name,
        customer_exposure.parent_customer_id,
        cast(1 as integer) as member_count,
        customer_exposure.open_ar_rc,
        customer_exposure.uninvoiced_orders_rc
    from customer_exposure
    union all
    select
        'group' as exposure_level,
        group_members.group_id as party_id,
        max(coalesce(heads.customer_name, group_members.group_id)) as party_name,
        cast(null as {{ dbt.type_string() }}) as parent_customer_id,
        cast(count(*) as integer) as member_count,
        sum(coalesce(customer_exposure.open_ar_rc, 0)) as open_ar_rc,
        sum(coalesce(customer_exposure.uninvoiced_orders_rc, 0)) as uninvoiced_orders_rc
    from group_members
    left join customer_exposure
        on group_members.customer_id = customer_exposure.customer_id
    left join customers as heads
        on group_members.group_id = heads.customer_id
    group by group_members.group_id
),

-- A customer's own limit; a group's is the sum of its members' (reporting currency).
party_limits as (
    select
        'customer' as exposure_level,
        customer_id as party_id,
        credit_limit_currency,
        credit_limit,
        credit_limit_rc,
        1 as members_with_limit
    from limits_converted
    union all
    select
        'group' as exposure_level,
        group_members.group_id as party_id,
        '{{ var("reporting_currency") }}' as credit_limit_currency,
        sum(limits_converted.credit_limit_rc) as credit_limit,
        sum(limits_converted.credit_limit_rc) as credit_limit_rc,
        count(*) as members_with_limit
    from group_members
    inner join limits_converted
        on group_members.customer_id = limits_converted.customer_id
    group by group_members.group_id
),

measured as (
    select
        parties.*,
        party_limits.credit_limit_currency,
        party_limits.credit_limit,
        party_limits.credit_limit_rc,
        coalesce(party_limits.members_with_limit, 0) as members_with_limit,
        parties.open_ar_rc + parties.uninvoiced_orders_rc as exposure_rc,
        case
            when party_limits.credit_limit_rc > 0
                then 100.0 * (parties.open_ar_rc + parties.uninvoiced_orders_rc) / party_limits.credit_limit_rc
        end as utilisation_pct
    from parties
    left join party_limits
        on
            parties.exposure_level = party_limits.exposure_level
            and parties.party_id = party_limits.party_id
),

thresholds as (
    select * from {{ ref('credit_utilisation_thresholds') }}
),

flagged as (
    select
        measured.*,
        coalesce(
            (
                select thresholds.utilisation_flag
                from thresholds
                where thresholds.min_utilisation_pct <= measured.utilisation_pct
                order by thresholds.min_utilisation_pct desc
                limit 1
            ),
            'no_limit'
        ) as utilisation_flag
    from measured
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        exposure_level,
        party_id,
        parent_customer_id,
        -- attributes
        party_name,
        cast(member_count as integer) as member_count,
        credit_limit_currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        utilisation_flag,
        -- amounts
        cast(credit_limit as decimal(18, 2)) as credit_limit,
        cast(credit_limit_rc as decimal(18, 2)) as credit_limit_rc,
        cast(open_ar_rc as decimal(18, 2)) as open_ar_rc,
        cast(uninvoiced_orders_rc as decimal(18, 2)) as uninvoiced_orders_rc,
        cast(exposure_rc as decimal(18, 2)) as exposure_rc,
        cast(round(utilisation_pct, 2) as decimal(18, 2)) as utilisation_pct,
        cast(credit_limit_rc - exposure_rc as decimal(18, 2)) as headroom_rc,
        -- appended (the BI contract keeps earlier columns in place)
        cast(members_with_limit as integer) as members_with_limit
    from flagged
)

select * from final
