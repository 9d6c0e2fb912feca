-- Company-wide AR concentration per as-of date: every customer with open AR
-- ranked by it, with its share and the cumulative share of ranks 1..n (see
-- int_concentration_ranked for the definitions). Incremental by as_of_date.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}

with

ranked as (
    select * from {{ ref('int_concentration_ranked') }}
    where scope_type = 'company'
),

final as (
    select
        -- ids
        as_of_date,
        cast(customer_rank as integer) as customer_rank,
        customer_id,
        -- attributes
        customer_name,
        '{{ var("reporting_currency") }}' as reporting_currency,
        -- amounts
        cast(open_amount_rc as decimal(18, 2)) as open_amount_rc,
        cast(cumulative_open_amount_rc as decimal(18, 2)) as cumulative_open_amount_rc,
        share_of_open_ar,
        cumulative_share
    from ranked
)

select * from final
