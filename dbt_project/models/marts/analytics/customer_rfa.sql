-- RFA (recency, frequency, amount of overdue) per as-of date and customer:
-- the three measures, their 1-5 scores, the total, the risk grade and the
-- segment with zh-CN / en labels. Method: int_rfa_inputs and int_rfa_scores;
-- bands in the rfa_scoring, rfa_risk_grades and rfa_segments seeds. History:
-- daily for item_history_daily_days, month-ends before that.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook=["{{ prune_snapshot_history() }}"],
    )
}}

with

scores as (
    select * from {{ ref('int_rfa_scores') }}
),

grades as (
    select * from {{ ref('rfa_risk_grades') }}
),

segments as (
    select * from {{ ref('rfa_segments') }}
),

final as (
    select
        -- ids
        scores.as_of_date,
        scores.customer_id,
        -- scores
        scores.recency_score,
        scores.frequency_score,
        scores.amount_score,
        scores.rfa_total_score,
        scores.risk_grade,
        grades.label_en as risk_grade_label_en,
        grades.label_zh as risk_grade_label_zh,
        scores.rfa_segment,
        segments.label_en as rfa_segment_label_en,
        segments.label_zh as rfa_segment_label_zh,
        -- recency
        scores.max_days_past_due,
        scores.days_since_last_overdue,
        -- frequency
        scores.overdue_episodes,
        -- amount
        scores.ar_total_rc,
        scores.ar_overdue_rc,
        scores.overdue_share_of_customer_ar,
        scores.share_of_total_overdue
    from scores
    left join grades
        on scores.risk_grade = grades.risk_grade
    left join segments
        on scores.rfa_segment = segments.rfa_segment
)

select * from final
