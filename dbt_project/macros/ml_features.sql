{#
    The model's feature columns, in the order the model sees them. Each is
    described (family, meaning, reason-code text in zh-CN and en) in
    seeds/ml_features.csv; the singular test assert_ml_features_described
    fails the build when the two lists differ.
#}
{% macro ml_feature_columns() -%}
    {{ return([
        'hist_paid_invoices', 'hist_avg_days_late', 'hist_share_late', 'hist_recent_avg_days_late',
        'hist_days_late_trend', 'hist_promises_broken', 'hist_promise_break_rate', 'hist_disputes',
        'hist_bad_debt_writeoffs', 'hist_last_payment_day_of_month',
        'cur_open_ar_rc', 'cur_overdue_ar_rc', 'cur_overdue_share', 'cur_credit_utilisation',
        'cur_overdue_invoices', 'cur_max_days_past_due', 'cur_avg_days_past_due', 'cur_open_disputes',
        'inv_amount_rc', 'inv_amount_vs_typical', 'inv_payment_terms_days', 'inv_due_day_of_month',
        'inv_due_on_weekend', 'inv_days_due_to_usual_pay_day',
        'rel_tenure_days', 'rel_account_tier', 'rel_invoices_before', 'rel_sales_365_rc', 'rel_orders_90',
        'rel_contacts_recent', 'rel_contact_success_rate', 'rel_days_since_last_contact',
    ]) }}
{%- endmacro %}

{#
    The running totals behind the features, by family of the facts they come
    from (int_ml_customer_changes). Each family is summed up to every
    observation in its own pass (ml_running_totals): one pass over all of them
    held a row of every measure for every customer-day in memory. sum adds
    the changes; min / max keep the earliest / latest day number.
#}
{% macro ml_measure_families() -%}
    {{ return({
        'ledger': {'open_ar_rc': 'sum', 'overdue_ar_rc': 'sum'},
        'invoices': {'sales_365_rc': 'sum', 'invoices': 'sum', 'invoice_amount_rc': 'sum',
                     'first_invoice_epoch': 'min'},
        'payments': {'paid_invoices': 'sum', 'days_late_sum': 'sum', 'late_invoices': 'sum',
                     'recent_paid_invoices': 'sum', 'recent_days_late_sum': 'sum', 'last_paid_epoch': 'max'},
        'overdue': {'overdue_open_invoices': 'sum', 'overdue_open_due_epoch_sum': 'sum'},
        'relationship': {'bad_debt_writeoffs': 'sum', 'promises_made': 'sum', 'promises_broken': 'sum',
                         'disputes_opened': 'sum', 'disputes_open': 'sum', 'contacts_recent': 'sum',
                         'contacts_reached_recent': 'sum', 'last_contact_epoch': 'max', 'orders_90': 'sum',
                         'credit_limit_rc': 'sum'},
    }) }}
{%- endmacro %}

{#
    Running totals of ``measures`` (name -> sum | min | max) at each row of
    ``observations`` (purpose, invoice_id, customer_id, observation_date),
    counting only the changes dated before the observation date: in each
    customer's timeline an observation sorts before the changes of its own
    day. Sums are rounded to the cent: the changes are cents, counts or day
    numbers, so rounding removes the float residue of adding them up (a
    balance back to zero is 0, not 1e-11) and makes the result independent
    of the order of addition.
#}
{% macro ml_running_totals(observations, measures) -%}
    select * from (
    select
        purpose,
        invoice_id,
        {%- for measure, how in measures.items() %}
        {%- if how == 'sum' %}
        coalesce(round(sum({{ measure }}) over customer_history, 2), 0) as {{ measure }}
        {%- else %}
        {{ how }}({{ measure }}) over customer_history as {{ measure }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            customer_id,
            observation_date as event_date,
            0 as event_order,
            purpose,
            invoice_id,
            {%- for measure in measures %}
            cast(null as double precision) as {{ measure }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ observations }}
        union all
        select
            customer_id,
            event_date,
            1 as event_order,
            null as purpose,
            null as invoice_id,
            {%- for measure, how in measures.items() %}
            {{ how }}(case when measure = '{{ measure }}' then change_value end) as {{ measure }}
            {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ ref('int_ml_customer_changes') }}
        where measure in ({% for measure in measures %}'{{ measure }}'{{ ', ' if not loop.last }}{% endfor %})
        group by customer_id, event_date
    ) as timeline
    window customer_history as (
        partition by customer_id order by event_date, event_order
        rows between unbounded preceding and current row
    )
    ) as running
    where purpose is not null
{%- endmacro %}

{#
    Column lists over every measure of ml_measure_families, for
    int_ml_feature_points (one place for the per-measure rules; a macro keeps
    the model's layout lint-clean). Each item ends with a comma.
      customer: the running total after every change (scoring: all count)
      training: the family pass's column
      scoring:  the customer total, 0 for a customer without changes
#}
{% macro ml_total_columns(kind) -%}
    {%- for family, measures in ml_measure_families().items() %}
        {%- for measure, how in measures.items() %}
            {%- if kind == 'customer' and how == 'sum' %}
        coalesce(round(sum(case when measure = '{{ measure }}' then change_value end), 2), 0) as {{ measure }},
            {%- elif kind == 'customer' %}
        {{ how }}(case when measure = '{{ measure }}' then change_value end) as {{ measure }},
            {%- elif kind == 'training' %}
        {{ family }}_totals.{{ measure }},
            {%- elif how == 'sum' %}
        coalesce(customer_totals.{{ measure }}, 0) as {{ measure }},
            {%- else %}
        customer_totals.{{ measure }},
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
{%- endmacro %}

{#- Join every family's running totals to the training observations. -#}
{% macro ml_family_joins(observations) -%}
    {%- for family in ml_measure_families() %}
    inner join {{ family }}_totals
        on {{ observations }}.invoice_id = {{ family }}_totals.invoice_id
    {%- endfor %}
{%- endmacro %}
