{{ config(unique_key=['order_id']) }}

with

source as (
    {{ staged_versions(source('erp', 'orders')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        order_id,
        customer_id,
        -- attributes
        status as order_status,
        currency,
        -- amounts
        amount as order_amount,
        -- dates
        order_date,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
