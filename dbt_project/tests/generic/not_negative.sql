{# Amounts that can never be below zero (open balances, bucket amounts). #}
{% test not_negative(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < 0
{% endtest %}
