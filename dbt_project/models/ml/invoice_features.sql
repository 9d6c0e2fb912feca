-- The training set: every debit document with its features at its invoice
-- date and its labels once known (null: not known at the as-of date). The
-- model trains on history from the first install (docs/model.md).
{{ config(tags=['ml_training']) }}

with

features as (
    select * from {{ ref('int_ml_training_points') }}
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
        -- dates
        features.observation_date as invoice_date,
        outcomes.due_date,
        outcomes.paid_date,
        -- features
        {% for feature in ml_feature_columns() -%}
            cast(features.{{ feature }} as double precision) as {{ feature }},
        {% endfor -%}
        -- labels (null: not known at the as-of date)
        outcomes.is_late,
        outcomes.is_90_plus_late
    from features
    inner join outcomes
        on features.invoice_id = outcomes.invoice_id
)

select * from final
