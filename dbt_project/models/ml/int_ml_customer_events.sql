-- Every dated fact the model's features count, as one signed change per
-- customer and day (long form: one row per customer, day and measure).
-- A feature at date d is the running total of the changes dated before d
-- (int_ml_feature_points), so nothing dated on or after d can reach it.
-- A fact that counts only inside a window (sales of the last 365 days,
-- contacts of the recent window) adds at its date and takes itself back
-- out when it leaves the window. Measures:
--   open_ar_rc, overdue_ar_rc          ledger movements (overdue from the
--                                      day after the due date)
--   sales_365_rc, invoices, invoice_amount_rc, first_invoice_epoch
--   paid_invoices, days_late_sum, late_invoices (+ recent_ versions)
--   overdue_open_invoices, overdue_open_due_epoch_sum
--   bad_debt_writeoffs, promises_made, promises_broken
--   disputes_opened, disputes_open, contacts_recent, contacts_reached_recent,
--   last_contact_epoch, last_paid_epoch, orders_90, credit_limit_rc
-- Dates enter as day numbers (days since 1970-01-01) where a running
-- min / max is needed.
with

parameters as (
    select
        {{ analytics_parameter('ml_label_grace_days') }} as grace_days,
        {{ analytics_parameter('ml_recent_window_days') }} as recent_days
),

ledger as (
    select
        customer_id,
        movement_type,
        amount_rc,
        movement_date,
        due_date
    from {{ ref('int_kpi_ar_movements') }}
    where document_type != 'credit_note'
),

