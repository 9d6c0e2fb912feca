{#
    Amounts that can never be below zero (open balances, bucket amounts).
    Whole rows, so a failure shows their keys and the loader can trace them to the source file and line.
#}
{% test not_negative(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} < 0
{% endtest %}
