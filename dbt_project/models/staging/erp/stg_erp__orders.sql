with

source as (
    select * from {{ source('erp', 'orders') }}
),

latest as (
    {{ latest_version('source', ['order_id']) }}
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
        updated_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
