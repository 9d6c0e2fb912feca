-- The worklist's load per owner role and work day (docs/collections.md, "Owner and
-- capacity"): what the day's worklist asks of each role, what fits, what moves.
--   rows_scheduled      = rows whose scheduled_date (before capacity) is the day
--   rows_worked         = rows whose work_date is the day (within their owners' capacity)
--   rows_moved_out      = rows scheduled for the day, worked on a later day or not placed
--                         (the overflow of the day)
--   rows_moved_in       = rows worked on the day that were scheduled for an earlier day
--   rows_beyond_horizon = rows scheduled for the day and placed on no day of the horizon
--   owners              = people working rows of the role that day
--   max_rows_per_owner  = the most rows one of them works that day
--   rows_over_capacity  = sum over those people of max(rows - daily_capacity, 0): always 0
-- Incremental by as_of_date, like the worklist.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook=["{{ prune_collection_history() }}"],
    )
}}

with

assignments as (
    select * from {{ ref('int_collection_assignments') }}
    where as_of_date = {{ as_of_date() }}
),

scheduled_days as (
    select
        owner_role,
        scheduled_date as work_day,
        count(*) as rows_scheduled,
        sum(case when work_date is null or work_date > scheduled_date then 1 else 0 end) as rows_moved_out,
        sum(case when work_date is null then 1 else 0 end) as rows_beyond_horizon
    from assignments
    group by owner_role, scheduled_date
),

owner_days as (
    select
        owner_role,
        owner_id,
        work_date as work_day,
        max(owner_daily_capacity) as owner_daily_capacity,
        count(*) as rows_worked,
        sum(case when work_date > scheduled_date then 1 else 0 end) as rows_moved_in
    from assignments
    where work_date is not null
    group by owner_role, owner_id, work_date
),

worked_days as (
    select
        owner_role,
        work_day,
        sum(rows_worked) as rows_worked,
        sum(rows_moved_in) as rows_moved_in,
        count(*) as owners,
        max(rows_worked) as max_rows_per_owner,
        sum(case when rows_worked > owner_daily_capacity then rows_worked - owner_daily_capacity else 0 end)
            as rows_over_capacity
    from owner_days
    group by owner_role, work_day
),

days as (
    select
        owner_role,
        work_day
    from scheduled_days
    union
    select
        owner_role,
        work_day
    from worked_days
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        days.owner_role,
        days.work_day,
        -- amounts
        cast(coalesce(scheduled_days.rows_scheduled, 0) as integer) as rows_scheduled,
        cast(coalesce(worked_days.rows_worked, 0) as integer) as rows_worked,
        cast(coalesce(scheduled_days.rows_moved_out, 0) as integer) as rows_moved_out,
        cast(coalesce(worked_days.rows_moved_in, 0) as integer) as rows_moved_in,
        cast(coalesce(scheduled_days.rows_beyond_horizon, 0) as integer) as rows_beyond_horizon,
        cast(coalesce(worked_days.owners, 0) as integer) as owners,
        cast(coalesce(worked_days.max_rows_per_owner, 0) as integer) as max_rows_per_owner,
        cast(coalesce(worked_days.rows_over_capacity, 0) as integer) as rows_over_capacity
    from days
    left join scheduled_days
        on
            days.owner_role = scheduled_days.owner_role
            and days.work_day = scheduled_days.work_day
    left join worked_days
        on
            days.owner_role = worked_days.owner_role
            and days.work_day = worked_days.work_day
)

select * from final
