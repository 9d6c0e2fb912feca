-- The additive building blocks of the KPIs, per customer, in reporting
-- currency (formulas in int_kpi_formulas, definitions in docs/metrics.md).
-- Windows are half-open (start, end]: "sales in the 90 days to as_of" are
-- sales dated after as_of - 90 and on or before as_of.
with

customers as (
    select customer_id from {{ ref('int_customer_attributes') }}
),

movements as (
    select * from {{ ref('int_kpi_ar_movements') }}
),

balances as (
    select * from {{ ref('int_kpi_balances_by_date') }}
),

promises as (
    select * from {{ ref('int_promises_evaluated') }}
),

on_as_of as (
    select
        customer_id,
        sum(open_amount_rc) as ar_total_rc,
        sum(case when days_past_due <= 0 then open_amount_rc else 0 end) as ar_current_rc,
        sum(case when days_past_due > 0 then open_amount_rc else 0 end) as ar_overdue_rc,
        sum(case when days_past_due > 365 then open_amount_rc else 0 end) as ar_over_1y_rc,
        sum(case when days_past_due > 0 then 1 else 0 end) as overdue_items,
        max(days_past_due) as max_days_past_due
    from balances
    where balance_date = {{ analytics_date('as_of') }}
    group by customer_id
),

on_other_dates as (
    select
        customer_id,
        sum(case when balance_date = {{ analytics_date('prior_month_end') }} then open_amount_rc else 0 end)
            as ar_total_prior_month_end_rc,
        sum(case when balance_date = {{ analytics_date('cei_month_open') }} then open_amount_rc else 0 end)
            as ar_total_cei_month_open_rc,
        sum(case when balance_date = {{ analytics_date('cei_month_end') }} then open_amount_rc else 0 end)
            as ar_total_cei_month_end_rc,
        sum(
            case
                when balance_date = {{ analytics_date('cei_month_end') }} and days_past_due <= 0
                    then open_amount_rc
                else 0
            end
        ) as ar_current_cei_month_end_rc,
        sum(case when balance_date = {{ analytics_date('year_ago') }} then open_amount_rc else 0 end)
            as ar_total_year_ago_rc,
        -- collectible this month: open at the prior month end and due by as_of
        sum(
            case
                when
                    balance_date = {{ analytics_date('prior_month_end') }}
                    and due_date <= {{ analytics_date('as_of') }}
                    then open_amount_rc
                else 0
            end
        ) as collectible_brought_forward_rc
    from balances
    group by customer_id
),

flows as (
    select
        customer_id,
        sum(
            case
                when
                    movement_type = 'sale'
                    and movement_date > {{ analytics_date('as_of') }} - {{ analytics_parameter('dso_period_days') }}
                    then amount_rc
                else 0
            end
        ) as sales_dso_period_rc,
        sum(
            case
                when
                    movement_type = 'sale'
                    and movement_date
                    > {{ analytics_date('prior_month_end') }} - {{ analytics_parameter('dso_period_days') }}
                    and movement_date <= {{ analytics_date('prior_month_end') }}
                    then amount_rc
                else 0
            end
        ) as sales_dso_period_prior_month_end_rc,
        sum(
            case
                when
                    movement_type = 'sale'
                    and movement_date > {{ analytics_date('cei_month_open') }}
                    and movement_date <= {{ analytics_date('cei_month_end') }}
                    then amount_rc
                else 0
            end
        ) as sales_cei_month_rc,
        sum(
            case
                when movement_type = 'sale' and movement_date > {{ analytics_date('year_ago') }}
                    then amount_rc
                else 0
            end
        ) as sales_12m_rc,
        sum(
            case
                when
                    movement_type = 'writeoff'
                    and movement_date > {{ analytics_date('year_ago') }}
                    and {{ is_bad_debt_writeoff(
                        'amount', 'document_amount',
                        analytics_parameter('bad_debt_min_share_of_document', 'decimal(18, 6)')
                    ) }}
                    then amount_rc
                else 0
            end
        ) as bad_debt_writeoffs_12m_rc,
        -- collectible this month: new documents posted this month and due by as_of
        sum(
            case
                when
                    movement_type = 'sale'
                    and movement_date > {{ analytics_date('prior_month_end') }}
                    and due_date <= {{ analytics_date('as_of') }}
                    then amount_rc
                else 0
            end
        ) as collectible_new_rc,
        sum(
            case
                when
                    movement_type = 'receipt_applied'
                    and movement_date > {{ analytics_date('prior_month_end') }}
                    and due_date <= {{ analytics_date('as_of') }}
                    then amount_rc
                else 0
            end
        ) as collected_month_to_date_rc,
        -- collections in terms: debit documents falling due in the 365 days to as_of, and the
        -- receipts applied to them by their due date (in terms) or after it (late), up to as_of
        sum(
            case
                when
                    movement_type = 'sale'
                    and due_date > {{ analytics_date('year_ago') }}
                    and due_date <= {{ analytics_date('as_of') }}
                    then amount_rc
                else 0
            end
        ) as sales_due_12m_rc,
        sum(
            case
                when
                    movement_type = 'receipt_applied'
                    and due_date > {{ analytics_date('year_ago') }}
                    and due_date <= {{ analytics_date('as_of') }}
                    and movement_date <= due_date
                    then amount_rc
                else 0
            end
        ) as collected_in_terms_12m_rc,
        sum(
            case
                when
                    movement_type = 'receipt_applied'
                    and due_date > {{ analytics_date('year_ago') }}
                    and due_date <= {{ analytics_date('as_of') }}
                    and movement_date > due_date
                    then amount_rc
                else 0
            end
        ) as collected_late_12m_rc
    from movements
    group by customer_id
),

