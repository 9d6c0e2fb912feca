-- The training set: every debit document x observation (its issue date and
-- the month-ends while it is open, int_ml_training_points) with its features
-- at the observation date and its labels once known (null: not known at the
-- as-of date, or not applicable):
--   is_late:     observations up to the due date only: not fully paid by
--                due_date + ml_label_grace_days (int_ml_document_outcomes)
--   is_paid_30d: paid in full before observation_date + ml_paid_horizon_days
--   is_default:  the default date (int_ml_document_outcomes) falls before
--                observation_date + ml_default_horizon_months; 0 when paid in
--                full before default and before the horizon, or when the
--                horizon is reached without default; null when already in
--                default at the observation
--   days_to_pay: paid_date - observation_date (null while unpaid)
-- The model trains on history from the first install (docs/model.md).
{{ config(tags=['ml_training']) }}

with

features as (
    select * from {{ ref('int_ml_training_points') }}
),

outcomes as (
    select * from {{ ref('int_ml_document_outcomes') }}
),

parameters as (
    select
        {{ analytics_parameter('ml_paid_horizon_days') }} as paid_horizon_days,
        {{ analytics_parameter('ml_default_horizon_months') }} as default_horizon_months
),

-- each observation with the ends of its label horizons
observed as (
    select
        features.*,
        features.observation_date + parameters.paid_horizon_days as paid_horizon_end,
        cast(
            {{ dbt.dateadd('month', 'parameters.default_horizon_months', 'features.observation_date') }} as date
        ) as default_horizon_end
    from features
    cross join parameters
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        observed.invoice_id,
        observed.customer_id,
        -- dates
        observed.observation_date,
        observed.observation_kind,
        outcomes.invoice_date,
        outcomes.due_date,
        outcomes.paid_date,
        -- amounts
        observed.document_amount_rc,
        observed.open_amount_rc,
        -- state
        observed.in_default_at_observation,
        -- features
        {% for feature in ml_feature_columns() -%}
            cast(observed.{{ feature }} as double precision) as {{ feature }},
        {% endfor -%}
        -- labels (null: not known at the as-of date, or not applicable)
        case when observed.observation_date <= outcomes.due_date then outcomes.is_late end as is_late,
        case
            when outcomes.paid_date < observed.paid_horizon_end then 1
            when {{ as_of_date() }} >= observed.paid_horizon_end then 0
        end as is_paid_30d,
        case
            when observed.in_default_at_observation = 1 then null
            when
                outcomes.paid_date < observed.default_horizon_end
                and (outcomes.default_date is null or outcomes.paid_date < outcomes.default_date)
                then 0
            when outcomes.default_date < observed.default_horizon_end then 1
            when {{ as_of_date() }} >= observed.default_horizon_end then 0
        end as is_default,
        outcomes.is_90_plus_late,
        cast(outcomes.paid_date - observed.observation_date as double precision) as days_to_pay
    from observed
    inner join outcomes
        on observed.invoice_id = outcomes.invoice_id
)

select * from final
