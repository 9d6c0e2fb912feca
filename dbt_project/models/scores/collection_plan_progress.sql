-- The as-of month's collections against its plan (docs/metrics.md, "KPI targets"),
-- one row per as-of date (company).
--   planned_collections_rc = the seed collection_plan's row for the month, else the
--       cash forecast made at the end of the month before (cash_forecast as of
--       prior_month_end, period month 1 = this month); neither: null, plan_source
--       'none' and the reason in no_plan_reason_en / _zh (a first month, no champion then)
--   collected_month_to_date_rc = agg_ar_kpis (company): receipts applied this month
--       to documents due by the as-of date
--   plan_share             = collected_month_to_date_rc / planned_collections_rc
--   planned_to_date_rc     = planned_collections_rc x days_elapsed / days_in_month (for reading only)
--   plan_status            = no_plan | in_progress (before the month's last day: a
--       month-to-date figure is not judged against a whole month's plan) |
--       below_plan (the month-end: plan_share < collection_plan_min_share, alerted) | on_plan
-- Incremental by as_of_date, like the other score marts.
{%- set dt = modules.datetime %}
{%- set as_of = analytics_date_value('as_of') %}
{%- set month_start = as_of.replace(day=1) %}
{%- set month_end = (month_start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1) %}
{%- set forecast_date = analytics_date_value('prior_month_end') %}

with

plans as (
    select * from {{ ref('collection_plan') }}
    where month = '{{ month_start.strftime("%Y-%m") }}'
),

forecast as (
    select * from {{ ref('cash_forecast') }}
    where
        as_of_date = cast('{{ forecast_date.isoformat() }}' as date)
        and period_type = 'month'
        and period_number = 1
),

company_kpis as (
    select * from {{ ref('agg_ar_kpis') }}
    where
        as_of_date = {{ as_of_date() }}
        and scope_type = 'company'
),

parameters as (
    select cast(value as decimal(18, 6)) as collection_plan_min_share
    from {{ ref('collection_parameters') }}
    where parameter = 'collection_plan_min_share'
),

month_facts as (
    select
        cast('{{ month_start.isoformat() }}' as date) as plan_month_start,
        cast('{{ month_end.isoformat() }}' as date) as plan_month_end,
        {{ as_of.day }} as days_elapsed,
        {{ month_end.day }} as days_in_month,
        {{ 'true' if as_of == month_end else 'false' }} as is_month_end
),

planned as (
    select
        month_facts.*,
        parameters.collection_plan_min_share,
        coalesce(plans.planned_collections_rc, forecast.expected_collections_rc) as planned_collections_rc,
        case
            when plans.month is not null then 'collection_plan'
            when forecast.as_of_date is not null then 'cash_forecast'
            else 'none'
        end as plan_source,
        company_kpis.collected_month_to_date_rc
    from month_facts
    cross join parameters
    left join plans on true
    left join forecast on true
    left join company_kpis on true
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        -- attributes
        plan_source,
        case
            when planned_collections_rc is null then 'no_plan'
            when not is_month_end then 'in_progress'
            when collected_month_to_date_rc < collection_plan_min_share * planned_collections_rc then 'below_plan'
            else 'on_plan'
        end as plan_status,
        case
            when plan_source = 'none'
                then
                    'no collection_plan row for {{ month_start.strftime("%Y-%m") }}'
                    || ' and no cash forecast as of {{ forecast_date.isoformat() }}'
        end as no_plan_reason_en,
        case
            when plan_source = 'none'
                then
                    'collection_plan 中没有 {{ month_start.strftime("%Y-%m") }} 的计划，'
                    || '也没有截至 {{ forecast_date.isoformat() }} 的回款预测'
        end as no_plan_reason_zh,
        -- amounts (reporting currency)
        planned_collections_rc,
        cast(planned_collections_rc * days_elapsed / days_in_month as decimal(18, 2)) as planned_to_date_rc,
        collected_month_to_date_rc,
        -- ratios
        cast(round(collected_month_to_date_rc / nullif(planned_collections_rc, 0), 6) as decimal(18, 6))
            as plan_share,
        collection_plan_min_share,
        -- dates
        plan_month_start,
        plan_month_end,
        cast(days_elapsed as integer) as days_elapsed,
        cast(days_in_month as integer) as days_in_month,
        is_month_end
    from planned
)

select * from final
