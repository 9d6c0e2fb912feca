-- The scoring set: every open debit document of fct_ar_open_items at the
-- as-of date with its features observed the day after (so the whole as-of
-- date counts), the same formulas as the training set (macro
-- ml_features_at_observation).
with

features as (
    select * from {{ ref('int_ml_scoring_points') }}
),

outcomes as (
    select * from {{ ref('int_ml_document_outcomes') }}
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        features.invoice_id,
        features.customer_id,
        -- amounts
        features.document_amount_rc,
        features.open_amount_rc,
        -- state: defaulted on or before the as-of date (pd_default is then 1)
        features.in_default_at_observation,
        -- features
        {% for feature in ml_feature_columns() -%}
            cast(features.{{ feature }} as double precision) as {{ feature }},
        {% endfor -%}
        -- dates
        features.observation_date,
        outcomes.invoice_date,
        outcomes.due_date
    from features
    inner join outcomes
        on features.invoice_id = outcomes.invoice_id
)

select * from final
