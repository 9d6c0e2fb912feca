-- The three RFA measures per customer on the as-of date:
--   recency:   max_days_past_due of the open items when something is overdue
--              now; otherwise days_since_last_overdue = as_of - the last day a
--              document was cleared more than rfa_grace_days late (null = never)
--   frequency: overdue_episodes = documents more than rfa_grace_days past due
--              at some point in the last rfa_frequency_window_days (still open,
--              or cleared late inside the window)
--   amount:    overdue_share_of_customer_ar = overdue AR / the customer's AR;
--              share_of_total_overdue = overdue AR / the company's overdue AR
with

documents as (
    select * from {{ ref('int_customer_document_history') }}
),

customer_measures as (
    select * from {{ ref('int_kpi_customer_measures') }}
),

parameters as (
    select
        {{ analytics_parameter('rfa_grace_days') }} as grace_days,
        {{ analytics_parameter('rfa_frequency_window_days') }} as window_days
),

history as (
    select
        documents.customer_id,
        max(case when documents.days_late > parameters.grace_days then documents.cleared_date end)
            as last_overdue_cleared_date,
        sum(
            case
                when
                    documents.days_past_due_or_late > parameters.grace_days
                    and coalesce(documents.cleared_date, {{ analytics_date('as_of') }})
                    > {{ analytics_date('as_of') }} - parameters.window_days
                    then 1
                else 0
            end
        ) as overdue_episodes
    from documents
    cross join parameters
    group by documents.customer_id
),

company as (
    select sum(ar_overdue_rc) as total_overdue_rc
    from customer_measures
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        customer_measures.customer_id,
        -- recency
        case when customer_measures.ar_overdue_rc > 0 then customer_measures.max_days_past_due end
            as max_days_past_due,
        case
            when customer_measures.ar_overdue_rc <= 0
                then {{ analytics_date('as_of') }} - history.last_overdue_cleared_date
        end as days_since_last_overdue,
        -- frequency
        coalesce(history.overdue_episodes, 0) as overdue_episodes,
        -- amount
        customer_measures.ar_total_rc,
        customer_measures.ar_overdue_rc,
        company.total_overdue_rc,
        cast(
            round(customer_measures.ar_overdue_rc / nullif(customer_measures.ar_total_rc, 0), 6) as decimal(18, 6)
        ) as overdue_share_of_customer_ar,
        cast(
            round(customer_measures.ar_overdue_rc / nullif(company.total_overdue_rc, 0), 6) as decimal(18, 6)
        ) as share_of_total_overdue
    from customer_measures
    cross join company
    left join history
        on customer_measures.customer_id = history.customer_id
)

select * from final
