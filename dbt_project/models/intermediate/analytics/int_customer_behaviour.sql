-- Behaviour features per customer as of the date, computed only from what
-- had happened by then; the archetype rules (int_customer_archetypes) read
-- them. W = behaviour_window_days, R = behaviour_recent_days.
--   avg_days_late_window   mean days_late of documents cleared in (as_of - W, as_of]
--   avg_days_late_recent   the same for (as_of - R, as_of]
--   avg_days_late_earlier  the same for documents cleared on or before as_of - W
--   lateness_rise_days     avg_days_late_recent - avg_days_late_earlier
--   max_days_past_due      oldest open item, days past due (null = nothing open)
--   sales_growth           sales in (as_of - R, as_of] / sales in (as_of - 2R, as_of - R]
--   credit_limit_ratio     limit valid on as_of / first limit on record
--   bad_debt_writeoffs_window_rc  bad-debt write-offs dated in (as_of - W, as_of]
with

attributes as (
    select * from {{ ref('int_customer_attributes') }}
),

documents as (
    select * from {{ ref('int_customer_document_history') }}
),

movements as (
    select * from {{ ref('int_kpi_ar_movements') }}
),

credit_limits as (
    select * from {{ ref('stg_erp__credit_limits') }}
    where valid_from <= {{ as_of_date() }}
),

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

parameters as (
    select
        {{ analytics_parameter('behaviour_window_days') }} as window_days,
        {{ analytics_parameter('behaviour_recent_days') }} as recent_days,
        {{ analytics_parameter('bad_debt_min_share_of_document', 'decimal(18, 6)') }} as bad_debt_min_share
),

lateness as (
    select
        documents.customer_id,
        avg(
            case
                when documents.cleared_date > {{ analytics_date('as_of') }} - parameters.window_days
                    then documents.days_late
            end
        ) as avg_days_late_window,
        avg(
            case
                when documents.cleared_date > {{ analytics_date('as_of') }} - parameters.recent_days
                    then documents.days_late
            end
        ) as avg_days_late_recent,
        avg(
            case
                when documents.cleared_date <= {{ analytics_date('as_of') }} - parameters.window_days
                    then documents.days_late
            end
        ) as avg_days_late_earlier,
        max(case when documents.cleared_date is null then documents.days_past_due_or_late end) as max_days_past_due,
        sum(case when documents.cleared_date is null then 1 else 0 end) as open_items
    from documents
    cross join parameters
    group by documents.customer_id
),

flows as (
    select
        movements.customer_id,
        sum(
            case
                when
                    movements.movement_type = 'sale'
                    and movements.movement_date > {{ analytics_date('as_of') }} - parameters.window_days
                    then movements.amount_rc
                else 0
            end
        ) as sales_window_rc,
        sum(
            case
                when
                    movements.movement_type = 'sale'
                    and movements.movement_date > {{ analytics_date('as_of') }} - parameters.recent_days
                    then movements.amount_rc
                else 0
            end
        ) as sales_recent_rc,
        sum(
            case
                when
                    movements.movement_type = 'sale'
                    and movements.movement_date > {{ analytics_date('as_of') }} - 2 * parameters.recent_days
                    and movements.movement_date <= {{ analytics_date('as_of') }} - parameters.recent_days
                    then movements.amount_rc
                else 0
            end
        ) as sales_before_recent_rc,
        sum(
            case
                when
                    movements.movement_type = 'writeoff'
                    and movements.movement_date > {{ analytics_date('as_of') }} - parameters.window_days
                    and {{ is_bad_debt_writeoff(
                        'movements.amount', 'movements.document_amount', 'parameters.bad_debt_min_share'
                    ) }}
                    then movements.amount_rc
                else 0
            end
        ) as bad_debt_writeoffs_window_rc
    from movements
    cross join parameters
    group by movements.customer_id
),

limits_ranked as (
    select
        customer_id,
        credit_limit,
        valid_from,
        valid_to,
        row_number() over (partition by customer_id order by valid_from) as first_rank,
        row_number() over (partition by customer_id order by valid_from desc) as last_rank
    from credit_limits
),

limits as (
    select
        customer_id,
        max(case when first_rank = 1 then credit_limit end) as first_credit_limit,
        max(
            case
                when last_rank = 1 and (valid_to is null or valid_to >= {{ as_of_date() }})
                    then credit_limit
            end
        ) as credit_limit
    from limits_ranked
    group by customer_id
),

collection as (
    select
        activities.customer_id,
        count(*) as collection_contacts_window,
        sum(case when activities.outcome = 'refused' then 1 else 0 end) as refusals_window
    from activities
    cross join parameters
    where
        activities.activity_date <= {{ analytics_date('as_of') }}
        and activities.activity_date > {{ analytics_date('as_of') }} - parameters.window_days
    group by activities.customer_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        attributes.customer_id,
        -- attributes
        attributes.account_tier,
        {{ analytics_date('as_of') }} - attributes.customer_since as tenure_days,
        -- payment behaviour
        cast(round(lateness.avg_days_late_window, 2) as decimal(18, 2)) as avg_days_late_window,
        cast(round(lateness.avg_days_late_recent, 2) as decimal(18, 2)) as avg_days_late_recent,
        cast(round(lateness.avg_days_late_earlier, 2) as decimal(18, 2)) as avg_days_late_earlier,
        cast(round(lateness.avg_days_late_recent - lateness.avg_days_late_earlier, 2) as decimal(18, 2))
            as lateness_rise_days,
        lateness.max_days_past_due,
        coalesce(lateness.open_items, 0) as open_items,
        -- volume
        cast(coalesce(flows.sales_window_rc, 0) as decimal(18, 2)) as sales_window_rc,
        cast(coalesce(flows.sales_recent_rc, 0) as decimal(18, 2)) as sales_recent_rc,
        cast(coalesce(flows.sales_before_recent_rc, 0) as decimal(18, 2)) as sales_before_recent_rc,
        cast(round(flows.sales_recent_rc / nullif(flows.sales_before_recent_rc, 0), 4) as decimal(18, 4))
            as sales_growth,
        -- credit
        limits.first_credit_limit,
        limits.credit_limit,
        cast(round(limits.credit_limit / nullif(limits.first_credit_limit, 0), 4) as decimal(18, 4))
            as credit_limit_ratio,
        cast(coalesce(flows.bad_debt_writeoffs_window_rc, 0) as decimal(18, 2)) as bad_debt_writeoffs_window_rc,
        -- collection
        coalesce(collection.collection_contacts_window, 0) as collection_contacts_window,
        coalesce(collection.refusals_window, 0) as refusals_window
    from attributes
    left join lateness
        on attributes.customer_id = lateness.customer_id
    left join flows
        on attributes.customer_id = flows.customer_id
    left join limits
        on attributes.customer_id = limits.customer_id
    left join collection
        on attributes.customer_id = collection.customer_id
)

select * from final
