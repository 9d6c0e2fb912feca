-- Promises to pay made on or before the as-of date, each judged from what was
-- paid, never from a status in the CRM:
--   paid toward the promise = applications to the promised document (or, for
--   a promise on account, the customer's receipts) dated from the day the
--   promise was made through min(promised_date, as_of_date);
--   kept   = paid >= promised_amount (even before the promised date);
--   broken = not kept and promised_date < as_of_date (the day has passed);
--   active = not kept and promised_date >= as_of_date (the day has not passed).
with

promises as (
    select
        promise_id,
        customer_id,
        invoice_id,
        activity_id,
        promised_amount,
        promised_date,
        cast(created_at as date) as promise_made_date
    from {{ ref('stg_crm__promises') }}
    where cast(created_at as date) <= {{ as_of_date() }}
),

applications as (
    select * from {{ ref('int_payment_applications_unified') }}
),

receipts as (
    select * from {{ ref('stg_erp__payments') }}
    where payment_date <= {{ as_of_date() }}
),

paid_on_document as (
    select
        promises.promise_id,
        sum(applications.amount_applied) as paid_amount
    from promises
    inner join applications
        on
            promises.invoice_id = applications.invoice_id
            and promises.promise_made_date <= applications.applied_date
            and promises.promised_date >= applications.applied_date
    where promises.invoice_id is not null
    group by promises.promise_id
),

paid_on_account as (
    select
        promises.promise_id,
        sum(receipts.payment_amount) as paid_amount
    from promises
    inner join receipts
        on
            promises.customer_id = receipts.customer_id
            and promises.promise_made_date <= receipts.payment_date
            and promises.promised_date >= receipts.payment_date
    where promises.invoice_id is null
    group by promises.promise_id
),

judged as (
    select
        promises.*,
        coalesce(paid_on_document.paid_amount, paid_on_account.paid_amount, 0) as paid_amount
    from promises
    left join paid_on_document
        on promises.promise_id = paid_on_document.promise_id
    left join paid_on_account
        on promises.promise_id = paid_on_account.promise_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        promise_id,
        customer_id,
        invoice_id,
        activity_id,
        -- attributes
        case
            when paid_amount >= promised_amount then 'kept'
            when promised_date < {{ as_of_date() }} then 'broken'
            else 'active'
        end as promise_status,
        -- amounts
        promised_amount,
        cast(paid_amount as decimal(18, 2)) as paid_amount,
        -- dates
        promise_made_date,
        promised_date
    from judged
)

select * from final
