-- Management tier per customer, the first rule that holds (customer_tiers seed):
--   recovery  (高风险清收) extreme RFA risk, litigation, blacklisted, a bad-debt
--             write-off in the behaviour window, or archetype cash_strapped
--   watch     (风险预警)   high RFA risk, negative news, or archetype
--             dishonest_delayer or legacy_problem
--   core      (核心优质)   strategic or key CRM account, or sales in the window at
--             or above tier_core_sales_percentile (percent rank among customers)
--   potential (潜力发展)   every other customer
with

attributes as (
    select * from {{ ref('int_customer_attributes') }}
),

behaviour as (
    select * from {{ ref('int_customer_behaviour') }}
),

archetypes as (
    select * from {{ ref('int_customer_archetypes') }}
),

rfa as (
    select * from {{ ref('int_rfa_scores') }}
),

tiers as (
    select * from {{ ref('customer_tiers') }}
),

ranked as (
    select
        customer_id,
        percent_rank() over (order by sales_window_rc) as sales_percent_rank
    from behaviour
),

classified as (
    select
        attributes.customer_id,
        ranked.sales_percent_rank,
        case
            when
                rfa.risk_grade = 'extreme'
                or attributes.litigation_flag
                or attributes.blacklist_flag
                or behaviour.bad_debt_writeoffs_window_rc > 0
                or archetypes.archetype = 'cash_strapped'
                then 'recovery'
            when
                rfa.risk_grade = 'high'
                or attributes.negative_news_flag
                or archetypes.archetype in ('dishonest_delayer', 'legacy_problem')
                then 'watch'
            when
                attributes.account_tier in ('strategic', 'key')
                or ranked.sales_percent_rank
                >= {{ analytics_parameter('tier_core_sales_percentile', 'decimal(18, 6)') }}
                then 'core'
            else 'potential'
        end as customer_tier
    from attributes
    left join behaviour
        on attributes.customer_id = behaviour.customer_id
    left join archetypes
        on attributes.customer_id = archetypes.customer_id
    left join rfa
        on attributes.customer_id = rfa.customer_id
    left join ranked
        on attributes.customer_id = ranked.customer_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        classified.customer_id,
        -- attributes
        classified.customer_tier,
        tiers.label_en as customer_tier_label_en,
        tiers.label_zh as customer_tier_label_zh,
        cast(round(cast(classified.sales_percent_rank as decimal(18, 6)), 4) as decimal(18, 4)) as sales_percent_rank
    from classified
    left join tiers
        on classified.customer_tier = tiers.customer_tier
)

select * from final
