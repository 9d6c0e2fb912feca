-- The credit score (1-100) per customer and as-of date: a transparent
-- scorecard (docs/metrics.md, "Credit score"). Each component of
-- credit_score_components earns weight x points_share of the credit_score_points
-- band its measure falls in (the highest min_value <= measure), or weight x
-- neutral_share when the measure is not available (the reason is kept):
--   measures of int_credit_score_measures (payment behaviour, tenure, sales,
--   CRM flags, blacklist), plus
--   utilisation = credit_exposure.utilisation_pct of the customer (no positive
--                 limit: not available)
--   pd_default  = customer_risk_scores.pd_default (amount-weighted) when a
--                 champion model scored it; the provision-matrix fallback or
--                 nothing open: not available
--   points_total = sum of the components' points (0-100)
--   credit_score = round(points_total), capped by the lowest score_cap of the
--                  bands the customer is in (litigation, blacklist), within 1-100
--   score_band   = the credit_score_bands row with min_score <= score <= max_score
--   reasons      = the three measured components with most points lost
--                  (weight - points), ties by component_order; neutral_reasons
--                  = every component scored neutral, with why
-- Built by ar_score after the scorer (tag scores), with the day's pd_default.
{{
    config(
        post_hook=["{{ prune_snapshot_history() }}"],
    )
}}

with

measures as (
    select * from {{ ref('int_credit_score_measures') }}
),

exposure as (
    select * from {{ ref('credit_exposure') }}
    where as_of_date = {{ as_of_date() }} and exposure_level = 'customer'
),

risk as (
    select * from {{ ref('customer_risk_scores') }}
    where as_of_date = {{ as_of_date() }}
),

components as (
    select * from {{ ref('credit_score_components') }}
),

points as (
    select * from {{ ref('credit_score_points') }}
),

bands as (
    select * from {{ ref('credit_score_bands') }}
),

limits_on_record as (
    select count(*) as customers_with_limit
    from exposure
    where credit_limit_rc > 0
),

utilisation as (
    select
        exposure.party_id as customer_id,
        'utilisation' as component,
        case when exposure.credit_limit_rc > 0 then exposure.utilisation_pct end as measure_value,
        case
            when exposure.credit_limit_rc > 0 then null
            when limits_on_record.customers_with_limit = 0
                then 'no credit limit on record (erp_credit_limits absent or empty)'
            else 'no credit limit valid on the as-of date'
        end as unavailable_reason_en,
        case
            when exposure.credit_limit_rc > 0 then null
            when limits_on_record.customers_with_limit = 0 then '无信用额度记录（erp_credit_limits缺失或无数据）'
            else '截至日无有效信用额度'
        end as unavailable_reason_zh
    from exposure
    cross join limits_on_record
),

customers as (
    select distinct customer_id from measures
),

model_default as (
    select
        customers.customer_id,
        'pd_default' as component,
        case when risk.model_version_pd_default <> 'provision_matrix' then risk.pd_default end as measure_value,
        case
            when risk.customer_id is null then 'nothing open to score'
            when risk.model_version_pd_default = 'provision_matrix'
                then 'no pd_default champion model (the provision matrix scored)'
        end as unavailable_reason_en,
        case
            when risk.customer_id is null then '无未清单据可评分'
            when risk.model_version_pd_default = 'provision_matrix' then '无违约概率冠军模型（由准备矩阵估计）'
        end as unavailable_reason_zh
    from customers
    left join risk
        on customers.customer_id = risk.customer_id
),

