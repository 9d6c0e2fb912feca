{{ config(unique_key=['dispute_id']) }}

with

source as (
    {{ staged_versions(source('crm', 'disputes')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        dispute_id,
        invoice_id,
        customer_id,
        -- attributes
        reason as dispute_reason,
        status as dispute_status,
        -- amounts
        disputed_amount,
        -- dates
        opened_date,
        resolved_date,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
