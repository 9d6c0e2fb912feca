-- The contact calendar as the collections models read it: one row per country
-- and day, working or not (ar_risk.collections.calendar writes the source just
-- before the collections build, from the `holidays` package).
{{ config(materialized='view') }}

with

source as (
    select * from {{ source('collections_reference', 'contact_calendar') }}
),

renamed as (
    select
        -- ids
        country_code,
        calendar_date,
        -- attributes
        is_working_day,
        holiday_name,
        calendar_source,
        -- dates
        next_working_date
    from source
)

select * from renamed
