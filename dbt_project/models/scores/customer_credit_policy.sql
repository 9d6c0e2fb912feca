-- The credit policy per customer and as-of date (docs/metrics.md, "Credit
-- policy"): what the customer_credit_scores band's credit_policy row
-- recommends against the current limit (credit_exposure) and terms (ERP).
--   recommended_credit_limit_rc = 0 for cash_in_advance; else
--       least(current limit, max_credit_limit_rc) (no current limit: the cap;
--       no cap: the current limit)
--   recommended_payment_terms_days = 0 for cash_in_advance; else
--       least(current terms, max_payment_terms_days) (no cap: the current terms)
--   limit_gap_rc = recommended - current limit (no current limit: 0);
--   terms_gap_days likewise
--   limit_action = move_to_cash | cut | raise | set (no limit today) | keep
--   approval_level = the credit_approval_levels row with the highest
--       min_limit_change_rc below |limit change| (a change of terms only: the
--       first); none when nothing changes
--   next_review_date = last_review_date (crm_accounts) + review_interval_months;
--       never reviewed: due on the as-of date
--   group_*: sums over the customers of the same group (parent_customer_id
--       and the head office itself): exposure, current and recommended limits
{{
    config(
        post_hook=["{{ prune_snapshot_history() }}"],
    )
}}

with

scores as (
    select * from {{ ref('customer_credit_scores') }}
    where as_of_date = {{ as_of_date() }}
),

exposure as (
    select * from {{ ref('credit_exposure') }}
    where as_of_date = {{ as_of_date() }} and exposure_level = 'customer'
),

attributes as (
    select * from {{ ref('int_customer_attributes') }}
),

policy as (
    select * from {{ ref('credit_policy') }}
),

approval_levels as (
    select * from {{ ref('credit_approval_levels') }}
),

heads as (
    select distinct parent_customer_id as customer_id
    from attributes
    where parent_customer_id is not null
),

current_terms as (
    select
        scores.customer_id,
        scores.credit_score,
        scores.score_band,
        attributes.customer_name,
        coalesce(
            attributes.parent_customer_id, case when heads.customer_id is not null then attributes.customer_id end
        ) as group_id,
        attributes.last_review_date,
        policy.credit_terms,
        policy.max_credit_limit_rc,
        policy.max_payment_terms_days,
        policy.review_interval_months,
        policy.policy_en,
        policy.policy_zh,
        case when exposure.credit_limit_rc > 0 then exposure.credit_limit_rc end as current_credit_limit_rc,
        attributes.payment_terms_days as current_payment_terms_days,
        coalesce(exposure.exposure_rc, 0) as exposure_rc
    from scores
    inner join attributes
        on scores.customer_id = attributes.customer_id
    left join heads
        on scores.customer_id = heads.customer_id
    left join policy
        on scores.score_band = policy.score_band
    left join exposure
        on scores.customer_id = exposure.party_id
),

recommended as (
    select
        current_terms.*,
        case
            when current_terms.credit_terms = 'cash_in_advance' then 0
            when current_terms.max_credit_limit_rc is null then current_terms.current_credit_limit_rc
            when current_terms.current_credit_limit_rc is null then current_terms.max_credit_limit_rc
            else least(current_terms.current_credit_limit_rc, current_terms.max_credit_limit_rc)
        end as recommended_credit_limit_rc,
        case
            when current_terms.credit_terms = 'cash_in_advance' then 0
            when current_terms.max_payment_terms_days is null then current_terms.current_payment_terms_days
            when current_terms.current_payment_terms_days is null then current_terms.max_payment_terms_days
            else least(current_terms.current_payment_terms_days, current_terms.max_payment_terms_days)
        end as recommended_payment_terms_days
    from current_terms
),

actions as (
    select
        recommended.*,
        coalesce(recommended.recommended_credit_limit_rc, recommended.current_credit_limit_rc, 0)
        - coalesce(recommended.current_credit_limit_rc, 0) as limit_change_rc,
        coalesce(recommended.recommended_payment_terms_days, recommended.current_payment_terms_days, 0)
        - coalesce(recommended.current_payment_terms_days, 0) as terms_change_days,
        case
            when
                recommended.credit_terms = 'cash_in_advance'
                and (
                    coalesce(recommended.current_credit_limit_rc, 0) > 0
                    or coalesce(recommended.current_payment_terms_days, 0) > 0
                )
                then 'move_to_cash'
            when recommended.recommended_credit_limit_rc is null then 'keep'
            when recommended.current_credit_limit_rc is null and recommended.recommended_credit_limit_rc > 0 then 'set'
            when recommended.recommended_credit_limit_rc < recommended.current_credit_limit_rc then 'cut'
            when recommended.recommended_credit_limit_rc > recommended.current_credit_limit_rc then 'raise'
            else 'keep'
        end as limit_action
    from recommended
),

approvals as (
    select
        actions.customer_id,
        max(approval_levels.level_order) as approval_level_order
    from actions
    inner join approval_levels
        on
            abs(actions.limit_change_rc) > approval_levels.min_limit_change_rc
            or approval_levels.level_order = (select min(first_level.level_order) from approval_levels as first_level)
    where actions.limit_action <> 'keep' or actions.terms_change_days <> 0
    group by actions.customer_id
),

groups as (
    select
        group_id,
        count(*) as group_member_count,
        sum(exposure_rc) as group_exposure_rc,
        sum(coalesce(current_credit_limit_rc, 0)) as group_credit_limit_rc,
        sum(coalesce(recommended_credit_limit_rc, current_credit_limit_rc, 0)) as group_recommended_limit_rc
    from actions
    where group_id is not null
    group by group_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        actions.customer_id,
        actions.group_id,
        -- attributes
        actions.customer_name,
        '{{ var("reporting_currency") }}' as reporting_currency,
        actions.credit_score,
        actions.score_band,
        actions.credit_terms,
        actions.policy_en,
        actions.policy_zh,
        actions.limit_action,
        case
            when actions.terms_change_days < 0 then 'shorten'
            when actions.terms_change_days > 0 then 'lengthen'
            else 'keep'
        end as terms_action,
        coalesce(approval_levels.approval_level, 'none') as approval_level,
        coalesce(approval_levels.label_en, 'No change to approve') as approval_level_label_en,
        coalesce(approval_levels.label_zh, '无需审批') as approval_level_label_zh,
        -- amounts
        cast(actions.current_credit_limit_rc as decimal(18, 2)) as current_credit_limit_rc,
        cast(actions.recommended_credit_limit_rc as decimal(18, 2)) as recommended_credit_limit_rc,
        cast(actions.limit_change_rc as decimal(18, 2)) as limit_gap_rc,
        cast(actions.exposure_rc as decimal(18, 2)) as exposure_rc,
        cast(
            greatest(actions.exposure_rc - coalesce(actions.recommended_credit_limit_rc, actions.exposure_rc), 0)
            as decimal(18, 2)
        ) as exposure_over_recommended_rc,
        -- terms
        cast(actions.current_payment_terms_days as integer) as current_payment_terms_days,
        cast(actions.recommended_payment_terms_days as integer) as recommended_payment_terms_days,
        cast(actions.terms_change_days as integer) as terms_gap_days,
        -- reviews
        cast(actions.review_interval_months as integer) as review_interval_months,
        actions.last_review_date,
        cast(
            coalesce(
                {{ dbt.dateadd('month', 'actions.review_interval_months', 'actions.last_review_date') }},
                {{ as_of_date() }}
            ) as date
        ) as next_review_date,
        case
            when actions.last_review_date is null then 'never_reviewed'
            when
                cast({{ dbt.dateadd('month', 'actions.review_interval_months', 'actions.last_review_date') }} as date)
                < {{ as_of_date() }}
                then 'overdue'
            else 'scheduled'
        end as review_status,
        -- group (sum of the members' limits)
        cast(groups.group_member_count as integer) as group_member_count,
        cast(groups.group_exposure_rc as decimal(18, 2)) as group_exposure_rc,
        cast(groups.group_credit_limit_rc as decimal(18, 2)) as group_credit_limit_rc,
        cast(groups.group_recommended_limit_rc as decimal(18, 2)) as group_recommended_limit_rc,
        cast(
            round(100.0 * groups.group_exposure_rc / nullif(groups.group_recommended_limit_rc, 0), 2)
            as decimal(18, 2)
        ) as group_recommended_utilisation_pct
    from actions
    left join approvals
        on actions.customer_id = approvals.customer_id
    left join approval_levels
        on approvals.approval_level_order = approval_levels.level_order
    left join groups
        on actions.group_id = groups.group_id
)

select * from final
