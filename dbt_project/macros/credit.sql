{#
    credit_parameter(name, type): a value of seeds/credit_score_parameters.csv
    (checked on load by ar_risk.credit.config), like analytics_parameter.
#}
{% macro credit_parameter(name, type='integer') -%}
    (
        select cast(credit_score_parameters.value as {{ type }})
        from {{ ref('credit_score_parameters') }} as credit_score_parameters
        where credit_score_parameters.parameter = '{{ name }}'
    )
{%- endmacro %}
