{#
    The risk level (its level_order in seed risk_levels) of a pd_default: the
    most severe level whose min_pd_default the probability reaches. A scalar
    subquery, the same in every model that levels a probability.
#}
{% macro risk_level_order_of(pd_default) -%}
    (
        select max(risk_levels.level_order)
        from {{ ref('risk_levels') }} as risk_levels
        where {{ pd_default }} >= risk_levels.min_pd_default
    )
{%- endmacro %}

{#
    The month-ends the provision matrix's roll rates look at, newest first:
    month_index 0 is the latest month-end on or before the as-of date, k the
    k-th before it, up to max_months (the seed parameter ecl_roll_rate_months
    picks how many are used). A portable union of date literals, computed at
    compile time from the as-of date (never current_date).
#}
{% macro ecl_month_ends(max_months=60) -%}
    {%- set dt = modules.datetime -%}
    {%- set one_day = dt.timedelta(days=1) -%}
    {%- set ns = namespace(month_end=analytics_date_value('cei_month_end')) -%}
    {%- for k in range(max_months + 1) %}
    select
        {{ k }} as month_index,
        cast('{{ ns.month_end.isoformat() }}' as date) as month_end
        {%- if not loop.last %}
    union all
        {%- endif %}
        {%- set ns.month_end = ns.month_end.replace(day=1) - one_day %}
    {%- endfor %}
{%- endmacro %}

{#
    The cash forecast's periods after the as-of date (docs/model.md, "Pay date
    and cash forecast"): weeks 1..weeks of 7 days from the day after the as-of
    date; then months: month 0 = the rest of the current month when the day
    after the as-of date is not the 1st, and months 1..months calendar months.
    Rows of (period_type, period_number, period_start, period_end).
#}
{% macro cash_forecast_periods(weeks, months) -%}
    {%- set dt = modules.datetime -%}
    {%- set one_day = dt.timedelta(days=1) -%}
    {%- set start = analytics_date_value('as_of') + one_day -%}
    {%- set periods = [] -%}
    {%- for week in range(weeks) -%}
        {%- set week_start = start + dt.timedelta(days=7 * week) -%}
        {%- do periods.append(('week', week + 1, week_start, week_start + dt.timedelta(days=6))) -%}
    {%- endfor -%}
    {%- set ns = namespace(start=start) -%}
    {%- if start.day != 1 -%}
        {%- set next_first = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1) -%}
        {%- do periods.append(('month', 0, start, next_first - one_day)) -%}
        {%- set ns.start = next_first -%}
    {%- endif -%}
    {%- for month in range(months) -%}
        {%- set next_first = (ns.start.replace(day=1) + dt.timedelta(days=32)).replace(day=1) -%}
        {%- do periods.append(('month', month + 1, ns.start, next_first - one_day)) -%}
        {%- set ns.start = next_first -%}
    {%- endfor -%}
    {%- for period_type, number, period_start, period_end in periods %}
    select
        '{{ period_type }}' as period_type,
        {{ number }} as period_number,
        cast('{{ period_start.isoformat() }}' as date) as period_start,
        cast('{{ period_end.isoformat() }}' as date) as period_end
        {%- if not loop.last %}
    union all
        {%- endif %}
    {%- endfor %}
{%- endmacro %}