all_measures as (
    {%- for part in ('measures', 'utilisation', 'model_default') %}
        select
            customer_id,
            component,
            cast(measure_value as decimal(18, 6)) as measure_value,
            unavailable_reason_en,
            unavailable_reason_zh
        from {{ part }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- The band of each measure: the highest min_value at or below it.
banded as (
    select
        all_measures.customer_id,
        all_measures.component,
        points.points_share,
        points.score_cap,
        points.reason_en,
        points.reason_zh,
        row_number() over (
            partition by all_measures.customer_id, all_measures.component
            order by points.min_value desc
        ) as band_rank
    from all_measures
    inner join points
        on
            all_measures.component = points.component
            and all_measures.measure_value >= points.min_value
),

scored as (
    select
        all_measures.customer_id,
        all_measures.component,
        components.component_order,
        components.weight,
        components.label_en,
        components.label_zh,
        all_measures.measure_value,
        all_measures.measure_value is null as is_neutral,
        cast(
            round(components.weight * coalesce(points.points_share, components.neutral_share), 2) as decimal(9, 2)
        ) as points,
        case when points.score_cap < 100 then points.score_cap end as score_cap,
        coalesce(points.reason_en, 'not available: ' || all_measures.unavailable_reason_en) as reason_en,
        coalesce(points.reason_zh, '无法评估：' || all_measures.unavailable_reason_zh) as reason_zh
    from all_measures
    inner join components
        on all_measures.component = components.component
    left join banded as points
        on
            all_measures.customer_id = points.customer_id
            and all_measures.component = points.component
            and points.band_rank = 1
),

ranked as (
    select
        scored.*,
        row_number() over (
            partition by scored.customer_id, scored.is_neutral
            order by scored.weight - scored.points desc, scored.component_order asc
        ) as loss_rank,
        scored.label_en || ': ' || scored.reason_en
        || ' (' || cast(scored.points as {{ dbt.type_string() }}) || ' of '
        || cast(scored.weight as {{ dbt.type_string() }}) || ')' as reason_line_en,
        scored.label_zh || '：' || scored.reason_zh
        || '（' || cast(scored.points as {{ dbt.type_string() }}) || '/'
        || cast(scored.weight as {{ dbt.type_string() }}) || '分）' as reason_line_zh
    from scored
),

per_customer as (
    select
        customer_id,
        sum(points) as points_total,
        min(score_cap) as score_cap,
        sum(case when is_neutral then 1 else 0 end) as neutral_components,
        {{ dbt.listagg(
            "case when not is_neutral and loss_rank <= 3 and weight > points then reason_line_en end", "'; '", 'order by loss_rank'
        ) }} as reasons_en,
        {{ dbt.listagg(
            "case when not is_neutral and loss_rank <= 3 and weight > points then reason_line_zh end", "'；'", 'order by loss_rank'
        ) }} as reasons_zh,
        {{ dbt.listagg(
            "case when is_neutral then label_en || ': ' || reason_en end", "'; '", 'order by component_order'
        ) }} as neutral_reasons_en,
        {{ dbt.listagg(
            "case when is_neutral then label_zh || '：' || reason_zh end", "'；'", 'order by component_order'
        ) }} as neutral_reasons_zh,
        -- points per component
        max(case when component = 'days_late' then points end) as days_late_points,
        max(case when component = 'late_share' then points end) as late_share_points,
        max(case when component = 'promises_broken' then points end) as promises_broken_points,
        max(case when component = 'disputes' then points end) as disputes_points,
        max(case when component = 'writeoffs' then points end) as writeoffs_points,
        max(case when component = 'utilisation' then points end) as utilisation_points,
        max(case when component = 'pd_default' then points end) as pd_default_points,
        max(case when component = 'tenure' then points end) as tenure_points,
        max(case when component = 'sales' then points end) as sales_points,
        max(case when component = 'litigation' then points end) as litigation_points,
        max(case when component = 'negative_news' then points end) as negative_news_points,
        max(case when component = 'blacklist' then points end) as blacklist_points,
        -- measures
        max(case when component = 'days_late' then measure_value end) as weighted_days_late,
        max(case when component = 'late_share' then measure_value end) as late_share,
        max(case when component = 'promises_broken' then measure_value end) as promises_broken,
        max(case when component = 'disputes' then measure_value end) as disputes_opened,
        max(case when component = 'writeoffs' then measure_value end) as bad_debt_pct_of_sales,
        max(case when component = 'utilisation' then measure_value end) as utilisation_pct,
        max(case when component = 'pd_default' then measure_value end) as pd_default,
        max(case when component = 'tenure' then measure_value end) as tenure_days,
        max(case when component = 'sales' then measure_value end) as sales_percent_rank,
        max(case when component = 'litigation' then measure_value end) as litigation_flag,
        max(case when component = 'negative_news' then measure_value end) as negative_news_flag,
        max(case when component = 'blacklist' then measure_value end) as blacklist_flag
    from ranked
    group by customer_id
),

final_score as (
    select
        per_customer.*,
        greatest(
            1,
            least(100, cast(round(per_customer.points_total, 0) as integer), coalesce(per_customer.score_cap, 100))
        ) as credit_score
    from per_customer
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        final_score.customer_id,
        -- score
        cast(final_score.credit_score as integer) as credit_score,
        bands.score_band,
        bands.label_en as score_band_label_en,
        bands.label_zh as score_band_label_zh,
        cast(final_score.points_total as decimal(9, 2)) as points_total,
        cast(final_score.score_cap as integer) as score_cap,
        cast(final_score.neutral_components as integer) as neutral_components,
        -- points per component
        final_score.days_late_points,
        final_score.late_share_points,
        final_score.promises_broken_points,
        final_score.disputes_points,
        final_score.writeoffs_points,
        final_score.utilisation_points,
        final_score.pd_default_points,
        final_score.tenure_points,
        final_score.sales_points,
        final_score.litigation_points,
        final_score.negative_news_points,
        final_score.blacklist_points,
        -- measures
        cast(round(final_score.weighted_days_late, 2) as decimal(18, 2)) as weighted_days_late,
        cast(final_score.late_share as decimal(18, 6)) as late_share,
        cast(final_score.promises_broken as integer) as promises_broken,
        cast(final_score.disputes_opened as integer) as disputes_opened,
        cast(final_score.bad_debt_pct_of_sales as decimal(18, 6)) as bad_debt_pct_of_sales,
        cast(final_score.utilisation_pct as decimal(18, 2)) as utilisation_pct,
        cast(final_score.pd_default as decimal(18, 6)) as pd_default,
        cast(final_score.tenure_days as integer) as tenure_days,
        cast(final_score.sales_percent_rank as decimal(18, 6)) as sales_percent_rank,
        cast(final_score.litigation_flag as integer) as litigation_flag,
        cast(final_score.negative_news_flag as integer) as negative_news_flag,
        cast(final_score.blacklist_flag as integer) as blacklist_flag,
        -- reasons
        final_score.reasons_en,
        final_score.reasons_zh,
        final_score.neutral_reasons_en,
        final_score.neutral_reasons_zh
    from final_score
    left join bands
        on final_score.credit_score between bands.min_score and bands.max_score
)

select * from final
