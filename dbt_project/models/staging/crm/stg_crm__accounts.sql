{{ config(unique_key=['customer_id']) }}

with

source as (
    {{ staged_versions(source('crm', 'accounts')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        customer_id,
        relationship_manager_id,
        -- attributes
        account_tier,
        litigation_flag,
        negative_news_flag,
        -- dates
        last_review_date,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
