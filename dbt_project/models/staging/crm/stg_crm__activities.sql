{{ config(unique_key=['activity_id']) }}

with

source as (
    {{ staged_versions(source('crm', 'activities')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        activity_id,
        customer_id,
        invoice_id,
        contact_id,
        collector_id,
        -- attributes
        channel,
        outcome,
        notes,
        -- dates
        activity_ts,
        -- activity_ts is stored in UTC (raw layer), so its date is the UTC date
        cast(activity_ts as date) as activity_date,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
