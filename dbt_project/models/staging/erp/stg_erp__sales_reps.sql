with

source as (
    select * from {{ source('erp', 'sales_reps') }}
),

latest as (
    {{ latest_version('source', ['sales_rep_id']) }}
),

renamed as (
    select
        -- ids
        sales_rep_id,
        supervisor_id,
        -- attributes
        rep_name,
        department,
        region,
        email,
        -- dates
        updated_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
