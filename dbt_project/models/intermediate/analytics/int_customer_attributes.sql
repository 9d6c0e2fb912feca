-- One row per customer with the attributes the analytics marts group and tag
-- by: geography, owner chain (sales rep -> supervisor, department), CRM risk
-- signals and the finance-maintained blacklist as it stood on the as-of date.
-- Customer and CRM attributes are the latest version staging holds (the
-- sources carry no attribute history); the blacklist is dated, so it is
-- applied as of the date. No personal data: people appear by id only.
with

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

sales_reps as (
    select * from {{ ref('stg_erp__sales_reps') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

blacklist as (
    select
        customer_id,
        max(reason) as blacklist_reason
    from {{ ref('customer_blacklist') }}
    where
        listed_on <= {{ as_of_date() }}
        and (removed_on is null or removed_on > {{ as_of_date() }})
    group by customer_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        customers.customer_id,
        customers.parent_customer_id,
        customers.sales_rep_id,
        sales_reps.supervisor_id,
        accounts.relationship_manager_id,
        -- attributes
        customers.customer_name,
        customers.region,
        customers.country_code,
        customers.industry,
        sales_reps.department,
        customers.credit_rating,
        customers.payment_terms_days,
        customers.is_active,
        accounts.account_tier,
        coalesce(accounts.litigation_flag, false) as litigation_flag,
        coalesce(accounts.negative_news_flag, false) as negative_news_flag,
        blacklist.customer_id is not null as blacklist_flag,
        blacklist.blacklist_reason,
        -- dates
        customers.customer_since,
        accounts.last_review_date
    from customers
    left join sales_reps
        on customers.sales_rep_id = sales_reps.sales_rep_id
    left join accounts
        on customers.customer_id = accounts.customer_id
    left join blacklist
        on customers.customer_id = blacklist.customer_id
)

select * from final
