-- The customer building blocks summed per scope (company, region, industry,
-- department, supervisor, sales rep); overdue_customers counts customers with any overdue
-- balance on the as-of date.
with

customer_measures as (
    select * from {{ ref('int_kpi_customer_measures') }}
),

members as (
    select * from {{ ref('int_kpi_scope_members') }}
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        members.scope_type,
        members.scope_id,
        -- counts
        count(*) as customers,
        sum(case when customer_measures.ar_total_rc > 0 then 1 else 0 end) as customers_with_ar,
        sum(case when customer_measures.ar_overdue_rc > 0 then 1 else 0 end) as overdue_customers,
        sum(customer_measures.overdue_items) as overdue_items,
        -- amounts
        sum(customer_measures.ar_total_rc) as ar_total_rc,
        sum(customer_measures.ar_current_rc) as ar_current_rc,
        sum(customer_measures.ar_overdue_rc) as ar_overdue_rc,
        sum(customer_measures.ar_over_1y_rc) as ar_over_1y_rc,
        sum(customer_measures.ar_total_prior_month_end_rc) as ar_total_prior_month_end_rc,
        sum(customer_measures.ar_total_cei_month_open_rc) as ar_total_cei_month_open_rc,
        sum(customer_measures.ar_total_cei_month_end_rc) as ar_total_cei_month_end_rc,
        sum(customer_measures.ar_current_cei_month_end_rc) as ar_current_cei_month_end_rc,
        sum(customer_measures.ar_total_year_ago_rc) as ar_total_year_ago_rc,
        sum(customer_measures.sales_dso_period_rc) as sales_dso_period_rc,
        sum(customer_measures.sales_dso_period_prior_month_end_rc) as sales_dso_period_prior_month_end_rc,
        sum(customer_measures.sales_cei_month_rc) as sales_cei_month_rc,
        sum(customer_measures.sales_12m_rc) as sales_12m_rc,
        sum(customer_measures.bad_debt_writeoffs_12m_rc) as bad_debt_writeoffs_12m_rc,
        sum(customer_measures.collectible_month_to_date_rc) as collectible_month_to_date_rc,
        sum(customer_measures.collected_month_to_date_rc) as collected_month_to_date_rc,
        sum(customer_measures.sales_due_12m_rc) as sales_due_12m_rc,
        sum(customer_measures.collected_in_terms_12m_rc) as collected_in_terms_12m_rc,
        sum(customer_measures.collected_late_12m_rc) as collected_late_12m_rc,
        sum(customer_measures.promises_kept) as promises_kept,
        sum(customer_measures.promises_judged) as promises_judged
    from members
    inner join customer_measures
        on members.customer_id = customer_measures.customer_id
    group by members.scope_type, members.scope_id
)

select * from final
