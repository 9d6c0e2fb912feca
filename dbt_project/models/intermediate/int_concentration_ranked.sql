-- Customers ranked by open AR (reporting currency) on the as-of date, within
-- the company and within each region and industry (a customer's own
-- attributes). Open AR here is the gross receivable of open debit documents,
-- the same total as agg_ar_aging's total_open_ar_rc. Ties rank by customer_id
-- so the order is stable.
--   share_of_open_ar  = customer open AR / scope open AR
--   cumulative_share  = sum of share_of_open_ar over ranks 1..n
with

customer_open as (
    select
        customer_id,
        max(customer_name) as customer_name,
        max(region) as region,
        max(industry) as industry,
        sum(open_amount_rc) as open_amount_rc
    from {{ ref('int_open_items_enriched') }}
    group by customer_id
),

scoped as (
    select
        'company' as scope_type,
        'company' as scope_id,
        customer_open.*
    from customer_open
    union all
    select
        'region' as scope_type,
        coalesce(region, '(unassigned)') as scope_id,
        customer_open.*
    from customer_open
    union all
    select
        'industry' as scope_type,
        coalesce(industry, '(unassigned)') as scope_id,
        customer_open.*
    from customer_open
),

ranked as (
    select
        scoped.*,
        row_number() over (
            partition by scoped.scope_type, scoped.scope_id
            order by scoped.open_amount_rc desc, scoped.customer_id asc
        ) as customer_rank,
        sum(scoped.open_amount_rc) over (partition by scoped.scope_type, scoped.scope_id) as scope_open_ar_rc,
        sum(scoped.open_amount_rc) over (
            partition by scoped.scope_type, scoped.scope_id
            order by scoped.open_amount_rc desc, scoped.customer_id asc
            rows between unbounded preceding and current row
        ) as cumulative_open_amount_rc
    from scoped
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        scope_type,
        scope_id,
        customer_rank,
        customer_id,
        -- attributes
        customer_name,
        -- amounts
        cast(open_amount_rc as decimal(18, 2)) as open_amount_rc,
        cast(scope_open_ar_rc as decimal(18, 2)) as scope_open_ar_rc,
        cast(cumulative_open_amount_rc as decimal(18, 2)) as cumulative_open_amount_rc,
        cast(open_amount_rc / scope_open_ar_rc as decimal(18, 10)) as share_of_open_ar,
        cast(cumulative_open_amount_rc / scope_open_ar_rc as decimal(18, 10)) as cumulative_share
    from ranked
)

select * from final
