-- One row per open debit document (invoice, debit note) and as-of date: the
-- scorer's predictions (source ml_scores.invoice_predictions, written by
-- ar_score) beside the document's open amount and age (fct_ar_open_items).
--   expected_loss_rc         = pd_default x lgd x open_amount_rc (expected credit
--                              loss, IFRS 9; lgd from int_ecl_loss_given_default)
--   expected_late_amount_rc  = p_late x open_amount_rc (null once past due)
--   risk_level               = the most severe level of seed risk_levels whose
--                              min_pd_default the document's pd_default reaches
--   predicted_pay_date       = as_of_date + pay_days_p50 (at least the next day);
--                              80 % interval from pay_days_p10 .. pay_days_p90
--   reasons_en / reasons_zh  = the reason codes' texts (seed ml_features), "; "-joined
-- Incremental by as_of_date (a rerun replaces the date), history bounded as
-- fct_ar_open_items (prune_snapshot_history).
{{
    config(
        post_hook=["{{ prune_snapshot_history() }}"],
    )
}}

with

predictions as (
    select * from {{ source('ml_scores', 'invoice_predictions') }}
    where as_of_date = {{ as_of_date() }}
),

open_items as (
    select * from {{ ref('fct_ar_open_items') }}
    where as_of_date = {{ as_of_date() }}
),

lgd as (
    select * from {{ ref('int_ecl_loss_given_default') }}
),

levels as (
    select * from {{ ref('risk_levels') }}
),

features as (
    select * from {{ ref('ml_features') }}
),

scored as (
    select
        predictions.*,
        open_items.document_type,
        open_items.currency,
        open_items.aging_bucket,
        open_items.aging_bucket_order,
        open_items.open_amount_rc,
        open_items.invoice_date,
        open_items.due_date,
        open_items.days_past_due,
        lgd.lgd,
        lgd.lgd_source,
        {{ risk_level_order_of('predictions.pd_default') }} as risk_level_order
    from predictions
    inner join open_items
        on predictions.invoice_id = open_items.invoice_id
    cross join lgd
),

final as (
    select
        -- ids
        scored.as_of_date,
        scored.invoice_id,
        scored.customer_id,
        -- attributes
        scored.document_type,
        scored.currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        scored.aging_bucket,
        scored.aging_bucket_order,
        levels.risk_level,
        scored.risk_level_order,
        levels.label_en as risk_level_label_en,
        levels.label_zh as risk_level_label_zh,
        -- amounts
        scored.open_amount_rc,
        -- (the products are doubles: cast before round, PostgreSQL rounds to digits only numerics)
        cast(
            round(cast(scored.pd_default * scored.lgd * scored.open_amount_rc as decimal(38, 8)), 2) as decimal(18, 2)
        ) as expected_loss_rc,
        cast(
            round(cast(scored.p_late * scored.open_amount_rc as decimal(38, 8)), 2) as decimal(18, 2)
        ) as expected_late_amount_rc,
        -- probabilities
        cast(scored.p_late as double precision) as p_late,
        cast(scored.p_paid_30d as double precision) as p_paid_30d,
        cast(scored.pd_default as double precision) as pd_default,
        scored.lgd,
        scored.lgd_source,
        -- dates
        scored.invoice_date,
        scored.due_date,
        scored.days_past_due,
        cast(scored.pay_days_p50 as double precision) as pay_days_p50,
        scored.as_of_date + cast(greatest(1, round(scored.pay_days_p10)) as integer) as predicted_pay_date_p10,
        scored.as_of_date + cast(greatest(1, round(scored.pay_days_p50)) as integer) as predicted_pay_date,
        scored.as_of_date + cast(greatest(1, round(scored.pay_days_p90)) as integer) as predicted_pay_date_p90,
        -- reasons
        scored.reason_code_1,
        scored.reason_code_2,
        scored.reason_code_3,
        nullif(
            coalesce(reason_1.reason_en, '')
            || coalesce('; ' || reason_2.reason_en, '')
            || coalesce('; ' || reason_3.reason_en, ''),
            ''
        ) as reasons_en,
        nullif(
            coalesce(reason_1.reason_zh, '')
            || coalesce('；' || reason_2.reason_zh, '')
            || coalesce('；' || reason_3.reason_zh, ''),
            ''
        ) as reasons_zh,
        -- models
        scored.model_version_p_late,
        scored.model_version_p_paid_30d,
        scored.model_version_pd_default
    from scored
    left join levels
        on scored.risk_level_order = levels.level_order
    left join features as reason_1
        on scored.reason_code_1 = reason_1.feature
    left join features as reason_2
        on scored.reason_code_2 = reason_2.feature
    left join features as reason_3
        on scored.reason_code_3 = reason_3.feature
)

select * from final
