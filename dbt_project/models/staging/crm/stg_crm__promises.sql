with

source as (
    select * from {{ source('crm', 'promises') }}
),

latest as (
    {{ latest_version('source', ['promise_id']) }}
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
        updated_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
