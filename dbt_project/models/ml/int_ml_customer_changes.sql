-- Every dated fact the model's features count, as the change it makes to a
-- running total: one row per fact and measure (a change log: no key,
-- and not grouped by day, which held every group in memory at scale M) (docs/model.md, "Features").
-- A feature at date d is the running total of the changes dated before d
-- (int_ml_training_points), so nothing dated on or after d can reach it.
-- A fact that counts only inside a window (sales of the last 365 days,
-- contacts of the recent window) adds itself at its date and takes itself
-- back out when it leaves the window. Dates that need a running min / max
-- (first invoice, last contact, last payment) enter as day numbers (days
-- since 1970-01-01). Long form on purpose: a pivot to one column per
-- measure and day needed about 0.5 KB per customer-day of memory (5 GB at
-- scale M); int_ml_training_points sums each family of measures apart.
with

parameters as (
    select
        {{ analytics_parameter('ml_label_grace_days') }} as grace_days,
        {{ analytics_parameter('ml_recent_window_days') }} as recent_days
),

-- debit documents' movements with their sign on the balance
ledger as (
    select
        customer_id,
        movement_date,
        due_date,
        cast(case when movement_type = 'sale' then amount_rc else -amount_rc end as decimal(38, 2)) as signed_rc
    from {{ ref('int_kpi_ar_movements') }}
    where document_type != 'credit_note'
),

outcomes as (
    select
        customer_id,
        invoice_date,
        due_date,
        paid_date,
        closed_date,
        bad_debt_writeoff_date,
        days_late_when_paid,
        cast(document_amount_rc as decimal(38, 2)) as amount_rc,
        cast(due_date - cast('1970-01-01' as date) as decimal(38, 2)) as due_epoch
    from {{ ref('int_ml_document_outcomes') }}
),

paid as (
    select
        outcomes.customer_id,
        outcomes.paid_date,
        outcomes.paid_date + parameters.recent_days as leaves_recent_window,
        cast(least(greatest(outcomes.days_late_when_paid, -60), 365) as decimal(38, 2)) as days_late,
        case when outcomes.days_late_when_paid > parameters.grace_days then 1 else 0 end as is_late
    from outcomes
    cross join parameters
    where outcomes.paid_date is not null
),

-- documents open past their due date: counted from the due date until closed
overdue as (
    select
        customer_id,
        due_date,
        closed_date,
        due_epoch
    from outcomes
    where closed_date is null or closed_date > due_date
),

contacts as (
    select
        activities.customer_id,
        activities.activity_date,
        activities.activity_date + parameters.recent_days as leaves_recent_window,
        case
            when activities.outcome in ('reached', 'promise_to_pay', 'paid_confirmed') then 1 else 0
        end as is_reached
    from {{ ref('stg_crm__activities') }} as activities
    cross join parameters
    where activities.activity_date <= {{ as_of_date() }}
),

disputes as (
    select
        customer_id,
        opened_date,
        resolved_date
    from {{ ref('stg_crm__disputes') }}
    where opened_date <= {{ as_of_date() }}
),

orders as (
    select
        customer_id,
        order_date
    from {{ ref('stg_erp__orders') }}
    where order_status != 'cancelled' and order_date <= {{ as_of_date() }}
),

-- the credit limit in force: added from valid_from, removed after valid_to
credit_limits as (
    select
        credit_limits.customer_id,
        credit_limits.valid_from,
        credit_limits.valid_to,
        -- the product in DECIMAL(38): a 100-million limit times an 8-decimal rate overflowed
        -- DECIMAL(18) at scale L (macro to_reporting_currency)
        cast(
            {{ to_reporting_currency(
                'credit_limits.credit_limit', fx_rate_to_reporting('fx_rates', 'credit_limits.currency')
            ) }} as decimal(38, 2)
        ) as credit_limit_rc
    from {{ ref('stg_erp__credit_limits') }} as credit_limits
    left join {{ ref('int_fx_rates_ranged') }} as fx_rates
        on {{ fx_rate_join_condition('fx_rates', 'credit_limits.currency', 'credit_limits.valid_from') }}
    where credit_limits.valid_from <= {{ as_of_date() }}
),

promises as (
    select
        customer_id,
        promise_made_date,
        promised_date,
        promise_status
    from {{ ref('int_promises_evaluated') }}
),

