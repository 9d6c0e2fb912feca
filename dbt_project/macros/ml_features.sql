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
        'doc_days_past_due', 'doc_share_paid', 'doc_partial_receipts', 'doc_open_dispute', 'doc_active_promise',
        'doc_broken_promise', 'doc_contacts_30d',
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
    ``customer_dates`` (customer_id, observation_date, distinct: the totals are
    the customer's, so documents observed on the same day share them; at M
    2.1 M customer-dates stand for 5.6 M observations),
    counting only the changes dated before the observation date: in each
    customer's timeline an observation sorts before the changes of its own
    day. Sums are rounded to the cent: the changes are cents, counts or day
    numbers, so rounding removes the float residue of adding them up (a
    balance back to zero is 0, not 1e-11) and makes the result independent
    of the order of addition.
#}
{% macro ml_running_totals(customer_dates, measures) -%}
    select * from (
    select
        is_observation,
        customer_id,
        event_date as observation_date,
        {%- for measure, how in measures.items() %}
        {%- if how == 'sum' %}
        coalesce({{ ml_round_cents('sum(' ~ measure ~ ') over customer_history') }}, 0) as {{ measure }}
        {%- else %}
        {{ how }}({{ measure }}) over customer_history as {{ measure }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            customer_id,
            observation_date as event_date,
            0 as event_order,
            1 as is_observation,
            {%- for measure in measures %}
            cast(null as double precision) as {{ measure }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ customer_dates }}
        union all
        select
            customer_id,
            event_date,
            1 as event_order,
            cast(null as integer) as is_observation,
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
    -- not null, not = 1: PostgreSQL's planner keeps a sound row estimate for it (= 1 on a
    -- union's literal column is guessed at 0.5 % and turns every join into a nested loop)
    where is_observation is not null
{%- endmacro %}

{#
    Column lists over every measure of ml_measure_families, for
    int_ml_training_points and int_ml_scoring_points (one place for the
    per-measure rules; a macro keeps
    the model's layout lint-clean). Each item ends with a comma.
      customer: the running total after every change (scoring: all count)
      training: the family pass's column
      scoring:  the customer total, 0 for a customer without changes
#}
{% macro ml_total_columns(kind) -%}
    {%- for family, measures in ml_measure_families().items() %}
        {%- for measure, how in measures.items() %}
            {%- if kind == 'customer' and how == 'sum' %}
        coalesce({{ ml_round_cents("sum(case when measure = '" ~ measure ~ "' then change_value end)") }}, 0) as {{ measure }},
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

{#- Join every family's running totals (per customer and date) to the training observations. -#}
{% macro ml_family_joins(observations) -%}
    {%- for family in ml_measure_families() %}
    inner join {{ family }}_totals
        on
            {{ observations }}.customer_id = {{ family }}_totals.customer_id
            and {{ observations }}.observation_date = {{ family }}_totals.observation_date
    {%- endfor %}
{%- endmacro %}

{#
    The end of int_ml_training_points and int_ml_scoring_points: from the
    observations and their running totals (CTEs `outcomes`, `observations`,
    `at_observation`; key invoice_id + observation_date) to the features,
    with one set of formulas for both (docs/model.md, "Features"). The
    document's own state at the date (doc_*) joins its movements, disputes,
    promises and contacts dated before it. Renders CTEs and the final select.
#}
{% macro ml_features_at_observation() -%}
accounts as (
    select
        customer_id,
        account_tier
    from {{ ref('stg_crm__accounts') }}
),

-- the oldest document open and past due at the observation date; "closed on
-- or after d" is known at d (it was still open), so no later fact leaks in.
-- Once per customer and date: a customer's documents observed at the same
-- month-end share it (the join is the training set's largest cost)
customer_dates as (
    select distinct
        customer_id,
        observation_date
    from observations
),

oldest_overdue as (
    select
        customer_dates.customer_id,
        customer_dates.observation_date,
        max(customer_dates.observation_date - overdue.due_date) as max_days_past_due
    from customer_dates
    inner join outcomes as overdue
        on
            customer_dates.customer_id = overdue.customer_id
            and customer_dates.observation_date > overdue.due_date
            and (overdue.closed_date is null or customer_dates.observation_date <= overdue.closed_date)
    where overdue.closed_date is null or overdue.closed_date > overdue.due_date
    group by customer_dates.customer_id, customer_dates.observation_date
),

-- the document's receipts, credit notes and write-offs dated before the date
document_movements as (
    select
        observations.invoice_id,
        observations.observation_date,
        sum(
            case when movements.movement_type in ('receipt_applied', 'credit_applied') then movements.amount else 0 end
        ) as paid_amount,
        sum(case when movements.movement_type = 'receipt_applied' then 1 else 0 end) as receipts,
        sum(movements.amount_rc) as reduced_rc
    from observations
    inner join {{ ref('int_kpi_ar_movements') }} as movements
        on
            observations.invoice_id = movements.invoice_id
            and movements.movement_date < observations.observation_date
    where movements.movement_type in ('receipt_applied', 'credit_applied', 'writeoff')
    group by observations.invoice_id, observations.observation_date
),

-- a dispute on the document opened before the date and not resolved before it
document_disputes as (
    select
        observations.invoice_id,
        observations.observation_date,
        count(*) as open_disputes
    from observations
    inner join {{ ref('stg_crm__disputes') }} as disputes
        on
            observations.invoice_id = disputes.invoice_id
            and disputes.opened_date < observations.observation_date
            and (disputes.resolved_date is null or disputes.resolved_date >= observations.observation_date)
    group by observations.invoice_id, observations.observation_date
),

-- promises on the document made before the date: active while the promised
-- date is not past; broken once it is past without the promised amount
-- (paid from the day it was made through the promised date, all before the
-- observation date: int_promises_evaluated's paid_amount, not its status at
-- the as-of date)
document_promises as (
    select
        observations.invoice_id,
        observations.observation_date,
        max(case when promises.promised_date >= observations.observation_date then 1 else 0 end) as active_promise,
        max(
            case
                when
                    promises.promised_date < observations.observation_date
                    and promises.paid_amount < promises.promised_amount
                    then 1
                else 0
            end
        ) as broken_promise
    from observations
    inner join {{ ref('int_promises_evaluated') }} as promises
        on
            observations.invoice_id = promises.invoice_id
            and promises.promise_made_date < observations.observation_date
    group by observations.invoice_id, observations.observation_date
),

-- contacts about the document in the 30 days before the date
document_contacts as (
    select
        observations.invoice_id,
        observations.observation_date,
        count(*) as contacts_30d
    from observations
    inner join {{ ref('stg_crm__activities') }} as activities
        on
            observations.invoice_id = activities.invoice_id
            and activities.activity_date < observations.observation_date
            and activities.activity_date >= observations.observation_date - 30
    group by observations.invoice_id, observations.observation_date
),

final as (
    select
        -- ids
        observations.purpose,
        observations.invoice_id,
        observations.customer_id,
        observations.observation_date,
        observations.observation_kind,
        -- amounts
        observations.document_amount_rc,
        -- scoring rows bring the open item's amount (fct_ar_open_items); training
        -- rows: the document less its receipts, credits and write-offs before the date
        coalesce(
            observations.open_amount_rc,
            observations.document_amount_rc - coalesce(document_movements.reduced_rc, 0)
        ) as open_amount_rc,
        -- defaulted before the date (int_ml_document_outcomes.default_date)
        case when outcomes.default_date < observations.observation_date then 1 else 0 end
            as in_default_at_observation,
        -- history behaviour
        at_observation.paid_invoices as hist_paid_invoices,
        at_observation.days_late_sum / nullif(at_observation.paid_invoices, 0) as hist_avg_days_late,
        at_observation.late_invoices / nullif(at_observation.paid_invoices, 0) as hist_share_late,
        at_observation.recent_days_late_sum
        / nullif(at_observation.recent_paid_invoices, 0) as hist_recent_avg_days_late,
        at_observation.recent_days_late_sum / nullif(at_observation.recent_paid_invoices, 0)
        - at_observation.days_late_sum / nullif(at_observation.paid_invoices, 0) as hist_days_late_trend,
        at_observation.promises_broken as hist_promises_broken,
        at_observation.promises_broken / nullif(at_observation.promises_made, 0) as hist_promise_break_rate,
        at_observation.disputes_opened as hist_disputes,
        at_observation.bad_debt_writeoffs as hist_bad_debt_writeoffs,
        -- current state
        at_observation.open_ar_rc as cur_open_ar_rc,
        at_observation.overdue_ar_rc as cur_overdue_ar_rc,
        at_observation.overdue_ar_rc / nullif(at_observation.open_ar_rc, 0) as cur_overdue_share,
        at_observation.open_ar_rc / nullif(at_observation.credit_limit_rc, 0) as cur_credit_utilisation,
        at_observation.overdue_open_invoices as cur_overdue_invoices,
        coalesce(oldest_overdue.max_days_past_due, 0) as cur_max_days_past_due,
        coalesce(
            (observations.observation_date - cast('1970-01-01' as date))
            - at_observation.overdue_open_due_epoch_sum / nullif(at_observation.overdue_open_invoices, 0),
            0
        ) as cur_avg_days_past_due,
        at_observation.disputes_open as cur_open_disputes,
        cast(observations.document_amount_rc as double precision) as inv_amount_rc,
        cast(observations.document_amount_rc as double precision)
        / nullif(at_observation.invoice_amount_rc / nullif(at_observation.invoices, 0), 0)
            as inv_amount_vs_typical,
        observations.due_date - observations.invoice_date as inv_payment_terms_days,
        extract(day from observations.due_date) as inv_due_day_of_month,
        case when extract(dow from observations.due_date) in (0, 6) then 1 else 0 end as inv_due_on_weekend,
        -- payment habit: many customers pay on a fixed day of the month
        extract(day from cast('1970-01-01' as date) + cast(at_observation.last_paid_epoch as integer))
            as hist_last_payment_day_of_month,
        mod(
            cast(
                extract(day from cast('1970-01-01' as date) + cast(at_observation.last_paid_epoch as integer))
                - extract(day from observations.due_date) + 31 as integer
            ),
            31
        ) as inv_days_due_to_usual_pay_day,
        -- relationship
        (observations.observation_date - cast('1970-01-01' as date))
        - at_observation.first_invoice_epoch as rel_tenure_days,
        case accounts.account_tier when 'strategic' then 2 when 'key' then 1 when 'standard' then 0 end
            as rel_account_tier,
        at_observation.invoices as rel_invoices_before,
        at_observation.sales_365_rc as rel_sales_365_rc,
        at_observation.orders_90 as rel_orders_90,
        at_observation.contacts_recent as rel_contacts_recent,
        at_observation.contacts_reached_recent
        / nullif(at_observation.contacts_recent, 0) as rel_contact_success_rate,
        (observations.observation_date - cast('1970-01-01' as date))
        - at_observation.last_contact_epoch as rel_days_since_last_contact,
        -- the document's own state
        observations.observation_date - observations.due_date as doc_days_past_due,
        coalesce(document_movements.paid_amount, 0) / nullif(outcomes.document_amount, 0) as doc_share_paid,
        coalesce(document_movements.receipts, 0) as doc_partial_receipts,
        case when document_disputes.open_disputes > 0 then 1 else 0 end as doc_open_dispute,
        coalesce(document_promises.active_promise, 0) as doc_active_promise,
        coalesce(document_promises.broken_promise, 0) as doc_broken_promise,
        coalesce(document_contacts.contacts_30d, 0) as doc_contacts_30d
    from observations
    inner join outcomes
        on observations.invoice_id = outcomes.invoice_id
    inner join at_observation
        on
            observations.invoice_id = at_observation.invoice_id
            and observations.observation_date = at_observation.observation_date
    left join oldest_overdue
        on
            observations.customer_id = oldest_overdue.customer_id
            and observations.observation_date = oldest_overdue.observation_date
    {%- for state in ['document_movements', 'document_disputes', 'document_promises', 'document_contacts'] %}
    left join {{ state }}
        on
            observations.invoice_id = {{ state }}.invoice_id
            and observations.observation_date = {{ state }}.observation_date
    {%- endfor %}
    left join accounts
        on observations.customer_id = accounts.customer_id
)

select * from final
{%- endmacro %}

{#
    A running total of cents, counts or day numbers, rounded to the cent
    (removes the residue of adding floats). PostgreSQL rounds to a number of
    places only in numeric.
#}
{% macro ml_round_cents(expression) -%}
    {%- if target.type == 'postgres' -%}
        cast(round(cast({{ expression }} as numeric), 2) as double precision)
    {%- else -%}
        {#- a sum that rounds to zero from below is -0.0: made 0 so reruns compare equal -#}
        case when round({{ expression }}, 2) = 0 then 0 else round({{ expression }}, 2) end
    {%- endif -%}
{%- endmacro %}
