-- The training set's features: every debit document observed at its
-- invoice date. A feature at observation date d counts only changes dated
-- before d (int_ml_customer_changes): in each customer's timeline the
-- observation sorts before the day's changes, and the running totals stop
-- there; each family of measures is summed in its own pass (macro
-- ml_running_totals). Built for the monthly retraining (tag ml_training),
-- not by the daily build. Formulas shared with int_ml_scoring_points (macro
-- ml_features_at_observation); list and meanings in seeds/ml_features.csv
-- and docs/model.md.
{{ config(tags=['ml_training']) }}

with

outcomes as (
    select * from {{ ref('int_ml_document_outcomes') }}
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
),

{%- set families = ml_measure_families() %}

{% for family, measures in families.items() -%}
    {{ family }}_totals as (
        {{ ml_running_totals('observations', measures) }}
    ),

{% endfor -%}

at_observation as (
    select
        observations.purpose,
        observations.invoice_id,
        {{ ml_total_columns('training') }}
        observations.observation_date
    from observations
    {{ ml_family_joins('observations') }}
),

{{ ml_features_at_observation() }}
