{{ config(unique_key=['sales_rep_id']) }}

with

source as (
    {{ staged_versions(source('erp', 'sales_reps')) }}
),

latest as (
    {{ latest_version('source') }}
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
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
