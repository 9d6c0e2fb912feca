-- Who works each worklist row and when (docs/collections.md, "Contact rules" and
-- "Owner and capacity"), one row per customer and as-of date, kept for
-- worklist_history_days: the contact an earlier worklist planned is read back from here.
--   earlier_contact_date = the work date of the customer's row on the latest earlier
--                          worklist, when that row contacts and the date is still after
--                          the as-of date (planned, not yet made);
--   scheduled_date       = the first working day of the customer's country (else the
--                          company's; contact_calendar) on or after the latest of
--                          planned_date (day after the as-of date, pay habit, the weekly
--                          cap against the CRM's logged contacts) and earlier_contact_date.
--   pool                 = the customer's own rep / supervisor on record (sales roles), else
--                          the collectors of the row's owner role in the customer's region,
--                          else of region '*', else every collector of the role;
--   work_date            = day by day from the day after the as-of date, the unplaced rows
--                          whose scheduled_date has come and whose calendar works that day,
--                          highest priority first (priority_score, overdue amount,
--                          customer_id), fill the pool's capacity of the day (the sum of
--                          its people's daily_capacity); the rest wait for the next working
--                          day; none within 31 days: null, 'beyond_horizon';
--   owner                = within the pool and day, the rows in priority order take the
--                          people's places j = 1..daily_capacity ordered by j / daily_capacity
--                          (the most remaining capacity first), first the places of people
--                          speaking the customer's language (zh-CN for CN, HK, MO, TW, else
--                          en), then any: nobody gets more rows a day than their capacity.
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
{% set horizon_days = 31 %}
{% set languages = ['zh-CN', 'en'] %}

with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

plan as (
    select * from {{ ref('int_collection_worklist_plan') }}
),

calendar as (
    select * from {{ ref('stg_reference__contact_calendar_days') }}
),

owners as (
    select * from {{ ref('int_collection_customer_owners') }}
),

collectors as (
    select * from {{ ref('collectors') }}
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
        history.work_date as earlier_contact_date,
        history.contact_planned_on
    from history
    inner join latest_earlier
        on
            history.customer_id = latest_earlier.customer_id
            and history.as_of_date = latest_earlier.as_of_date
    where
        history.contact_status = 'scheduled'
        and history.work_date > {{ as_of_date() }}
),
{% endif %}

