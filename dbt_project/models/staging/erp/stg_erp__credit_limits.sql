with

source as (
    select * from {{ source('erp', 'credit_limits') }}
),

latest as (
    {{ latest_version('source', ['customer_id', 'valid_from']) }}
),

renamed as (
    select
        -- ids
        customer_id,
        -- attributes
        currency,
        approved_by,
        -- amounts
        credit_limit,
        -- dates
        valid_from,
        valid_to,
        updated_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
