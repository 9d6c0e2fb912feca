{{ config(unique_key=['application_id']) }}

with

source as (
    {{ staged_versions(source('erp', 'payment_applications')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        application_id,
        invoice_id,
        payment_id,
        credit_note_id,
        -- amounts
        amount_applied,
        -- dates
        applied_date,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
