with

source as (
    select * from {{ source('erp', 'payments') }}
),

latest as (
    {{ latest_version('source', ['payment_id']) }}
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
        updated_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
