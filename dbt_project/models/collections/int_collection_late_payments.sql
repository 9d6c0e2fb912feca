-- A customer's late payments, for the red alert (alert_type late_payments;
-- docs/collections.md, "Late payments"). A payment is one receipt applied to
-- one invoice or debit note (int_payment_applications_unified: the ERP's
-- erp_payment_applications, else FIFO), dated by the receipt's value date
-- (payment_date; the application date when the receipt is not on record).
-- Credit notes are not payments. Over the payments dated in the last
-- late_payment_window_days up to the as-of date (as_of - window < date <= as_of):
--   days_late      = payment date - due date
--   payment late   = days_late > late_payment_grace_days
--   late_share     = late payments / payments
--   is_red_alert   = payments >= late_payment_min_payments
--                    and late_share > late_payment_max_share
-- One row per customer with at least one payment in the window.
with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

applications as (
    select * from {{ ref('int_payment_applications_unified') }}
    where payment_id is not null
),

receipts as (
    select * from {{ ref('stg_erp__payments') }}
),

documents as (
    select * from {{ ref('stg_erp__invoices') }}
    where document_type in ('invoice', 'debit_note')
),

payments as (
    select
        -- ids
        documents.customer_id,
        applications.invoice_id,
        applications.payment_id,
        -- dates
        documents.due_date,
        coalesce(receipts.payment_date, applications.applied_date) as payment_date
    from applications
    inner join documents
        on applications.invoice_id = documents.invoice_id
    left join receipts
        on applications.payment_id = receipts.payment_id
),

in_window as (
    select
        payments.*,
        payments.payment_date - payments.due_date as days_late,
        coalesce(payments.payment_date - payments.due_date > params.late_payment_grace_days, false) as is_late
    from payments
    cross join params
    where
        payments.payment_date <= {{ as_of_date() }}
        and payments.payment_date > {{ add_days(as_of_date(), '-1 * params.late_payment_window_days') }}
),

counted as (
    select
        customer_id,
        count(*) as payments,
        sum(case when is_late then 1 else 0 end) as late_payments,
        max(days_late) as max_days_late
    from in_window
    group by customer_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        counted.customer_id,
        -- counts
        cast(counted.payments as integer) as payments,
        cast(counted.late_payments as integer) as late_payments,
        cast(counted.max_days_late as integer) as max_days_late,
        -- ratios
        cast(round(1.0 * counted.late_payments / counted.payments, 4) as decimal(18, 4)) as late_share,
        -- flags
        coalesce(
            counted.payments >= params.late_payment_min_payments
            and 1.0 * counted.late_payments / counted.payments > params.late_payment_max_share,
            false
        ) as is_red_alert
    from counted
    cross join params
)

select * from final
