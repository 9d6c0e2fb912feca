{#
    A write-off is bad debt when it is at least bad_debt_min_share_of_document
    (analytics_parameters) of its document; a smaller one clears a rounding or
    short-payment remainder. One place for the rule, used by the document
    history, the KPIs and the behaviour features. The product is computed as
    DECIMAL(38): on DuckDB two DECIMAL(18) values multiply within 18 digits,
    which a 10-billion document times a share with 6 decimals overflows.
#}
{% macro is_bad_debt_writeoff(amount, document_amount, min_share) -%}
    {{ amount }} >= cast({{ document_amount }} as decimal(38, 2)) * {{ min_share }}
{%- endmacro %}
