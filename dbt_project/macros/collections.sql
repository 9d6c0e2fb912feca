{#
    Risk level codes in order (docs/collections.md): low 1, medium 2, high 3,
    extreme 4; anything else (no score) 0.
#}
{% macro risk_level_order(column) -%}
    case {{ column }}
        when 'low' then 1
        when 'medium' then 2
        when 'high' then 3
        when 'extreme' then 4
        else 0
    end
{%- endmacro %}


{#
    Fill {placeholders} of a message template: `values` maps a placeholder
    name to a SQL expression; a null value leaves an empty string.
#}
{% macro fill_template(template, values) -%}
    {%- set ns = namespace(sql=template) -%}
    {%- for name, expression in values.items() -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", '{" ~ name ~ "}', coalesce(cast(" ~ expression ~ " as "
            ~ dbt.type_string() ~ "), ''))" -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}


{# The time zone names the database knows (an unknown contact time zone falls back to the company's). #}
{% macro timezone_names() -%}
    {{ return(adapter.dispatch('timezone_names')()) }}
{%- endmacro %}

{% macro default__timezone_names() -%}
    select name from pg_timezone_names
{%- endmacro %}

{% macro duckdb__timezone_names() -%}
    select name from pg_timezone_names()
{%- endmacro %}


{#
    A local wall-clock timestamp in the time zone `tz` as a UTC timestamp
    (both DuckDB and PostgreSQL read AT TIME ZONE the same way).
#}
{% macro local_to_utc(local_ts, tz) -%}
    (({{ local_ts }}) at time zone ({{ tz }})) at time zone 'UTC'
{%- endmacro %}


{# date + n days as a date on every adapter (dbt.dateadd gives a timestamp on DuckDB). #}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}


{# Keep worklist_history_days of history in an incremental collections mart. #}
{% macro prune_collection_history() -%}
    delete from {{ this }}
    where as_of_date < (
        select {{ add_days('as_of_date', '-1 * worklist_history_days') }}
        from {{ ref('int_collection_parameters') }}
    )
{%- endmacro %}


{#
    The common columns of an alert candidate (marts/alerts.sql): `values` maps
    a column to its SQL expression; the others are typed nulls, so that every
    branch of the union has the same columns and types. condition_started
    decides the backlog (alerts.sql: a standing condition first seen on the
    first publication or for a new customer is backlog, not today's event).
#}
{% macro alert_candidate_columns(values) -%}
    {%- set empty = {
    'invoice_id': 'null', 'amount': 'null', 'currency': 'null', 'due_date': 'null', 'days_past_due': 'null',
    'risk_level': 'null', 'utilisation_pct': 'null', 'level_label_en': 'null', 'level_label_zh': 'null',
    'feature': 'null', 'psi': 'null', 'table_name': 'null', 'rule': 'null', 'column_name': 'null',
    'unexpected_count': 'null', 'payments': 'null', 'late_payments': 'null', 'late_share_pct': 'null',
    'max_share_pct': 'null', 'window_days': 'null', 'planned_amount': 'null', 'plan_share_pct': 'null',
    'min_share_pct': 'null', 'plan_month': 'null', 'payment_id': 'null', 'payment_date': 'null',
    'reasons_en': 'null', 'reasons_zh': 'null', 'condition_started': 'null',
} %}

    {%- set merged = dict(empty) -%}
    {%- do merged.update(values) -%}
    cast({{ merged['invoice_id'] }} as {{ dbt.type_string() }}) as invoice_id,
    cast({{ merged['amount'] }} as decimal(18, 2)) as amount,
    cast({{ merged['currency'] }} as {{ dbt.type_string() }}) as currency,
    cast({{ merged['due_date'] }} as date) as due_date,
    cast({{ merged['days_past_due'] }} as integer) as days_past_due,
    cast({{ merged['risk_level'] }} as {{ dbt.type_string() }}) as risk_level,
    cast({{ merged['utilisation_pct'] }} as decimal(18, 2)) as utilisation_pct,
    cast({{ merged['level_label_en'] }} as {{ dbt.type_string() }}) as level_label_en,
    cast({{ merged['level_label_zh'] }} as {{ dbt.type_string() }}) as level_label_zh,
    cast({{ merged['feature'] }} as {{ dbt.type_string() }}) as feature,
    cast({{ merged['psi'] }} as decimal(18, 4)) as psi,
    cast({{ merged['table_name'] }} as {{ dbt.type_string() }}) as table_name,
    cast({{ merged['rule'] }} as {{ dbt.type_string() }}) as rule,
    cast({{ merged['column_name'] }} as {{ dbt.type_string() }}) as column_name,
    cast({{ merged['unexpected_count'] }} as bigint) as unexpected_count,
    cast({{ merged['payments'] }} as integer) as payments,
    cast({{ merged['late_payments'] }} as integer) as late_payments,
    cast({{ merged['late_share_pct'] }} as decimal(18, 1)) as late_share_pct,
    cast({{ merged['max_share_pct'] }} as decimal(18, 1)) as max_share_pct,
    cast({{ merged['window_days'] }} as integer) as window_days,
    cast({{ merged['planned_amount'] }} as decimal(18, 2)) as planned_amount,
    cast({{ merged['plan_share_pct'] }} as decimal(18, 1)) as plan_share_pct,
    cast({{ merged['min_share_pct'] }} as decimal(18, 1)) as min_share_pct,
    cast({{ merged['plan_month'] }} as {{ dbt.type_string() }}) as plan_month,
    cast({{ merged['payment_id'] }} as {{ dbt.type_string() }}) as payment_id,
    cast({{ merged['payment_date'] }} as date) as payment_date,
    cast({{ merged['reasons_en'] }} as {{ dbt.type_string() }}) as reasons_en,
    cast({{ merged['reasons_zh'] }} as {{ dbt.type_string() }}) as reasons_zh,
    {#- true: the condition began since the previous run (an event); false: a standing condition
        whose start is not known (credit use, late payments, a first score); null: an event type #}
    cast({{ merged['condition_started'] }} as boolean) as condition_started
{%- endmacro %}


{#
    DuckDB 2.0.0 workaround (pre-hook of the collections models): its new
    dictionary-surviving hash join cache can fail with "INTERNAL Error:
    dict-surviving cache: global dictionary column N changed identity" on
    int_collection_items, and the error invalidates the database for the rest
    of the run. Found by the backfill test on a warehouse built for a later
    date first. The same query passes when the build-side/probe-side flip is
    off (tests/test_failures.py, docs/decisions.md). Remove once DuckDB fixes it.
#}
{% macro collections_session_settings() -%}
    {%- if target.type == 'duckdb' -%}
        set disabled_optimizers = 'build_side_probe_side'
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#
    An amount as a message shows it: two decimals and thousands separators
    (1234567.5 -> '1,234,567.50'; -0.5 -> '-0.50'), exact for decimal(18, 2)
    amounts on every adapter. Null stays null.
#}
{% macro format_amount(amount) -%}
    {{ return(adapter.dispatch('format_amount')(amount)) }}
{%- endmacro %}

{% macro default__format_amount(amount) -%}
    to_char(round(cast({{ amount }} as decimal(18, 2)), 2), 'FM999,999,999,999,999,990.00')
{%- endmacro %}

{% macro duckdb__format_amount(amount) -%}
    case
        when {{ amount }} is not null
            then
                case when round(cast({{ amount }} as decimal(18, 2)), 2) < 0 then '-' else '' end
                || format('{:,}', cast(floor(abs(round(cast({{ amount }} as decimal(18, 2)), 2))) as bigint))
                || '.'
                || lpad(
                    cast(cast(abs(round(cast({{ amount }} as decimal(18, 2)), 2)) * 100 as bigint) % 100 as varchar),
                    2, '0'
                )
    end
{%- endmacro %}
