{{ config(unique_key=['payment_id']) }}

with

source as (
    {{ staged_versions(source('erp', 'payments')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        payment_id,
        customer_id,
        -- attributes
        currency,
        method as payment_method,
        -- amounts
        amount as payment_amount,
        -- dates
        payment_date,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
