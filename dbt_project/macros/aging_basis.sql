{#
    Which date agg_ar_aging ages by: 'due_date' (default; days past due) or
    'invoice_date' (days since the document date). Validated so a typo stops
    the build with a message instead of aging by the wrong date.
#}
{% macro aging_basis() -%}
    {%- set basis = var('aging_basis', 'due_date') | string | trim -%}
    {%- if basis not in ['due_date', 'invoice_date'] -%}
        {{ exceptions.raise_compiler_error(
            "dbt var aging_basis=" ~ basis ~ " must be due_date or invoice_date") }}
    {%- endif -%}
    {{ return(basis) }}
{%- endmacro %}


{#
    Days of item history kept daily in fct_ar_open_items; older dates keep
    their month-end only. A whole number >= 0, validated.
#}
{% macro item_history_daily_days() -%}
    {%- set days = var('item_history_daily_days', 92) | string | trim -%}
    {%- if not modules.re.match('^[0-9]+$', days) -%}
        {{ exceptions.raise_compiler_error(
            "dbt var item_history_daily_days=" ~ days ~ " must be a whole number of days >= 0") }}
    {%- endif -%}
    {{ return(days | int) }}
{%- endmacro %}


{#
    The bucket codes agg_ar_aging pivots into columns (<code>_amount_rc). They
    are part of the BI contract, so they are fixed here and the seed's codes
    are tested against them; the edges and labels stay editable in the seed.
#}
{% macro aging_bucket_codes() -%}
    {{ return(['not_due', 'dpd_1_30', 'dpd_31_60', 'dpd_61_90', 'dpd_91_180', 'dpd_181_365', 'dpd_over_365']) }}
{%- endmacro %}

{#
    Post-hook of the daily snapshot marts (fct_ar_open_items, dim_customers,
    customer_rfa): keep every date within item_history_daily_days of the run's
    as-of date and only month-ends before that, so history stays bounded.
#}
{% macro prune_snapshot_history() -%}
    delete from {{ this }}
    where
        as_of_date < {{ dbt.dateadd('day', -1 * item_history_daily_days(), as_of_date()) }}
        and as_of_date <> {{ dbt.last_day('as_of_date', 'month') }}
{%- endmacro %}
