-- Behaviour archetype per customer: transparent rules over the behaviour
-- features (int_customer_behaviour), thresholds from analytics_parameters,
-- checked in priority order (customer_archetypes seed); the first that holds
-- wins. Never fitted to any customer's known answer: the generator's ground
-- truth is only used by tests/test_archetypes.py to measure the rules.
with

behaviour as (
    select * from {{ ref('int_customer_behaviour') }}
),

archetypes as (
    select * from {{ ref('customer_archetypes') }}
),

parameters as (
    select
        {{ analytics_parameter('archetype_cash_strapped_lateness_rise_days', 'decimal(18, 6)') }} as cash_rise_days,
        {{ analytics_parameter('archetype_cash_strapped_max_limit_ratio', 'decimal(18, 6)') }} as cash_max_limit_ratio,
        {{ analytics_parameter('archetype_cash_strapped_min_days_past_due') }} as cash_min_days_past_due,
        {{ analytics_parameter('archetype_legacy_min_days_past_due') }} as legacy_min_days_past_due,
        {{ analytics_parameter('archetype_legacy_max_avg_days_late', 'decimal(18, 6)') }} as legacy_max_avg_days_late,
        {{ analytics_parameter('archetype_delayer_min_avg_days_late', 'decimal(18, 6)') }} as delayer_min_avg_days_late,
        {{ analytics_parameter('archetype_strategic_max_avg_days_late', 'decimal(18, 6)') }}
            as strategic_max_avg_days_late,
        {{ analytics_parameter('archetype_grower_max_tenure_days') }} as grower_max_tenure_days,
        {{ analytics_parameter('archetype_grower_min_sales_growth', 'decimal(18, 6)') }} as grower_min_sales_growth,
        {{ analytics_parameter('archetype_grower_min_limit_ratio', 'decimal(18, 6)') }} as grower_min_limit_ratio
),

classified as (
    select
        behaviour.customer_id,
        case
            when
                behaviour.bad_debt_writeoffs_window_rc > 0
                or (
                    behaviour.max_days_past_due > parameters.cash_min_days_past_due
                    and (
                        behaviour.lateness_rise_days >= parameters.cash_rise_days
                        or behaviour.credit_limit_ratio <= parameters.cash_max_limit_ratio
                    )
                )
                then 'cash_strapped'
            when
                behaviour.max_days_past_due > parameters.legacy_min_days_past_due
                and coalesce(behaviour.avg_days_late_window, 0) <= parameters.legacy_max_avg_days_late
                then 'legacy_problem'
            when behaviour.avg_days_late_window >= parameters.delayer_min_avg_days_late
                then 'dishonest_delayer'
            when
                behaviour.account_tier = 'strategic'
                and coalesce(behaviour.avg_days_late_window, 0) <= parameters.strategic_max_avg_days_late
                then 'strategic_strong_payer'
            when
                behaviour.tenure_days <= parameters.grower_max_tenure_days
                and (
                    behaviour.sales_growth >= parameters.grower_min_sales_growth
                    or behaviour.credit_limit_ratio >= parameters.grower_min_limit_ratio
                )
                then 'potential_grower'
            else 'good_payer'
        end as archetype
    from behaviour
    cross join parameters
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        classified.customer_id,
        -- attributes
        classified.archetype,
        archetypes.label_en as archetype_label_en,
        archetypes.label_zh as archetype_label_zh,
        archetypes.rule_en as archetype_rule
    from classified
    left join archetypes
        on classified.archetype = archetypes.archetype
)

select * from final
