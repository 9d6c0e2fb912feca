-- Countback DSO per scope: the open AR on the as-of date is matched against
-- credit sales month by month, newest first (period 0 = the as-of month to
-- date), and the days of the months it uses up are counted; the month where
-- it runs out counts pro rata:
--   countback_dso = sum over periods k of period_days_k * used_k
--   used_k = 0                                   when AR - sales before k <= 0
--            1                                   when sales_k = 0 (nothing to match)
--            min(1, (AR - sales before k) / sales_k) otherwise
-- It stops after countback_max_months (AR older than every sale in the window
-- counts all of the window's days).
with

periods as (
    {{ analytics_countback_periods(60) }}
),

window_periods as (
    select * from periods
    where period_index < {{ analytics_parameter('countback_max_months') }}
),

scope_ar as (
    select
        scope_type,
        scope_id,
        ar_total_rc
    from {{ ref('int_kpi_scope_measures') }}
),

members as (
    select * from {{ ref('int_kpi_scope_members') }}
),

sales as (
    select
        customer_id,
        movement_date,
        amount_rc
    from {{ ref('int_kpi_ar_movements') }}
    where movement_type = 'sale'
),

sales_by_period as (
    select
        members.scope_type,
        members.scope_id,
        window_periods.period_index,
        sum(sales.amount_rc) as sales_rc
    from sales
    inner join window_periods
        on
            sales.movement_date >= window_periods.period_start
            and sales.movement_date <= window_periods.period_end
    inner join members
        on sales.customer_id = members.customer_id
    group by members.scope_type, members.scope_id, window_periods.period_index
),

grid as (
    select
        scope_ar.scope_type,
        scope_ar.scope_id,
        scope_ar.ar_total_rc,
        window_periods.period_index,
        window_periods.period_days,
        coalesce(sales_by_period.sales_rc, 0) as sales_rc
    from scope_ar
    cross join window_periods
    left join sales_by_period
        on
            scope_ar.scope_type = sales_by_period.scope_type
            and scope_ar.scope_id = sales_by_period.scope_id
            and window_periods.period_index = sales_by_period.period_index
),

walked as (
    select
        grid.*,
        coalesce(
            sum(grid.sales_rc) over (
                partition by grid.scope_type, grid.scope_id
                order by grid.period_index
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as sales_before_rc
    from grid
),

used as (
    select
        walked.*,
        case
            when walked.ar_total_rc - walked.sales_before_rc <= 0 then 0
            when walked.sales_rc <= 0 then 1
            else least(1, (walked.ar_total_rc - walked.sales_before_rc) / walked.sales_rc)
        end as period_used
    from walked
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        scope_type,
        scope_id,
        -- measures
        cast(round(sum(period_days * period_used), 2) as decimal(18, 2)) as countback_dso,
        count(*) as countback_months
    from used
    group by scope_type, scope_id
)

select * from final
