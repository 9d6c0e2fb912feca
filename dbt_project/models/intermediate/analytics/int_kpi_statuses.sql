-- Red / yellow / green per scope and KPI from the kpi_thresholds seed:
--   worse_when = above: red when value > red_threshold, yellow when > yellow_threshold
--   worse_when = below: red when value < red_threshold, yellow when < yellow_threshold
--   otherwise green; a value that cannot be computed (null) is not_available.
-- A value exactly on a threshold keeps the better colour ("overdue rate above
-- 15% is red": 15.0% is yellow).
with

formulas as (
    select * from {{ ref('int_kpi_formulas') }}
),

thresholds as (
    select * from {{ ref('kpi_thresholds') }}
),

kpi_values as (
    {%- set kpis = ['overdue_rate', 'over_1y_share', 'dso_change', 'average_days_delinquent',
                    'collection_effectiveness_index', 'bad_debt_rate'] %}
    {%- for kpi in kpis %}
        select
            scope_type,
            scope_id,
            '{{ kpi }}' as kpi_code,
            cast({{ kpi }} as decimal(18, 6)) as kpi_value
        from formulas
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

judged as (
    select
        kpi_values.scope_type,
        kpi_values.scope_id,
        kpi_values.kpi_code,
        kpi_values.kpi_value,
        thresholds.yellow_threshold,
        thresholds.red_threshold,
        case
            when kpi_values.kpi_value is null then 'not_available'
            when thresholds.worse_when = 'above' and kpi_values.kpi_value > thresholds.red_threshold then 'red'
            when thresholds.worse_when = 'above' and kpi_values.kpi_value > thresholds.yellow_threshold then 'yellow'
            when thresholds.worse_when = 'below' and kpi_values.kpi_value < thresholds.red_threshold then 'red'
            when thresholds.worse_when = 'below' and kpi_values.kpi_value < thresholds.yellow_threshold then 'yellow'
            else 'green'
        end as kpi_status
    from kpi_values
    inner join thresholds
        on kpi_values.kpi_code = thresholds.kpi_code
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        scope_type,
        scope_id,
        kpi_code,
        -- attributes
        kpi_status,
        case kpi_status when 'red' then 3 when 'yellow' then 2 when 'green' then 1 else 0 end as status_severity,
        -- measures
        kpi_value,
        yellow_threshold,
        red_threshold
    from judged
)

select * from final
