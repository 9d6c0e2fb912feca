with

source as (
    select * from {{ source('crm', 'disputes') }}
),

latest as (
    {{ latest_version('source', ['dispute_id']) }}
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
        updated_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
