-- Order holds per customer and as-of date (docs/metrics.md, "Order holds"),
-- from seed order_hold_rules: the most severe rule (highest level_order) that
-- applies to the customer, one row per customer on hold.
--   utilisation rules: credit_exposure.utilisation_pct >= min_utilisation_pct
--       (shipped: pause_new_orders at 80 %, hold at 100 %)
--   credit_score rule: the customer's band has cash_in_advance terms
--       (customer_credit_policy; shipped: cash_terms below a score of 60)
--   since_date = the first as-of date of the current unbroken run of published
--       dates on which the rule applied (credit_exposure / customer_credit_policy
--       history; the first date kept when the run started before it)
--   release_amount_rc = what the customer must pay down for the exposure to
--       fall below the rule's threshold: exposure - threshold x limit (+ 0.01);
--       null for the credit_score rule
{{
    config(
        post_hook=["{{ prune_snapshot_history() }}"],
    )
}}

with

rules as (
    select * from {{ ref('order_hold_rules') }}
),

exposure_history as (
    select * from {{ ref('credit_exposure') }}
    where exposure_level = 'customer' and as_of_date <= {{ as_of_date() }}
),

policy as (
    select * from {{ ref('customer_credit_policy') }}
    where as_of_date = {{ as_of_date() }}
),

policy_history as (
    select * from {{ ref('customer_credit_policy') }}
    where as_of_date <= {{ as_of_date() }}
),

-- Every (date, customer, rule) on which a rule applied, and the dates it did not.
utilisation_days as (
    select
        exposure_history.as_of_date,
        exposure_history.party_id as customer_id,
        rules.hold_level,
        coalesce(exposure_history.utilisation_pct >= rules.min_utilisation_pct, false) as applies
    from exposure_history
    cross join rules
    where rules.hold_reason = 'utilisation'
),

score_days as (
    select
        policy_history.as_of_date,
        policy_history.customer_id,
        rules.hold_level,
        policy_history.credit_terms = 'cash_in_advance' as applies
    from policy_history
    cross join rules
    where rules.hold_reason = 'credit_score'
),

rule_days as (
    select * from utilisation_days
    union all
    select * from score_days
),

episodes as (
    select
        customer_id,
        hold_level,
        max(case when as_of_date = {{ as_of_date() }} and applies then 1 else 0 end) = 1 as applies_today,
        max(case when not applies then as_of_date end) as last_day_not_applying
    from rule_days
    group by customer_id, hold_level
),

since as (
    select
        rule_days.customer_id,
        rule_days.hold_level,
        min(rule_days.as_of_date) as since_date
    from rule_days
    inner join episodes
        on rule_days.customer_id = episodes.customer_id and rule_days.hold_level = episodes.hold_level
    where
        episodes.applies_today
        and rule_days.applies
        and (episodes.last_day_not_applying is null or rule_days.as_of_date > episodes.last_day_not_applying)
    group by rule_days.customer_id, rule_days.hold_level
),

ranked as (
    select
        since.customer_id,
        since.hold_level,
        since.since_date,
        rules.level_order,
        rules.hold_reason,
        rules.min_utilisation_pct,
        rules.action_en,
        rules.action_zh,
        rules.release_en,
        rules.release_zh,
        row_number() over (partition by since.customer_id order by rules.level_order desc) as severity_rank
    from since
    inner join rules
        on since.hold_level = rules.hold_level
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        ranked.customer_id,
        -- attributes
        policy.customer_name,
        '{{ var("reporting_currency") }}' as reporting_currency,
        ranked.hold_level,
        ranked.hold_reason,
        ranked.action_en,
        ranked.action_zh,
        ranked.release_en as release_condition_en,
        ranked.release_zh as release_condition_zh,
        policy.credit_score,
        policy.score_band,
        -- amounts
        cast(policy.current_credit_limit_rc as decimal(18, 2)) as credit_limit_rc,
        cast(policy.exposure_rc as decimal(18, 2)) as exposure_rc,
        cast(
            round(100.0 * policy.exposure_rc / nullif(policy.current_credit_limit_rc, 0), 2) as decimal(18, 2)
        ) as utilisation_pct,
        cast(
            case
                when ranked.hold_reason = 'utilisation'
                    then
                        policy.exposure_rc - ranked.min_utilisation_pct / 100.0 * policy.current_credit_limit_rc
                        + 0.01
            end as decimal(18, 2)
        ) as release_amount_rc,
        -- dates
        ranked.since_date,
        {{ as_of_date() }} - ranked.since_date as days_on_hold
    from ranked
    inner join policy
        on ranked.customer_id = policy.customer_id
    where ranked.severity_rank = 1
)

select * from final
