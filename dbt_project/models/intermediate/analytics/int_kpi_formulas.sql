-- The KPI formulas per scope (definitions and sources in docs/metrics.md; a
-- hand-computed unit test for each in _intermediate__analytics.yml). A ratio
-- whose denominator is zero is null ("not applicable"), never 0 or infinity.
--   overdue_rate            = overdue AR / total AR
--   over_1y_share           = AR more than 365 days past due / total AR
--   dso_standard            = total AR / credit sales of the last N days * N      (N = dso_period_days)
--   best_possible_dso       = current (not yet due) AR / credit sales of the last N days * N
--   average_days_delinquent = dso_standard - best_possible_dso
--   dso_change              = dso_standard / dso_standard at the prior month end - 1
--   collection_effectiveness_index (monthly, the CEI month)
--       = (opening AR + credit sales - closing total AR) / (opening AR + credit sales - closing current AR)
--   ar_turnover             = credit sales of the last 365 days / ((AR a year ago + AR now) / 2)
--   bad_debt_rate           = bad-debt write-offs of the last 365 days / credit sales of the last 365 days
--   collection_rate         = receipts applied this month to items due by as_of
--                             / (open at the prior month end and due by as_of + posted this month and due by as_of)
--   collection_success_rate = promises kept / promises judged (kept or broken) with promised date in the window
--   collections_in_terms_rate = receipts applied by the due date to debit documents due in the 365 days to
--                             as_of / the amount of those documents (the commission base: the numerator)
with

measures as (
    select * from {{ ref('int_kpi_scope_measures') }}
),

countback as (
    select * from {{ ref('int_kpi_countback_dso') }}
),

period_days as (
    select {{ analytics_parameter('dso_period_days') }} as dso_period_days
),

ratios as (
    select
        measures.*,
        countback.countback_dso,
        period_days.dso_period_days,
        measures.ar_overdue_rc / nullif(measures.ar_total_rc, 0) as overdue_rate,
        measures.ar_over_1y_rc / nullif(measures.ar_total_rc, 0) as over_1y_share,
        measures.ar_total_rc / nullif(measures.sales_dso_period_rc, 0) * period_days.dso_period_days
            as dso_standard,
        measures.ar_current_rc / nullif(measures.sales_dso_period_rc, 0) * period_days.dso_period_days
            as best_possible_dso,
        measures.ar_total_prior_month_end_rc
        / nullif(measures.sales_dso_period_prior_month_end_rc, 0) * period_days.dso_period_days
            as dso_standard_prior_month_end,
        (measures.ar_total_cei_month_open_rc + measures.sales_cei_month_rc - measures.ar_total_cei_month_end_rc)
        / nullif(
            measures.ar_total_cei_month_open_rc + measures.sales_cei_month_rc - measures.ar_current_cei_month_end_rc,
            0
        ) as collection_effectiveness_index,
        measures.sales_12m_rc / nullif((measures.ar_total_year_ago_rc + measures.ar_total_rc) / 2, 0)
            as ar_turnover,
        measures.bad_debt_writeoffs_12m_rc / nullif(measures.sales_12m_rc, 0) as bad_debt_rate,
        measures.collected_month_to_date_rc / nullif(measures.collectible_month_to_date_rc, 0) as collection_rate,
        cast(measures.promises_kept as decimal(18, 6)) / nullif(measures.promises_judged, 0)
            as collection_success_rate,
        measures.collected_in_terms_12m_rc / nullif(measures.sales_due_12m_rc, 0) as collections_in_terms_rate
    from measures
    cross join period_days
    left join countback
        on
            measures.scope_type = countback.scope_type
            and measures.scope_id = countback.scope_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        scope_type,
        scope_id,
        -- counts
        customers,
        customers_with_ar,
        overdue_customers,
        overdue_items,
        promises_kept,
        promises_judged,
        -- amounts (reporting currency)
        cast(ar_total_rc as decimal(18, 2)) as ar_total_rc,
        cast(ar_current_rc as decimal(18, 2)) as ar_current_rc,
        cast(ar_overdue_rc as decimal(18, 2)) as ar_overdue_rc,
        cast(ar_over_1y_rc as decimal(18, 2)) as ar_over_1y_rc,
        cast(ar_total_prior_month_end_rc as decimal(18, 2)) as ar_total_prior_month_end_rc,
        cast(ar_total_cei_month_open_rc as decimal(18, 2)) as ar_total_cei_month_open_rc,
        cast(ar_total_cei_month_end_rc as decimal(18, 2)) as ar_total_cei_month_end_rc,
        cast(ar_current_cei_month_end_rc as decimal(18, 2)) as ar_current_cei_month_end_rc,
        cast(ar_total_year_ago_rc as decimal(18, 2)) as ar_total_year_ago_rc,
        cast(sales_dso_period_rc as decimal(18, 2)) as sales_dso_period_rc,
        cast(sales_dso_period_prior_month_end_rc as decimal(18, 2)) as sales_dso_period_prior_month_end_rc,
        cast(sales_cei_month_rc as decimal(18, 2)) as sales_cei_month_rc,
        cast(sales_12m_rc as decimal(18, 2)) as sales_12m_rc,
        cast(bad_debt_writeoffs_12m_rc as decimal(18, 2)) as bad_debt_writeoffs_12m_rc,
        cast(collectible_month_to_date_rc as decimal(18, 2)) as collectible_month_to_date_rc,
        cast(collected_month_to_date_rc as decimal(18, 2)) as collected_month_to_date_rc,
        cast(sales_due_12m_rc as decimal(18, 2)) as sales_due_12m_rc,
        cast(collected_in_terms_12m_rc as decimal(18, 2)) as collected_in_terms_12m_rc,
        cast(collected_late_12m_rc as decimal(18, 2)) as collected_late_12m_rc,
        -- rates (fractions: 0.15 = 15%)
        cast(round(overdue_rate, 6) as decimal(18, 6)) as overdue_rate,
        cast(round(over_1y_share, 6) as decimal(18, 6)) as over_1y_share,
        cast(round(collection_effectiveness_index, 6) as decimal(18, 6)) as collection_effectiveness_index,
        cast(round(ar_turnover, 6) as decimal(18, 6)) as ar_turnover,
        cast(round(bad_debt_rate, 6) as decimal(18, 6)) as bad_debt_rate,
        cast(round(collection_rate, 6) as decimal(18, 6)) as collection_rate,
        cast(round(collection_success_rate, 6) as decimal(18, 6)) as collection_success_rate,
        cast(round(collections_in_terms_rate, 6) as decimal(18, 6)) as collections_in_terms_rate,
        cast(round(dso_standard / nullif(dso_standard_prior_month_end, 0) - 1, 6) as decimal(18, 6)) as dso_change,
        -- days
        dso_period_days,
        cast(round(dso_standard, 2) as decimal(18, 2)) as dso_standard,
        cast(round(dso_standard_prior_month_end, 2) as decimal(18, 2)) as dso_standard_prior_month_end,
        countback_dso,
        cast(round(best_possible_dso, 2) as decimal(18, 2)) as best_possible_dso,
        cast(round(dso_standard - best_possible_dso, 2) as decimal(18, 2)) as average_days_delinquent,
        -- reference dates
        {{ analytics_date('prior_month_end') }} as prior_month_end,
        {{ analytics_date('cei_month_end') }} as cei_month_end
    from ratios
)

select * from final
