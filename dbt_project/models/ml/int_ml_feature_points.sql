-- The model's features at each observation point, computed one way for
-- training and for scoring so the two can never drift apart:
--   training: every debit document at its invoice date
--   scoring:  every open debit document of fct_ar_open_items at the as-of
--             date, observed the day after (it sees the whole as-of date)
-- A feature at observation date d counts only changes dated before d
-- (int_ml_customer_changes): on the same date the observation row sorts
-- before the day's changes, and the running totals stop there. The feature
-- list, families and descriptions are in seeds/ml_features.csv; formulas in
-- docs/model.md.
with

outcomes as (
    select * from {{ ref('int_ml_document_outcomes') }}
),

open_items as (
    select
        invoice_id,
        open_amount_rc
    from {{ ref('fct_ar_open_items') }}
    where
        as_of_date = {{ as_of_date() }}
        and document_type != 'credit_note'
),

accounts as (
    select
        customer_id,
        account_tier
    from {{ ref('stg_crm__accounts') }}
),

observations as (
    select
        'training' as purpose,
        customer_id,
        invoice_id,
        invoice_date as observation_date,
        document_amount_rc,
        cast(null as decimal(18, 2)) as open_amount_rc,
        invoice_date,
        due_date
    from outcomes
    union all
    select
        'scoring' as purpose,
        outcomes.customer_id,
        outcomes.invoice_id,
        {{ as_of_date() }} + 1 as observation_date,
        outcomes.document_amount_rc,
        open_items.open_amount_rc,
        outcomes.invoice_date,
        outcomes.due_date
    from outcomes
    inner join open_items
        on outcomes.invoice_id = open_items.invoice_id
),

{%- set families = ml_measure_families() %}

training_observations as (
    select * from observations
    where purpose = 'training'
),

{% for family, measures in families.items() -%}
    {{ family }}_totals as (
        {{ ml_running_totals('training_observations', measures) }}
    ),

{% endfor -%}

-- scoring is observed the day after the as-of date: every change counts
customer_totals as (
    select
        customer_id,
        {{ ml_total_columns('customer') }}
        count(*) as changes
    from {{ ref('int_ml_customer_changes') }}
    group by customer_id
),

at_observation as (
    select
        training_observations.purpose,
        training_observations.invoice_id,
        {{ ml_total_columns('training') }}
        training_observations.observation_date
    from training_observations
    {{ ml_family_joins('training_observations') }}
    union all
    select
        observations.purpose,
        observations.invoice_id,
        {{ ml_total_columns('scoring') }}
        observations.observation_date
    from observations
    left join customer_totals
        on observations.customer_id = customer_totals.customer_id
    where observations.purpose = 'scoring'
),

-- the oldest document open and past due at the observation date; "closed on
-- or after d" is known at d (it was still open), so no later fact leaks in
oldest_overdue as (
    select
        observations.purpose,
        observations.invoice_id,
        max(observations.observation_date - overdue.due_date) as max_days_past_due
    from observations
    inner join outcomes as overdue
        on
            observations.customer_id = overdue.customer_id
            and observations.observation_date > overdue.due_date
            and (overdue.closed_date is null or observations.observation_date <= overdue.closed_date)
    where overdue.closed_date is null or overdue.closed_date > overdue.due_date
    group by observations.purpose, observations.invoice_id
),

final as (
    select
        -- ids
        observations.purpose,
        observations.invoice_id,
        observations.customer_id,
        observations.observation_date,
        -- amounts
        observations.document_amount_rc,
        observations.open_amount_rc,
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
        - at_observation.last_contact_epoch as rel_days_since_last_contact
    from observations
    inner join at_observation
        on
            observations.purpose = at_observation.purpose
            and observations.invoice_id = at_observation.invoice_id
    left join oldest_overdue
        on
            observations.purpose = oldest_overdue.purpose
            and observations.invoice_id = oldest_overdue.invoice_id
    left join accounts
        on observations.customer_id = accounts.customer_id
)

select * from final
