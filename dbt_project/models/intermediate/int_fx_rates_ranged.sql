-- Each rate applies from its rate_date until the next rate of the same
-- currency (exclusive): "the latest rate on or before a date applies".
with

rates as (
    select * from {{ ref('stg_erp__fx_rates') }}
),

ranged as (
    select
        -- ids
        currency,
        -- amounts
        rate_to_reporting,
        -- dates
        rate_date as valid_from,
        lead(rate_date) over (partition by currency order by rate_date) as valid_until
    from rates
)

select * from ranged
