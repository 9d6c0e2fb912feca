-- When each worklist row is worked (docs/collections.md, "Contact rules"), one row per
-- customer and as-of date, kept for worklist_history_days: the contact an earlier
-- worklist planned is read back from here.
--   earlier_contact_date = the contact date of the customer's row on the latest earlier
--                          worklist, when that row contacts and the date is still after
--                          the as-of date (planned, not yet made);
--   scheduled_date       = the first working day of the customer's country (else the
--                          company's; contact_calendar) on or after the latest of
--                          planned_date (day after the as-of date, pay habit, the weekly
--                          cap against the CRM's logged contacts) and earlier_contact_date.
-- A customer has one planned contact at a time: a contact still planned by an earlier
-- worklist is kept, never doubled nor brought forward, so the weekly cap holds over
-- every 7-day window across the worklists of consecutive days, not only within one.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook=["{{ prune_collection_history() }}"],
    )
}}

with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

plan as (
    select * from {{ ref('int_collection_worklist_plan') }}
),

calendar as (
    select * from {{ source('collections_reference', 'contact_calendar') }}
),

{% if is_incremental() %}
history as (
    select * from {{ this }}
    where as_of_date < {{ as_of_date() }}
),

latest_earlier as (
    select
        customer_id,
        max(as_of_date) as as_of_date
    from history
    group by customer_id
),

pending as (
    select
        history.customer_id,
        history.scheduled_date as earlier_contact_date,
        history.contact_planned_on
    from history
    inner join latest_earlier
        on
            history.customer_id = latest_earlier.customer_id
            and history.as_of_date = latest_earlier.as_of_date
    where
        history.contact_status = 'scheduled'
        and history.scheduled_date > {{ as_of_date() }}
),
{% endif %}

with_pending as (
    select
        plan.customer_id,
        plan.action_code,
        plan.contact_status,
        plan.channel,
        plan.country_code,
        plan.contact_timezone,
        plan.planned_date,
        {% if is_incremental() %}
            pending.earlier_contact_date,
            pending.contact_planned_on as earlier_planned_on
        {% else %}
            cast(null as date) as earlier_contact_date,
            cast(null as date) as earlier_planned_on
        {% endif %}
    from plan
    {% if is_incremental() %}
        left join pending
            on plan.customer_id = pending.customer_id
    {% endif %}
),

wanted as (
    select
        with_pending.*,
        case
            when
                with_pending.contact_status = 'scheduled'
                and with_pending.earlier_contact_date > with_pending.planned_date
                then with_pending.earlier_contact_date
            else with_pending.planned_date
        end as wanted_date
    from with_pending
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        wanted.customer_id,
        wanted.action_code,
        -- attributes
        wanted.contact_status,
        wanted.channel,
        wanted.country_code,
        wanted.contact_timezone,
        -- dates
        wanted.planned_date,
        wanted.earlier_contact_date,
        coalesce(own_calendar.next_working_date, company_calendar.next_working_date) as scheduled_date,
        case
            when
                wanted.contact_status = 'scheduled'
                and wanted.earlier_contact_date is not null
                and coalesce(own_calendar.next_working_date, company_calendar.next_working_date)
                = wanted.earlier_contact_date
                then wanted.earlier_planned_on
            when wanted.contact_status = 'scheduled' then {{ as_of_date() }}
        end as contact_planned_on
    from wanted
    cross join params
    left join calendar as own_calendar
        on
            wanted.country_code = own_calendar.country_code
            and wanted.wanted_date = own_calendar.calendar_date
    left join calendar as company_calendar
        on
            params.company_country = company_calendar.country_code
            and wanted.wanted_date = company_calendar.calendar_date
)

select * from final
