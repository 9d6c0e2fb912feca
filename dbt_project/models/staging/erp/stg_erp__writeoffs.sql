{{ config(unique_key=['writeoff_id']) }}

with

source as (
    {{ staged_versions(source('erp', 'writeoffs')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        writeoff_id,
        invoice_id,
        -- attributes
        reason as writeoff_reason,
        -- amounts
        amount as writeoff_amount,
        -- dates
        writeoff_date,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
