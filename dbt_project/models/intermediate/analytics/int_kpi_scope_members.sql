-- Which scopes each customer belongs to. A customer belongs to exactly one
-- scope of each type, through its own attributes (region, industry) and its
-- owner (the customer's sales rep, that rep's supervisor and department): KPIs by rep are
-- the rep's customer book, so sales, receipts, balances and promises of a
-- customer always land in the same scope. Missing attributes -> 'unassigned'.
with

customers as (
    select * from {{ ref('int_customer_attributes') }}
),

members as (
    select
        'company' as scope_type,
        'company' as scope_id,
        customer_id
    from customers
    union all
    select
        'region' as scope_type,
        coalesce(region, 'unassigned') as scope_id,
        customer_id
    from customers
    union all
    select
        'industry' as scope_type,
        coalesce(industry, 'unassigned') as scope_id,
        customer_id
    from customers
    union all
    select
        'department' as scope_type,
        coalesce(department, 'unassigned') as scope_id,
        customer_id
    from customers
    union all
    -- a supervisor's team: the customers of the reps who report to them (the rep's supervisor_id)
    select
        'supervisor' as scope_type,
        coalesce(supervisor_id, 'unassigned') as scope_id,
        customer_id
    from customers
    union all
    select
        'sales_rep' as scope_type,
        coalesce(sales_rep_id, 'unassigned') as scope_id,
        customer_id
    from customers
),

final as (
    select
        -- ids
        scope_type,
        scope_id,
        customer_id
    from members
)

select * from final
