{{ config(unique_key=['customer_id', 'valid_from']) }}

with

source as (
    {{ staged_versions(source('erp', 'credit_limits')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        customer_id,
        -- attributes
        currency,
        approved_by,
        -- amounts
        credit_limit,
        -- dates
        valid_from,
        valid_to,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