with_pending as (
    select
        plan.customer_id,
        plan.action_code,
        plan.contact_status,
        plan.channel,
        plan.country_code,
        plan.region,
        plan.contact_timezone,
        plan.owner_role,
        plan.priority_score,
        plan.overdue_amount_rc,
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

scheduled as (
    select
        wanted.*,
        own_calendar.country_code is null as uses_company_calendar,
        coalesce(own_calendar.next_working_date, company_calendar.next_working_date) as scheduled_date,
        case
            when upper(coalesce(wanted.country_code, params.company_country)) in ('CN', 'HK', 'MO', 'TW')
                then 'zh-CN'
            else 'en'
        end as contact_language
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
),

-- The pools: a rep or supervisor on record alone; else the role's collectors of the region, '*', any.
regions_served as (
    select distinct
        owner_role,
        region
    from collectors
),

pooled as (
    select
        scheduled.*,
        coalesce(owners.on_record, false) as on_record,
        case
            when coalesce(owners.on_record, false) then 'person|' || owners.owner_id
            when regional.owner_role is not null then 'role|' || scheduled.owner_role || '|' || scheduled.region
            when anywhere.owner_role is not null then 'role|' || scheduled.owner_role || '|*'
            else 'any|' || scheduled.owner_role
        end as pool_key,
        cast(row_number() over (
            order by scheduled.priority_score desc, scheduled.overdue_amount_rc desc, scheduled.customer_id asc
        ) as integer) as priority_rank
    from scheduled
    left join owners
        on
            scheduled.customer_id = owners.customer_id
            and scheduled.owner_role = owners.owner_role
    left join regions_served as regional
        on
            scheduled.owner_role = regional.owner_role
            and scheduled.region = regional.region
    left join regions_served as anywhere
        on
            scheduled.owner_role = anywhere.owner_role
            and anywhere.region = '*'
),

pool_members as (
    select
        'role|' || owner_role || '|' || region as pool_key,
        person_id,
        person_name,
        daily_capacity,
        languages
    from collectors
    union all
    select
        'any|' || owner_role as pool_key,
        person_id,
        person_name,
        daily_capacity,
        languages
    from collectors
    union all
    select distinct
        pooled.pool_key,
        owners.owner_id as person_id,
        owners.owner_name as person_name,
        params.rep_daily_capacity as daily_capacity,
        cast(null as {{ dbt.type_string() }}) as languages
    from pooled
    cross join params
    inner join owners
        on
            pooled.customer_id = owners.customer_id
            and pooled.owner_role = owners.owner_role
    where pooled.on_record
),

pool_capacity as (
    select
        pool_key,
        sum(daily_capacity) as daily_capacity
    from pool_members
    group by pool_key
),

-- The days a row may be worked: its calendar's working days from its scheduled date on.
item_days as (
    select
        pooled.customer_id,
        cast(day_calendar.calendar_date - {{ as_of_date() }} as integer) as day_number
    from pooled
    cross join params
    inner join calendar as day_calendar
        on
            coalesce(
                case when pooled.uses_company_calendar then params.company_country end, pooled.country_code
            ) = day_calendar.country_code
            and pooled.scheduled_date <= day_calendar.calendar_date
            and day_calendar.calendar_date > {{ as_of_date() }}
            and day_calendar.calendar_date <= {{ add_days(as_of_date(), horizon_days) }}
            and day_calendar.is_working_day
),

placed_0 as (
    select
        pooled.customer_id,
        pooled.pool_key,
        pooled.priority_rank,
        cast(null as integer) as day_number
    from pooled
),

{% for day in range(1, horizon_days + 1) %}
-- day {{ day }} after the as-of date: the highest-priority waiting rows fill the pool's capacity
    ranked_{{ day }} as (
        select
            placed_{{ day - 1 }}.*,
            case
                when placed_{{ day - 1 }}.day_number is null and item_days.customer_id is not null
                    then row_number() over (
                        partition by
                            placed_{{ day - 1 }}.pool_key,
                            placed_{{ day - 1 }}.day_number is null and item_days.customer_id is not null
                        order by placed_{{ day - 1 }}.priority_rank
                    )
            end as day_rank
        from placed_{{ day - 1 }}
        left join item_days
            on
                placed_{{ day - 1 }}.customer_id = item_days.customer_id
                and item_days.day_number = {{ day }}
    ),

    placed_{{ day }} as (
        select
            ranked_{{ day }}.customer_id,
            ranked_{{ day }}.pool_key,
            ranked_{{ day }}.priority_rank,
            case
                when ranked_{{ day }}.day_rank <= pool_capacity.daily_capacity then {{ day }}
                else ranked_{{ day }}.day_number
            end as day_number
        from ranked_{{ day }}
        left join pool_capacity
            on ranked_{{ day }}.pool_key = pool_capacity.pool_key
    ),

{% endfor %}
placed as (
    select
        placed_{{ horizon_days }}.*,
        {{ add_days(as_of_date(), 'placed_' ~ horizon_days ~ '.day_number') }} as work_date,
        scheduled.contact_language
    from placed_{{ horizon_days }}
    inner join pooled as scheduled
        on placed_{{ horizon_days }}.customer_id = scheduled.customer_id
),

pool_days as (
    select
        pool_key,
        work_date,
        count(*) as rows_placed
    from placed
    where work_date is not null
    group by pool_key, work_date
),

digits as (
    {%- for digit in range(10) %}
        select {{ digit }} as digit
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

numbers as (
    select hundreds.digit * 100 + tens.digit * 10 + ones.digit + 1 as place_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
),

-- Each person's places of the day, j = 1..daily_capacity, the most remaining capacity first.
places as (
    select
        pool_days.pool_key,
        pool_days.work_date,
        pool_members.person_id,
        pool_members.person_name,
        pool_members.languages,
        pool_members.daily_capacity,
        numbers.place_number,
        1.0 * numbers.place_number / pool_members.daily_capacity as place_order
    from pool_days
    inner join pool_members
        on pool_days.pool_key = pool_members.pool_key
    inner join numbers
        on
            pool_members.daily_capacity >= numbers.place_number
            and pool_days.rows_placed >= numbers.place_number
),

{% set phases = languages + ['*'] %}
{% for language in phases %}
    {% set i = loop.index %}
    phase_rows_{{ i }} as (
        select
            placed.customer_id,
            placed.pool_key,
            placed.work_date,
            row_number() over (
                partition by placed.pool_key, placed.work_date order by placed.priority_rank
            ) as phase_rank
        from placed
        where
            placed.work_date is not null
            {% if language != '*' %}and placed.contact_language = '{{ language }}'{% endif %}
            {% for earlier in range(1, i) %}
                and placed.customer_id not in (select matched_{{ earlier }}.customer_id from matched_{{ earlier }})
            {% endfor %}
    ),

    phase_places_{{ i }} as (
        select
            places.*,
            row_number() over (
                partition by places.pool_key, places.work_date order by places.place_order, places.person_id
            ) as phase_rank
        from places
        where
            1 = 1
            {% if language != '*' %}and ';' || places.languages || ';' like '%;{{ language }};%'{% endif %}
            {% for earlier in range(1, i) %}
                and not exists (
                    select 1 from matched_{{ earlier }}
                    where
                        matched_{{ earlier }}.pool_key = places.pool_key
                        and matched_{{ earlier }}.work_date = places.work_date
                        and matched_{{ earlier }}.person_id = places.person_id
                        and matched_{{ earlier }}.place_number = places.place_number
                )
            {% endfor %}
    ),

    matched_{{ i }} as (
        select
            phase_rows_{{ i }}.customer_id,
            phase_places_{{ i }}.pool_key,
            phase_places_{{ i }}.work_date,
            phase_places_{{ i }}.person_id,
            phase_places_{{ i }}.person_name,
            phase_places_{{ i }}.place_number,
            phase_places_{{ i }}.daily_capacity as owner_daily_capacity,
            {{ i }} as phase
        from phase_rows_{{ i }}
        inner join phase_places_{{ i }}
            on
                phase_rows_{{ i }}.pool_key = phase_places_{{ i }}.pool_key
                and phase_rows_{{ i }}.work_date = phase_places_{{ i }}.work_date
                and phase_rows_{{ i }}.phase_rank = phase_places_{{ i }}.phase_rank
    ),

{% endfor %}
matched as (
    {% for language in phases %}
        select * from matched_{{ loop.index }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        pooled.customer_id,
        pooled.action_code,
        matched.person_id as owner_id,
        -- attributes
        pooled.owner_role,
        matched.person_name as owner_name,
        pooled.on_record,
        matched.owner_daily_capacity,
        pooled.pool_key,
        pooled.contact_language,
        case when not pooled.on_record then matched.phase <= {{ languages | length }} end as speaks_contact_language,
        pooled.contact_status,
        pooled.channel,
        pooled.country_code,
        pooled.contact_timezone,
        pooled.priority_rank,
        case
            when placed.work_date is null then 'beyond_horizon'
            when placed.work_date > pooled.scheduled_date then 'moved_for_capacity'
            else 'fits'
        end as capacity_status,
        -- dates
        pooled.planned_date,
        pooled.earlier_contact_date,
        pooled.scheduled_date,
        placed.work_date,
        case
            when
                pooled.contact_status = 'scheduled'
                and pooled.earlier_contact_date is not null
                and placed.work_date = pooled.earlier_contact_date
                then pooled.earlier_planned_on
            when pooled.contact_status = 'scheduled' and placed.work_date is not null then {{ as_of_date() }}
        end as contact_planned_on
    from pooled
    inner join placed
        on pooled.customer_id = placed.customer_id
    left join matched
        on pooled.customer_id = matched.customer_id
)

select * from final
