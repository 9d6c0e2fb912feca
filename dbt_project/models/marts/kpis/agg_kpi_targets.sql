-- Each company KPI against its target (seed kpi_targets, policy 003 §4.4) on the
-- as-of date (docs/metrics.md, "KPI targets"). The actual value is read from
-- agg_ar_kpis at scope company, never recomputed.
--   path_value    = start_value                                   as_of <= start_date
--                 = start_value + (target_value - start_value)
--                   x (as_of - start_date) / (target_date - start_date)  between
--                 = target_value                                  as_of >= target_date
--   gap_to_path   = actual_value - path_value    (above: positive = worse; below: negative = worse)
--   gap_to_target = actual_value - target_value
--   target_status = not_available  no actual value
--                 = met            actual at or better than target_value
--                 = on_track       not met, actual at or better than path_value
--                 = behind         worse than path_value
-- ("better" is lower for worse_when above, higher for worse_when below.)
-- Incremental by as_of_date like agg_ar_kpis: a rerun of a date replaces it.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}

{%- set kpi_columns = ['overdue_rate', 'over_1y_share', 'dso_standard', 'countback_dso', 'average_days_delinquent',
                       'collection_effectiveness_index', 'bad_debt_rate', 'ar_turnover', 'collection_rate',
                       'top10_share'] %}

with

targets as (
    select * from {{ ref('kpi_targets') }}
),

company_kpis as (
    select * from {{ ref('agg_ar_kpis') }}
    where
        as_of_date = {{ as_of_date() }}
        and scope_type = 'company'
),

-- one row per KPI of the company row (the codes kpi_targets may name)
actuals as (
    {%- for kpi in kpi_columns %}
        select
            '{{ kpi }}' as kpi_code,
            cast({{ kpi }} as decimal(18, 6)) as actual_value
        from company_kpis
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

paths as (
    select
        targets.*,
        actuals.actual_value,
        case
            when {{ as_of_date() }} <= targets.start_date then targets.start_value
            when {{ as_of_date() }} >= targets.target_date then targets.target_value
            -- date minus date is a number of days on DuckDB and PostgreSQL
            else
                targets.start_value
                + (targets.target_value - targets.start_value)
                * ({{ as_of_date() }} - targets.start_date)
                / cast(targets.target_date - targets.start_date as decimal(18, 6))
        end as path_value
    from targets
    left join actuals
        on targets.kpi_code = actuals.kpi_code
),

judged as (
    select
        paths.*,
        case
            when paths.actual_value is null then 'not_available'
            when paths.worse_when = 'above' and paths.actual_value <= paths.target_value then 'met'
            when paths.worse_when = 'below' and paths.actual_value >= paths.target_value then 'met'
            when paths.worse_when = 'above' and paths.actual_value <= paths.path_value then 'on_track'
            when paths.worse_when = 'below' and paths.actual_value >= paths.path_value then 'on_track'
            else 'behind'
        end as target_status
    from paths
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        kpi_code,
        -- attributes
        label_en,
        label_zh,
        worse_when,
        target_status,
        -- values (rates as fractions: 0.18 = 18 %)
        actual_value,
        start_value,
        target_value,
        cast(round(path_value, 6) as decimal(18, 6)) as path_value,
        cast(round(actual_value - path_value, 6) as decimal(18, 6)) as gap_to_path,
        cast(actual_value - target_value as decimal(18, 6)) as gap_to_target,
        -- dates
        start_date,
        target_date
    from judged
)

select * from final
