-- The KPIs rest on the same book as the published items: for the as-of date
-- being built, the company's total and overdue AR in agg_ar_kpis equal the
-- open items of fct_ar_open_items, and every scope type partitions the book
-- (its scopes add up to the company). Returns the scope types that disagree.
with

items as (
    select
        sum(open_amount_rc) as ar_total_rc,
        sum(case when days_past_due > 0 then open_amount_rc else 0 end) as ar_overdue_rc
    from {{ ref('fct_ar_open_items') }}
    where as_of_date = {{ as_of_date() }}
),

by_scope_type as (
    select
        scope_type,
        sum(ar_total_rc) as ar_total_rc,
        sum(ar_overdue_rc) as ar_overdue_rc,
        sum(customers) as customers
    from {{ ref('agg_ar_kpis') }}
    where as_of_date = {{ as_of_date() }}
    group by scope_type
),

company as (
    select * from by_scope_type
    where scope_type = 'company'
)

select
    by_scope_type.scope_type,
    by_scope_type.ar_total_rc,
    by_scope_type.ar_overdue_rc,
    items.ar_total_rc as items_ar_total_rc,
    items.ar_overdue_rc as items_ar_overdue_rc
from by_scope_type
cross join items
cross join company
where
    abs(by_scope_type.ar_total_rc - coalesce(items.ar_total_rc, 0)) > 0.005
    or abs(by_scope_type.ar_overdue_rc - coalesce(items.ar_overdue_rc, 0)) > 0.005
    or by_scope_type.customers != company.customers
