{{ config(unique_key=['currency', 'rate_date']) }}

-- erp_fx_rates has no updated_at: the latest load of a (currency, rate_date) wins.
with

source as (
    {{ staged_versions(source('erp', 'fx_rates')) }}
),

latest as (
    {{ latest_version('source', order_by='_loaded_at desc, _source_row desc') }}
),

renamed as (
    select
        -- ids
        currency,
        -- amounts
        rate_to_reporting,
        -- dates
        rate_date,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