outcomes as (
    select * from {{ ref('int_ml_document_outcomes') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

ledger_changes as (
    select
        ledger.customer_id,
        changes.event_date,
        changes.measure,
        changes.change
    from ledger
    cross join lateral (
        select
            ledger.movement_date as event_date,
            'open_ar_rc' as measure,
            cast(case when ledger.movement_type = 'sale' then ledger.amount_rc else -ledger.amount_rc end as double)
                as change
        union all
        -- a movement weighs on the overdue balance once both it and the due date are past
        select
            greatest(ledger.movement_date, ledger.due_date),
            'overdue_ar_rc',
            cast(case when ledger.movement_type = 'sale' then ledger.amount_rc else -ledger.amount_rc end as double)
    ) as changes
),

invoice_changes as (
    select
        outcomes.customer_id,
        changes.event_date,
        changes.measure,
        changes.change
    from outcomes
    cross join lateral (
        select
            outcomes.invoice_date as event_date,
            'sales_365_rc' as measure,
            cast(outcomes.document_amount_rc as double) as change
        union all
        select
            outcomes.invoice_date + 365,
            'sales_365_rc',
            -cast(outcomes.document_amount_rc as double)
        union all
        select outcomes.invoice_date, 'invoices', 1
        union all
        select outcomes.invoice_date, 'invoice_amount_rc', cast(outcomes.document_amount_rc as double)
        union all
        select outcomes.invoice_date, 'first_invoice_epoch', outcomes.invoice_date - cast('1970-01-01' as date)
    ) as changes
),

-- paid documents: lateness counts from the day they were paid in full
payment_changes as (
    select
        paid.customer_id,
        changes.event_date,
        changes.measure,
        changes.change
    from (
        select
            outcomes.customer_id,
            outcomes.paid_date,
            cast(least(greatest(outcomes.days_late_when_paid, -60), 365) as double) as days_late,
            case when outcomes.days_late_when_paid > parameters.grace_days then 1 else 0 end as is_late,
            parameters.recent_days
        from outcomes
        cross join parameters
        where outcomes.paid_date is not null
    ) as paid
    cross join lateral (
        select
            paid.paid_date as event_date,
            'paid_invoices' as measure,
            cast(1 as double) as change
        union all
        select paid.paid_date, 'days_late_sum', paid.days_late
        union all
        select paid.paid_date, 'late_invoices', paid.is_late
        union all
        select paid.paid_date, 'recent_paid_invoices', 1
        union all
        select paid.paid_date + paid.recent_days, 'recent_paid_invoices', -1
        union all
        select paid.paid_date, 'recent_days_late_sum', paid.days_late
        union all
        select paid.paid_date + paid.recent_days, 'recent_days_late_sum', -paid.days_late
        union all
        select paid.paid_date, 'last_paid_epoch', paid.paid_date - cast('1970-01-01' as date)
    ) as changes
),

-- documents open past their due date: counted from the due date until closed
overdue_changes as (
    select
        overdue.customer_id,
        changes.event_date,
        changes.measure,
        changes.change
    from (
        select
            customer_id,
            due_date,
            closed_date,
            cast(due_date - cast('1970-01-01' as date) as double) as due_epoch
        from outcomes
        where closed_date is null or closed_date > due_date
    ) as overdue
    cross join lateral (
        select
            overdue.due_date as event_date,
            'overdue_open_invoices' as measure,
            cast(1 as double) as change
        union all
        select overdue.due_date, 'overdue_open_due_epoch_sum', overdue.due_epoch
        union all
        select overdue.closed_date, 'overdue_open_invoices', -1
        union all
        select overdue.closed_date, 'overdue_open_due_epoch_sum', -overdue.due_epoch
    ) as changes
    where changes.event_date is not null
),

writeoff_changes as (
    select
        customer_id,
        bad_debt_writeoff_date as event_date,
        'bad_debt_writeoffs' as measure,
        cast(1 as double) as change
    from outcomes
    where bad_debt_writeoff_date is not null
),

promise_changes as (
    select
        customer_id,
        promise_made_date as event_date,
        'promises_made' as measure,
        cast(1 as double) as change
    from {{ ref('int_promises_evaluated') }}
    union all
    -- broken: the promised date passed without the promised amount
    select
        customer_id,
        promised_date as event_date,
        'promises_broken' as measure,
        cast(1 as double) as change
    from {{ ref('int_promises_evaluated') }}
    where promise_status = 'broken'
),

dispute_changes as (
    select
        disputes.customer_id,
        changes.event_date,
        changes.measure,
        changes.change
    from {{ ref('stg_crm__disputes') }} as disputes
    cross join lateral (
        select
            disputes.opened_date as event_date,
            'disputes_opened' as measure,
            cast(1 as double) as change
        union all
        select disputes.opened_date, 'disputes_open', 1
        union all
        select disputes.resolved_date, 'disputes_open', -1
    ) as changes
    where
        disputes.opened_date <= {{ as_of_date() }}
        and changes.event_date <= {{ as_of_date() }}
),

contact_changes as (
    select
        contacts.customer_id,
        changes.event_date,
        changes.measure,
        changes.change
    from (
        select
            activities.customer_id,
            activities.activity_date,
            case
                when activities.outcome in ('reached', 'promise_to_pay', 'paid_confirmed') then 1 else 0
            end as is_reached,
            parameters.recent_days
        from {{ ref('stg_crm__activities') }} as activities
        cross join parameters
        where activities.activity_date <= {{ as_of_date() }}
    ) as contacts
    cross join lateral (
        select
            contacts.activity_date as event_date,
            'contacts_recent' as measure,
            cast(1 as double) as change
        union all
        select contacts.activity_date + contacts.recent_days, 'contacts_recent', -1
        union all
        select contacts.activity_date, 'contacts_reached_recent', contacts.is_reached
        union all
        select contacts.activity_date + contacts.recent_days, 'contacts_reached_recent', -contacts.is_reached
        union all
        select
            contacts.activity_date,
            'last_contact_epoch',
            contacts.activity_date - cast('1970-01-01' as date)
    ) as changes
),

order_changes as (
    select
        orders.customer_id,
        changes.event_date,
        'orders_90' as measure,
        changes.change
    from {{ ref('stg_erp__orders') }} as orders
    cross join lateral (
        select
            orders.order_date as event_date,
            cast(1 as double) as change
        union all
        select orders.order_date + 90, -1
    ) as changes
    where orders.order_status != 'cancelled' and orders.order_date <= {{ as_of_date() }}
),

-- the credit limit in force: added from valid_from, removed after valid_to
credit_limit_changes as (
    select
        limits.customer_id,
        changes.event_date,
        'credit_limit_rc' as measure,
        changes.change
    from (
        select
            credit_limits.customer_id,
            credit_limits.valid_from,
            credit_limits.valid_to,
            cast(
                credit_limits.credit_limit * {{ fx_rate_to_reporting('fx_rates', 'credit_limits.currency') }} as double
            ) as credit_limit_rc
        from {{ ref('stg_erp__credit_limits') }} as credit_limits
        left join fx_rates
            on {{ fx_rate_join_condition('fx_rates', 'credit_limits.currency', 'credit_limits.valid_from') }}
        where credit_limits.valid_from <= {{ as_of_date() }}
    ) as limits
    cross join lateral (
        select
            limits.valid_from as event_date,
            limits.credit_limit_rc as change
        union all
        select limits.valid_to + 1, -limits.credit_limit_rc
    ) as changes
    where changes.event_date is not null
),

all_changes as (
    select * from ledger_changes
    union all
    select * from invoice_changes
    union all
    select * from payment_changes
    union all
    select * from overdue_changes
    union all
    select * from writeoff_changes
    union all
    select * from promise_changes
    union all
    select * from dispute_changes
    union all
    select * from contact_changes
    union all
    select * from order_changes
    union all
    select * from credit_limit_changes
),

{%- set summed_measures = [
    'open_ar_rc', 'overdue_ar_rc', 'sales_365_rc', 'invoices', 'invoice_amount_rc',
    'paid_invoices', 'days_late_sum', 'late_invoices', 'recent_paid_invoices', 'recent_days_late_sum',
    'overdue_open_invoices', 'overdue_open_due_epoch_sum', 'bad_debt_writeoffs', 'promises_made',
    'promises_broken', 'disputes_opened', 'disputes_open', 'contacts_recent', 'contacts_reached_recent',
    'orders_90', 'credit_limit_rc',
] %}

-- one row per customer and day; a change dated after the as-of date can
-- reach no feature (features count changes dated before the observation)
final as (
    select
        -- ids
        customer_id,
        event_date,
        -- changes of the day
        {%- for measure in summed_measures %}
        coalesce(sum(case when measure = '{{ measure }}' then change end), 0) as {{ measure }},
        {%- endfor %}
        min(case when measure = 'first_invoice_epoch' then change end) as first_invoice_epoch,
        max(case when measure = 'last_contact_epoch' then change end) as last_contact_epoch,
        max(case when measure = 'last_paid_epoch' then change end) as last_paid_epoch
    from all_changes
    where event_date <= {{ as_of_date() }}
    group by customer_id, event_date
)

select * from final
