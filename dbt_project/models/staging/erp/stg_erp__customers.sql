{{ config(unique_key=['customer_id']) }}

with

source as (
    {{ staged_versions(source('erp', 'customers')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        customer_id,
        parent_customer_id,
        sales_rep_id,
        -- attributes
        customer_name,
        region,
        country_code,
        industry,
        credit_rating,
        payment_terms_days,
        is_active,
        -- dates
        customer_since,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
