{#
    The run's as-of date as a SQL date literal. It comes from the `as_of_date`
    var that the DAG passes; a missing or malformed value stops the build with
    a message instead of silently falling back to today.
#}
{% macro as_of_date() -%}
    {%- set raw = var('as_of_date') -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "dbt var as_of_date is required, e.g. --vars '{as_of_date: 2026-10-31}'") }}
        {%- endif -%}
        {%- set raw = '1900-01-01' -%}
    {%- endif -%}
    {%- set text = raw | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error("dbt var as_of_date=" ~ text ~ " is not a date in the form YYYY-MM-DD") }}
    {%- endif -%}
    {%- set _ = modules.datetime.datetime.strptime(text, '%Y-%m-%d') -%}
    cast('{{ text }}' as date)
{%- endmacro %}
