{#
    Conversion to the reporting currency, shared by every model that converts.
    The rate is the latest erp_fx_rates rate on or before the given date
    (int_fx_rates_ranged holds them as [valid_from, valid_until) ranges). The
    reporting currency converts at 1 by definition; any other currency
    without a rate gives null, which the models' not_null tests turn into a
    failed build: never a silent 1.0.
#}
{% macro fx_rate_join_condition(rates, currency_column, date_column) -%}
    {{ rates }}.currency = {{ currency_column }}
    and {{ date_column }} >= {{ rates }}.valid_from
    and ({{ rates }}.valid_until is null or {{ date_column }} < {{ rates }}.valid_until)
{%- endmacro %}

{% macro fx_rate_to_reporting(rates, currency_column) -%}
    case
        when {{ currency_column }} = '{{ var("reporting_currency") }}' then 1
        else {{ rates }}.rate_to_reporting
    end
{%- endmacro %}
