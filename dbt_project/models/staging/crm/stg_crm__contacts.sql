{{ config(unique_key=['contact_id']) }}

-- Personal data: read by worklists only, never joined into a mart.
with

source as (
    {{ staged_versions(source('crm', 'contacts')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        contact_id,
        customer_id,
        -- attributes
        contact_name,
        role as contact_role,
        email,
        phone,
        preferred_channel,
        timezone,
        do_not_contact,
        -- dates
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
