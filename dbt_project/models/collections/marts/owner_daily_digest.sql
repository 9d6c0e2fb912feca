-- One digest per owner per as-of date (docs/collections.md, "The owner's daily
-- digest"): what the report and a mailer send each person who holds alerts or
-- worklist rows that day. For an owner (owner_id of alerts and collection_worklist):
--   new_alerts        = the owner's alerts of the day with alert_status 'new'
--   backlog_alerts    = those with alert_status 'backlog' (a first run's or a new
--                       customer's standing conditions; not today's events)
--   new_alerts_not_on_worklist = new alerts whose invoice the worklist does not
--                       already cover (is_on_worklist false): the new information
--   critical / warning / info_alerts = new alerts by severity
--   new_alerts_by_type = 'type count' of the new alerts, most frequent first
--   worklist_rows, worklist_*_amount_rc = the owner's worklist rows and their sums
--   top_worklist_items_* = the owner's first digest_top_items worklist rows by worklist_rank
--   top_new_alerts_*  = the owner's first digest_top_items new alerts: not on the
--                       worklist first, then critical before warning before info,
--                       the larger amount, the alert_id
-- Incremental by as_of_date like the other collections marts.
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

alerts as (
    select * from {{ ref('alerts') }}
    where
        as_of_date = {{ as_of_date() }}
        and owner_id is not null
),

worklist as (
    select * from {{ ref('collection_worklist') }}
    where
        as_of_date = {{ as_of_date() }}
        and owner_id is not null
),

owner_roles as (
    select distinct
        owner_id,
        owner_name,
        owner_role
    from alerts
    union
    select distinct
        owner_id,
        owner_name,
        owner_role
    from worklist
),

owners as (
    select
        owner_id,
        min(owner_name) as owner_name,
        {{ dbt.listagg('owner_role', "';'", 'order by owner_role') }} as owner_roles
    from owner_roles
    group by owner_id
),

alert_counts as (
    select
        owner_id,
        sum(case when alert_status = 'new' then 1 else 0 end) as new_alerts,
        sum(case when alert_status = 'backlog' then 1 else 0 end) as backlog_alerts,
        sum(case when alert_status = 'new' and not is_on_worklist then 1 else 0 end) as new_alerts_not_on_worklist,
        sum(case when alert_status = 'new' and severity = 'critical' then 1 else 0 end) as critical_alerts,
        sum(case when alert_status = 'new' and severity = 'warning' then 1 else 0 end) as warning_alerts,
        sum(case when alert_status = 'new' and severity = 'info' then 1 else 0 end) as info_alerts
    from alerts
    group by owner_id
),

type_counts as (
    select
        owner_id,
        alert_type,
        count(*) as alert_count
    from alerts
    where alert_status = 'new'
    group by owner_id, alert_type
),

types_listed as (
    select
        owner_id,
        {{ dbt.listagg("alert_type || ' ' || cast(alert_count as " ~ dbt.type_string() ~ ")", "'; '",
                       'order by alert_count desc, alert_type') }} as new_alerts_by_type
    from type_counts
    group by owner_id
),

worklist_sums as (
    select
        owner_id,
        count(*) as worklist_rows,
        sum(open_amount_rc) as worklist_open_amount_rc,
        sum(overdue_amount_rc) as worklist_overdue_amount_rc,
        sum(target_amount_rc) as worklist_target_amount_rc
    from worklist
    group by owner_id
),

worklist_ranked as (
    select
        worklist.*,
        row_number() over (partition by worklist.owner_id order by worklist.worklist_rank) as owner_rank
    from worklist
),

top_worklist as (
    select
        worklist_ranked.owner_id,
        {{ dbt.listagg(
            "'#' || cast(worklist_ranked.worklist_rank as " ~ dbt.type_string() ~ ") || ' '
            || worklist_ranked.customer_name || ': ' || worklist_ranked.action_label_en || ', '
            || " ~ format_amount('worklist_ranked.target_amount_rc') ~ " || ' ' || worklist_ranked.reporting_currency",
            "' | '", 'order by worklist_ranked.worklist_rank'
        ) }} as top_worklist_items_en,
        {{ dbt.listagg(
            "'#' || cast(worklist_ranked.worklist_rank as " ~ dbt.type_string() ~ ") || ' '
            || worklist_ranked.customer_name || '：' || worklist_ranked.action_label_zh || '，'
            || " ~ format_amount('worklist_ranked.target_amount_rc') ~ " || worklist_ranked.reporting_currency",
            "' | '", 'order by worklist_ranked.worklist_rank'
        ) }} as top_worklist_items_zh
    from worklist_ranked
    cross join params
    where worklist_ranked.owner_rank <= params.digest_top_items
    group by worklist_ranked.owner_id
),

new_alerts_ranked as (
    select
        alerts.*,
        row_number() over (
            partition by alerts.owner_id
            order by
                case when alerts.is_on_worklist then 1 else 0 end asc,
                case alerts.severity when 'critical' then 1 when 'warning' then 2 else 3 end asc,
                alerts.amount desc nulls last,
                alerts.alert_id asc
        ) as owner_rank
    from alerts
    where alerts.alert_status = 'new'
),

top_alerts as (
    select
        new_alerts_ranked.owner_id,
        {{ dbt.listagg('new_alerts_ranked.message_en', "' | '", 'order by new_alerts_ranked.owner_rank') }}
            as top_new_alerts_en,
        {{ dbt.listagg('new_alerts_ranked.message_zh', "' | '", 'order by new_alerts_ranked.owner_rank') }}
            as top_new_alerts_zh
    from new_alerts_ranked
    cross join params
    where new_alerts_ranked.owner_rank <= params.digest_top_items
    group by new_alerts_ranked.owner_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        owners.owner_id,
        -- attributes
        owners.owner_name,
        owners.owner_roles,
        types_listed.new_alerts_by_type,
        top_worklist.top_worklist_items_en,
        top_worklist.top_worklist_items_zh,
        top_alerts.top_new_alerts_en,
        top_alerts.top_new_alerts_zh,
        '{{ var("reporting_currency") }}' as reporting_currency,
        -- counts
        cast(coalesce(alert_counts.new_alerts, 0) as integer) as new_alerts,
        cast(coalesce(alert_counts.backlog_alerts, 0) as integer) as backlog_alerts,
        cast(coalesce(alert_counts.new_alerts_not_on_worklist, 0) as integer) as new_alerts_not_on_worklist,
        cast(coalesce(alert_counts.critical_alerts, 0) as integer) as critical_alerts,
        cast(coalesce(alert_counts.warning_alerts, 0) as integer) as warning_alerts,
        cast(coalesce(alert_counts.info_alerts, 0) as integer) as info_alerts,
        cast(coalesce(worklist_sums.worklist_rows, 0) as integer) as worklist_rows,
        -- amounts
        cast(coalesce(worklist_sums.worklist_open_amount_rc, 0) as decimal(18, 2)) as worklist_open_amount_rc,
        cast(coalesce(worklist_sums.worklist_overdue_amount_rc, 0) as decimal(18, 2)) as worklist_overdue_amount_rc,
        cast(coalesce(worklist_sums.worklist_target_amount_rc, 0) as decimal(18, 2)) as worklist_target_amount_rc
    from owners
    left join alert_counts
        on owners.owner_id = alert_counts.owner_id
    left join types_listed
        on owners.owner_id = types_listed.owner_id
    left join worklist_sums
        on owners.owner_id = worklist_sums.owner_id
    left join top_worklist
        on owners.owner_id = top_worklist.owner_id
    left join top_alerts
        on owners.owner_id = top_alerts.owner_id
)

select * from final
