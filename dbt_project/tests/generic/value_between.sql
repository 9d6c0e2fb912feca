{#
    A value within [min_value, max_value], both inclusive (a score of 1-100).
    Whole rows, so a failure shows their keys.
#}
{% test value_between(model, column_name, min_value, max_value) %}
    select *
    from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
