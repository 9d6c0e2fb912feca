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

{#
    amount x rate in the reporting currency, rounded to the cent. A product of
    two DECIMAL(18) values must fit 18 digits on DuckDB, so a 100-million
    amount times a rate with 8 decimals overflowed (seen at scale L); it is
    computed as DECIMAL(38) instead. That path is ~40x slower on DuckDB, so
    amounts at rate 1 (the reporting currency: most documents) skip it.
#}
{% macro to_reporting_currency(amount, rate) -%}
    case
        when {{ rate }} = 1 then cast({{ amount }} as decimal(18, 2))
        else cast(round(cast({{ amount }} as decimal(38, 2)) * {{ rate }}, 2) as decimal(18, 2))
    end
{%- endmacro %}