all_changes as (
    select
        customer_id,
        movement_date as event_date,
        'open_ar_rc' as measure,
        signed_rc as change_value
    from ledger
    union all
    -- a movement weighs on the overdue balance once both it and the due date are past
    select
        customer_id,
        greatest(movement_date, due_date) as event_date,
        'overdue_ar_rc' as measure,
        signed_rc as change_value
    from ledger
    union all
    select
        customer_id,
        invoice_date as event_date,
        'sales_365_rc' as measure,
        amount_rc as change_value
    from outcomes
    union all
    select
        customer_id,
        invoice_date + 365 as event_date,
        'sales_365_rc' as measure,
        -amount_rc as change_value
    from outcomes
    union all
    select
        customer_id,
        invoice_date as event_date,
        'invoices' as measure,
        1 as change_value
    from outcomes
    union all
    select
        customer_id,
        invoice_date as event_date,
        'invoice_amount_rc' as measure,
        amount_rc as change_value
    from outcomes
    union all
    select
        customer_id,
        invoice_date as event_date,
        'first_invoice_epoch' as measure,
        invoice_date - cast('1970-01-01' as date) as change_value
    from outcomes
    union all
    -- paid documents: lateness counts from the day they were paid in full
    select
        customer_id,
        paid_date as event_date,
        'paid_invoices' as measure,
        1 as change_value
    from paid
    union all
    select
        customer_id,
        paid_date as event_date,
        'days_late_sum' as measure,
        days_late as change_value
    from paid
    union all
    select
        customer_id,
        paid_date as event_date,
        'late_invoices' as measure,
        is_late as change_value
    from paid
    union all
    select
        customer_id,
        paid_date as event_date,
        'last_paid_epoch' as measure,
        paid_date - cast('1970-01-01' as date) as change_value
    from paid
    union all
    select
        customer_id,
        paid_date as event_date,
        'recent_paid_invoices' as measure,
        1 as change_value
    from paid
    union all
    select
        customer_id,
        leaves_recent_window as event_date,
        'recent_paid_invoices' as measure,
        -1 as change_value
    from paid
    union all
    select
        customer_id,
        paid_date as event_date,
        'recent_days_late_sum' as measure,
        days_late as change_value
    from paid
    union all
    select
        customer_id,
        leaves_recent_window as event_date,
        'recent_days_late_sum' as measure,
        -days_late as change_value
    from paid
    union all
    select
        customer_id,
        due_date as event_date,
        'overdue_open_invoices' as measure,
        1 as change_value
    from overdue
    union all
    select
        customer_id,
        due_date as event_date,
        'overdue_open_due_epoch_sum' as measure,
        due_epoch as change_value
    from overdue
    union all
    select
        customer_id,
        closed_date as event_date,
        'overdue_open_invoices' as measure,
        -1 as change_value
    from overdue
    where closed_date is not null
    union all
    select
        customer_id,
        closed_date as event_date,
        'overdue_open_due_epoch_sum' as measure,
        -due_epoch as change_value
    from overdue
    where closed_date is not null
    union all
    select
        customer_id,
        bad_debt_writeoff_date as event_date,
        'bad_debt_writeoffs' as measure,
        1 as change_value
    from outcomes
    where bad_debt_writeoff_date is not null
    union all
    select
        customer_id,
        promise_made_date as event_date,
        'promises_made' as measure,
        1 as change_value
    from promises
    union all
    -- broken: the promised date passed without the promised amount
    select
        customer_id,
        promised_date as event_date,
        'promises_broken' as measure,
        1 as change_value
    from promises
    where promise_status = 'broken'
    union all
    select
        customer_id,
        opened_date as event_date,
        'disputes_opened' as measure,
        1 as change_value
    from disputes
    union all
    select
        customer_id,
        opened_date as event_date,
        'disputes_open' as measure,
        1 as change_value
    from disputes
    union all
    select
        customer_id,
        resolved_date as event_date,
        'disputes_open' as measure,
        -1 as change_value
    from disputes
    where resolved_date is not null
    union all
    select
        customer_id,
        activity_date as event_date,
        'contacts_recent' as measure,
        1 as change_value
    from contacts
    union all
    select
        customer_id,
        leaves_recent_window as event_date,
        'contacts_recent' as measure,
        -1 as change_value
    from contacts
    union all
    select
        customer_id,
        activity_date as event_date,
        'contacts_reached_recent' as measure,
        is_reached as change_value
    from contacts
    union all
    select
        customer_id,
        leaves_recent_window as event_date,
        'contacts_reached_recent' as measure,
        -is_reached as change_value
    from contacts
    union all
    select
        customer_id,
        activity_date as event_date,
        'last_contact_epoch' as measure,
        activity_date - cast('1970-01-01' as date) as change_value
    from contacts
    union all
    select
        customer_id,
        order_date as event_date,
        'orders_90' as measure,
        1 as change_value
    from orders
    union all
    select
        customer_id,
        order_date + 90 as event_date,
        'orders_90' as measure,
        -1 as change_value
    from orders
    union all
    select
        customer_id,
        valid_from as event_date,
        'credit_limit_rc' as measure,
        credit_limit_rc as change_value
    from credit_limits
    -- a limit in a currency without a rate on its start date cannot be compared with AR: left out
    where credit_limit_rc is not null
    union all
    select
        customer_id,
        valid_to + 1 as event_date,
        'credit_limit_rc' as measure,
        -credit_limit_rc as change_value
    from credit_limits
    where valid_to is not null and credit_limit_rc is not null
),

final as (
    select
        -- ids
        customer_id,
        event_date,
        measure,
        -- measures
        cast(change_value as double precision) as change_value
    from all_changes
    -- a change dated after the as-of date can reach no feature
    where event_date <= {{ as_of_date() }}
)

select * from final
