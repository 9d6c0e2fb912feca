-- One row per customer per as-of date: the customer's attributes and owner
-- chain with the tags of that day (tier, behaviour archetype, RFA risk grade,
-- litigation / negative-news / blacklist flags). A daily snapshot, incremental
-- by as_of_date like the other marts, so a backfill reproduces the tags of
-- its day; BI tools take the latest as_of_date for the current picture.
-- Customer-level history is bounded like item history: daily for
-- item_history_daily_days, month-ends before that.
-- No personal data: people appear by id only.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook=["{{ prune_snapshot_history() }}"],
    )
}}

with

attributes as (
    select * from {{ ref('int_customer_attributes') }}
),

archetypes as (
    select * from {{ ref('int_customer_archetypes') }}
),

tiers as (
    select * from {{ ref('int_customer_tiers') }}
),

rfa as (
    select * from {{ ref('int_rfa_scores') }}
),

behaviour as (
    select * from {{ ref('int_customer_behaviour') }}
),

final as (
    select
        -- ids
        attributes.as_of_date,
        attributes.customer_id,
        attributes.parent_customer_id,
        -- owner chain
        attributes.sales_rep_id,
        attributes.supervisor_id,
        attributes.department,
        attributes.relationship_manager_id,
        -- attributes
        attributes.customer_name,
        attributes.region,
        attributes.country_code,
        attributes.industry,
        attributes.payment_terms_days,
        attributes.is_active,
        attributes.account_tier,
        attributes.credit_rating,
        -- tags
        tiers.customer_tier,
        tiers.customer_tier_label_en,
        tiers.customer_tier_label_zh,
        archetypes.archetype,
        archetypes.archetype_label_en,
        archetypes.archetype_label_zh,
        rfa.risk_grade,
        rfa.rfa_segment,
        -- risk flags
        attributes.litigation_flag,
        attributes.negative_news_flag,
        attributes.blacklist_flag,
        attributes.blacklist_reason,
        -- behaviour on the as-of date
        behaviour.tenure_days,
        behaviour.avg_days_late_window,
        behaviour.lateness_rise_days,
        behaviour.max_days_past_due,
        behaviour.sales_window_rc,
        behaviour.sales_growth,
        behaviour.credit_limit,
        behaviour.credit_limit_ratio,
        behaviour.bad_debt_writeoffs_window_rc,
        -- dates
        attributes.customer_since,
        attributes.last_review_date
    from attributes
    left join archetypes
        on attributes.customer_id = archetypes.customer_id
    left join tiers
        on attributes.customer_id = tiers.customer_id
    left join rfa
        on attributes.customer_id = rfa.customer_id
    left join behaviour
        on attributes.customer_id = behaviour.customer_id
)

select * from final
