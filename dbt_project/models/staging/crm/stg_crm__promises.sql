{{ config(unique_key=['promise_id']) }}

with

source as (
    {{ staged_versions(source('crm', 'promises')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        promise_id,
        customer_id,
        invoice_id,
        activity_id,
        -- amounts
        promised_amount,
        -- dates
        promised_date,
        created_at,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
