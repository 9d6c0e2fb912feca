{#
    The reference dates of the analytics marts, derived from the run's as-of date
    (as_of_date_text) at compile time (no current_date, same literal on DuckDB and PostgreSQL):

      as_of            the run's as-of date
      prior_month_end  last day of the month before the as-of month
                       (DSO change compares with it)
      cei_month_end    last day of the latest complete month at or before
                       as_of: as_of itself when it is a month end
      cei_month_open   last day of the month before the CEI month (its
                       opening balance)
      year_ago         as_of - 365 days (opening balance of AR turnover)
#}
{% macro analytics_date_value(role) -%}
    {%- set dt = modules.datetime -%}
    {%- set as_of = dt.datetime.strptime(as_of_date_text(), '%Y-%m-%d').date() -%}
    {%- set one_day = dt.timedelta(days=1) -%}
    {%- set prior_month_end = as_of.replace(day=1) - one_day -%}
    {%- set cei_month_end = as_of if (as_of + one_day).day == 1 else prior_month_end -%}
    {%- set dates = {
        'as_of': as_of,
        'prior_month_end': prior_month_end,
        'cei_month_end': cei_month_end,
        'cei_month_open': cei_month_end.replace(day=1) - one_day,
        'year_ago': as_of - dt.timedelta(days=365),
    } -%}
    {%- if role not in dates -%}
        {{ exceptions.raise_compiler_error("analytics_date: unknown role '" ~ role ~ "', expected one of " ~ (dates.keys() | list | join(', '))) }}
    {%- endif -%}
    {{- return(dates[role]) -}}
{%- endmacro %}

{% macro analytics_date(role) -%}
    {%- if role == 'as_of' -%}
        {{ as_of_date() }}
    {%- else -%}
        cast('{{ analytics_date_value(role).isoformat() }}' as date)
    {%- endif -%}
{%- endmacro %}

{#
    The calendar months the countback DSO walks back through, newest first:
    period 0 is the as-of month up to as_of (month to date), period k the k-th
    month before it. Rows of (period_index, period_start, period_end,
    period_days) as a portable union of literals.
#}
{% macro analytics_countback_periods(max_months=60) -%}
    {%- set dt = modules.datetime -%}
    {%- set as_of = analytics_date_value('as_of') -%}
    {%- set one_day = dt.timedelta(days=1) -%}
    {%- set ns = namespace(period_end=as_of) -%}
    {%- for k in range(max_months) %}
        {%- set period_start = ns.period_end.replace(day=1) %}
    select
        {{ k }} as period_index,
        cast('{{ period_start.isoformat() }}' as date) as period_start,
        cast('{{ ns.period_end.isoformat() }}' as date) as period_end,
        {{ (ns.period_end - period_start).days + 1 }} as period_days
        {%- if not loop.last %}
    union all
        {%- endif %}
        {%- set ns.period_end = period_start - one_day %}
    {%- endfor %}
{%- endmacro %}

{#
    A finance-editable parameter from the analytics_parameters seed, as a
    scalar subquery. The seed's singular test (assert_analytics_parameters_valid)
    fails the build, naming the parameter, when one is missing or out of range.
#}
{% macro analytics_parameter(name, type='integer') -%}
    (
        select cast(analytics_parameters.value as {{ type }})
        from {{ ref('analytics_parameters') }} as analytics_parameters
        where analytics_parameters.parameter = '{{ name }}'
    )
{%- endmacro %}
