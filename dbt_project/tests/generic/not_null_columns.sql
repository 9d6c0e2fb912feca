{#
    A model's required columns, checked in one query: one row per column that
    has nulls, with how many. Same check as dbt's not_null on each column, but
    one test node per model instead of one per column: each node costs dbt
    about as much as the query, and the daily build runs every test. Each
    branch filters on "is null" so the database can skip blocks whose
    statistics say they hold no nulls.
#}
{% test not_null_columns(model, column_names) %}
    {% for column in column_names -%}
    select
        '{{ column }}' as column_name,
        count(*) as null_rows
    from {{ model }}
    where {{ column }} is null
    having count(*) > 0
    {{ 'union all' if not loop.last }}
    {% endfor %}
{% endtest %}
