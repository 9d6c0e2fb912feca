-- When each worklist row may contact the customer (docs/collections.md, "Contact rules"):
--   contact_date  = the first working day on or after work_date
--                   (int_collection_assignments: already a working day) in the
--                   customer's country (contact_calendar: no weekends, no public
--                   holidays, make-up working days count), else the company's;
--   window        = the channel's window clipped to the hours outside quiet hours:
--                   [greatest(window_start, quiet_hours_end), least(window_end, quiet_hours_start))
--                   in the contact's time zone, and the same instants in UTC.
-- A contact at 21:59 is allowed, at 22:00 not (quiet hours start), at 08:00 again.
-- A row without a work date (no owner capacity within the horizon) gets contact_status
-- 'no_capacity' and no slot. A window that lies wholly in quiet hours (rejected when the strategy tables are
-- loaded) leaves no slot: contact_status 'no_allowed_window'.
with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

plan as (
    select * from {{ ref('int_collection_assignments') }}
    where as_of_date = {{ as_of_date() }}
),

channels as (
    select * from {{ ref('contact_channels') }}
),

calendar as (
    select * from {{ ref('stg_reference__contact_calendar_days') }}
),

clipped as (
    select
        plan.customer_id,
        plan.action_code,
        plan.contact_status,
        plan.contact_timezone,
        coalesce(own_calendar.next_working_date, company_calendar.next_working_date) as working_date,
        own_calendar.country_code is null as used_company_calendar,
        greatest(cast(channels.window_start || ':00' as time), params.quiet_hours_end) as window_start_time,
        least(cast(channels.window_end || ':00' as time), params.quiet_hours_start) as window_end_time
    from plan
    cross join params
    left join calendar as own_calendar
        on
            plan.country_code = own_calendar.country_code
            and plan.work_date = own_calendar.calendar_date
    left join calendar as company_calendar
        on
            params.company_country = company_calendar.country_code
            and plan.work_date = company_calendar.calendar_date
    left join channels
        on plan.channel = channels.channel
),

final as (
    select
        -- ids
        customer_id,
        action_code,
        -- attributes
        case
            when contact_status = 'scheduled' and not (window_start_time < window_end_time) then 'no_allowed_window'
            -- no capacity within the horizon (int_collection_assignments: beyond_horizon)
            when contact_status = 'scheduled' and working_date is null then 'no_capacity'
            else contact_status
        end as contact_status,
        used_company_calendar,
        -- dates
        working_date,
        case
            when contact_status = 'scheduled' and window_start_time < window_end_time then working_date
        end as contact_date,
        case
            when contact_status = 'scheduled' and window_start_time < window_end_time
                then working_date + window_start_time
        end as contact_window_start_local,
        case
            when contact_status = 'scheduled' and window_start_time < window_end_time
                then working_date + window_end_time
        end as contact_window_end_local,
        case
            when contact_status = 'scheduled' and window_start_time < window_end_time
                then {{ local_to_utc('working_date + window_start_time', 'contact_timezone') }}
        end as contact_window_start_utc,
        case
            when contact_status = 'scheduled' and window_start_time < window_end_time
                then {{ local_to_utc('working_date + window_end_time', 'contact_timezone') }}
        end as contact_window_end_utc
    from clipped
)

select * from final
