{#
    The run's as-of date. The DAG passes it in the environment variable
    AR_AS_OF_DATE; a person running dbt by hand may pass the `as_of_date` var
    instead (the var wins when both are set). A missing or malformed value
    stops the build with a message instead of silently falling back to today.

    Why an environment variable: dbt re-parses the whole project whenever a
    --vars value changes (about 6 s here), so a var that changes every day
    defeats partial parsing. The variable is read only while executing
    (`execute`), never while parsing, so the parsed project does not depend on
    the date and the saved parse is reused from one day to the next.
#}
{% macro as_of_date_text() -%}
    {%- set from_var = var('as_of_date') -%}
    {%- if from_var is not none and (from_var | string | trim) != '' -%}
        {%- set text = from_var | string | trim -%}
        {%- set origin = 'dbt var as_of_date' -%}
    {%- elif execute -%}
        {%- set text = env_var('AR_AS_OF_DATE', '') | trim -%}
        {%- set origin = 'AR_AS_OF_DATE' -%}
        {%- if text == '' -%}
            {{ exceptions.raise_compiler_error(
                "the as-of date is required: set AR_AS_OF_DATE=2026-10-31 or pass --vars '{as_of_date: 2026-10-31}'") }}
        {%- endif -%}
    {%- else -%}
        {#- parsing: any valid date; the SQL is compiled again when executing -#}
        {{- return('1900-01-31') -}}
    {%- endif -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error(origin ~ "=" ~ text ~ " is not a date in the form YYYY-MM-DD") }}
    {%- endif -%}
    {%- set _ = modules.datetime.datetime.strptime(text, '%Y-%m-%d') -%}
    {{- return(text) -}}
{%- endmacro %}

{#- The run's as-of date as a SQL date literal. -#}
{% macro as_of_date() -%}
    cast('{{ as_of_date_text() }}' as date)
{%- endmacro %}
