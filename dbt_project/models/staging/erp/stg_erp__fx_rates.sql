-- erp_fx_rates has no updated_at: the latest load of a (currency, rate_date) wins.
with

source as (
    select * from {{ source('erp', 'fx_rates') }}
),

latest as (
    {{ latest_version('source', ['currency', 'rate_date'], order_by='_loaded_at desc, _source_row desc') }}
),

renamed as (
    select
        -- ids
        currency,
        -- amounts
        rate_to_reporting,
        -- dates
        rate_date
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
