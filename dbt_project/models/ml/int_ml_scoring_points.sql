-- The scoring set's features: every open debit document of
-- fct_ar_open_items, observed the day after the as-of date (so the whole
-- as-of date counts): the running totals are then simply every change of
-- the customer. Formulas shared with int_ml_training_points (macro
-- ml_features_at_observation); list and meanings in seeds/ml_features.csv
-- and docs/model.md.
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

observations as (
    select
        'scoring' as purpose,
        outcomes.customer_id,
        outcomes.invoice_id,
        {{ as_of_date() }} + 1 as observation_date,
        'scoring' as observation_kind,
        outcomes.document_amount_rc,
        open_items.open_amount_rc,
        outcomes.invoice_date,
        outcomes.due_date
    from outcomes
    inner join open_items
        on outcomes.invoice_id = open_items.invoice_id
),

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
        observations.purpose,
        observations.invoice_id,
        {{ ml_total_columns('scoring') }}
        observations.observation_date
    from observations
    left join customer_totals
        on observations.customer_id = customer_totals.customer_id
),

{{ ml_features_at_observation() }}
