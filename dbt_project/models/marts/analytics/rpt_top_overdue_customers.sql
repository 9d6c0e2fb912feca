-- The collectors' top-10 lists per as-of date, one row per list position:
--   ranking = overdue_amount          largest overdue AR
--   ranking = overdue_rate            highest overdue AR / AR, among customers with
--                                     AR >= report_rate_ranking_min_ar_rc
--   ranking = lowest_collection_rate  lowest month-to-date collection rate, among
--                                     customers with collectible >= report_rate_ranking_min_ar_rc
-- Ties go to the larger overdue amount, then the customer id, so the lists are stable.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}

with

measures as (
    select * from {{ ref('int_kpi_customer_measures') }}
),

attributes as (
    select * from {{ ref('int_customer_attributes') }}
),

minimum as (
    select {{ analytics_parameter('report_rate_ranking_min_ar_rc', 'decimal(18, 2)') }} as min_amount_rc
),

customers as (
    select
        measures.*,
        measures.ar_overdue_rc / nullif(measures.ar_total_rc, 0) as overdue_rate,
        measures.collected_month_to_date_rc / nullif(measures.collectible_month_to_date_rc, 0) as collection_rate
    from measures
),

candidates as (
    select
        'overdue_amount' as ranking,
        customer_id,
        ar_overdue_rc as ranking_value,
        row_number() over (order by ar_overdue_rc desc, customer_id asc) as ranking_position
    from customers
    where ar_overdue_rc > 0
    union all
    select
        'overdue_rate' as ranking,
        customers.customer_id,
        customers.overdue_rate as ranking_value,
        row_number() over (
            order by customers.overdue_rate desc, customers.ar_overdue_rc desc, customers.customer_id asc
        ) as ranking_position
    from customers
    cross join minimum
    where
        customers.ar_overdue_rc > 0
        and customers.ar_total_rc >= minimum.min_amount_rc
    union all
    select
        'lowest_collection_rate' as ranking,
        customers.customer_id,
        customers.collection_rate as ranking_value,
        row_number() over (
            order by customers.collection_rate asc, customers.ar_overdue_rc desc, customers.customer_id asc
        ) as ranking_position
    from customers
    cross join minimum
    where customers.collectible_month_to_date_rc >= minimum.min_amount_rc
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        candidates.ranking,
        candidates.ranking_position,
        candidates.customer_id,
        -- attributes
        attributes.customer_name,
        attributes.region,
        attributes.industry,
        attributes.department,
        attributes.sales_rep_id,
        -- measures
        cast(round(candidates.ranking_value, 6) as decimal(18, 6)) as ranking_value,
        customers.ar_total_rc,
        customers.ar_overdue_rc,
        cast(round(customers.overdue_rate, 6) as decimal(18, 6)) as overdue_rate,
        customers.max_days_past_due,
        customers.collectible_month_to_date_rc,
        customers.collected_month_to_date_rc,
        cast(round(customers.collection_rate, 6) as decimal(18, 6)) as collection_rate
    from candidates
    inner join customers
        on candidates.customer_id = customers.customer_id
    left join attributes
        on candidates.customer_id = attributes.customer_id
    where candidates.ranking_position <= 10
)

select * from final