promise_outcomes as (
    select
        customer_id,
        sum(case when promise_status = 'kept' then 1 else 0 end) as promises_kept,
        sum(case when promise_status in ('kept', 'broken') then 1 else 0 end) as promises_judged
    from promises
    where
        promised_date > {{ analytics_date('as_of') }} - {{ analytics_parameter('collection_window_days') }}
        and promised_date <= {{ analytics_date('as_of') }}
    group by customer_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        customers.customer_id,
        -- balances on the as-of date
        coalesce(on_as_of.ar_total_rc, 0) as ar_total_rc,
        coalesce(on_as_of.ar_current_rc, 0) as ar_current_rc,
        coalesce(on_as_of.ar_overdue_rc, 0) as ar_overdue_rc,
        coalesce(on_as_of.ar_over_1y_rc, 0) as ar_over_1y_rc,
        coalesce(on_as_of.overdue_items, 0) as overdue_items,
        on_as_of.max_days_past_due,
        -- balances on the other reference dates
        coalesce(on_other_dates.ar_total_prior_month_end_rc, 0) as ar_total_prior_month_end_rc,
        coalesce(on_other_dates.ar_total_cei_month_open_rc, 0) as ar_total_cei_month_open_rc,
        coalesce(on_other_dates.ar_total_cei_month_end_rc, 0) as ar_total_cei_month_end_rc,
        coalesce(on_other_dates.ar_current_cei_month_end_rc, 0) as ar_current_cei_month_end_rc,
        coalesce(on_other_dates.ar_total_year_ago_rc, 0) as ar_total_year_ago_rc,
        -- flows
        coalesce(flows.sales_dso_period_rc, 0) as sales_dso_period_rc,
        coalesce(flows.sales_dso_period_prior_month_end_rc, 0) as sales_dso_period_prior_month_end_rc,
        coalesce(flows.sales_cei_month_rc, 0) as sales_cei_month_rc,
        coalesce(flows.sales_12m_rc, 0) as sales_12m_rc,
        coalesce(flows.bad_debt_writeoffs_12m_rc, 0) as bad_debt_writeoffs_12m_rc,
        coalesce(on_other_dates.collectible_brought_forward_rc, 0)
        + coalesce(flows.collectible_new_rc, 0) as collectible_month_to_date_rc,
        coalesce(flows.collected_month_to_date_rc, 0) as collected_month_to_date_rc,
        coalesce(flows.sales_due_12m_rc, 0) as sales_due_12m_rc,
        coalesce(flows.collected_in_terms_12m_rc, 0) as collected_in_terms_12m_rc,
        coalesce(flows.collected_late_12m_rc, 0) as collected_late_12m_rc,
        -- collection activity
        coalesce(promise_outcomes.promises_kept, 0) as promises_kept,
        coalesce(promise_outcomes.promises_judged, 0) as promises_judged
    from customers
    left join on_as_of
        on customers.customer_id = on_as_of.customer_id
    left join on_other_dates
        on customers.customer_id = on_other_dates.customer_id
    left join flows
        on customers.customer_id = flows.customer_id
    left join promise_outcomes
        on customers.customer_id = promise_outcomes.customer_id
)

select * from final
