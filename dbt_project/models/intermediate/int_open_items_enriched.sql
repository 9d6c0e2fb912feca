-- Open debit documents on the as-of date with everything the marts report
-- them by: the amount in the reporting currency (rate on the document date),
-- the customer's attributes, the owner chain (rep, department, supervisor),
-- whether the document is disputed and the status of its latest promise.
-- No contact data (personal) is joined here.
with

open_items as (
    select * from {{ ref('int_open_items_aged') }}
),

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

sales_reps as (
    select * from {{ ref('stg_erp__sales_reps') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

-- Disputed on the as-of date: opened by then and not yet resolved. A dispute
-- closed in the CRM without a resolved_date counts as closed (we cannot date
-- it); an open one without a resolved_date counts as open.
-- A dispute may be about part of the document (disputed_amount, document
-- currency); one without an amount holds the whole document.
disputed_documents as (
    select
        invoice_id,
        sum(disputed_amount) as disputed_amount,
        max(case when disputed_amount is null then 1 else 0 end) as has_unquantified_dispute,
        min(opened_date) as dispute_opened_date
    from {{ ref('stg_crm__disputes') }}
    where
        opened_date <= {{ as_of_date() }}
        and (
            resolved_date > {{ as_of_date() }}
            or (resolved_date is null and dispute_status = 'open')
        )
    group by invoice_id
),

-- The latest promise on each document decides its status.
latest_promises as (
    select
        invoice_id,
        promise_status
    from (
        select
            invoice_id,
            promise_status,
            row_number() over (
                partition by invoice_id
                order by promise_made_date desc, promised_date desc, promise_id desc
            ) as promise_rank
        from {{ ref('int_promises_evaluated') }}
        where invoice_id is not null
    ) as ranked
    where promise_rank = 1
),

converted as (
    select
        open_items.*,
        {{ fx_rate_to_reporting('fx_rates', 'open_items.currency') }} as fx_rate_to_reporting
    from open_items
    left join fx_rates
        on {{ fx_rate_join_condition('fx_rates', 'open_items.currency', 'open_items.invoice_date') }}
),

final as (
    select
        -- ids
        converted.as_of_date,
        converted.invoice_id,
        converted.customer_id,
        customers.parent_customer_id,
        coalesce(converted.sales_rep_id, customers.sales_rep_id) as sales_rep_id,
        sales_reps.supervisor_id,
        -- attributes
        customers.customer_name,
        customers.region,
        customers.industry,
        sales_reps.rep_name as sales_rep_name,
        sales_reps.department,
        supervisors.rep_name as supervisor_name,
        converted.document_type,
        converted.currency,
        converted.aging_bucket,
        converted.aging_bucket_order,
        disputed_documents.invoice_id is not null as is_disputed,
        disputed_documents.dispute_opened_date,
        coalesce(latest_promises.promise_status, 'none') as promise_to_pay_status,
        -- amounts
        converted.document_amount,
        converted.open_amount,
        -- the part held by open disputes, at most the open amount (the rest is dunned)
        case
            when disputed_documents.invoice_id is null then 0
            when disputed_documents.has_unquantified_dispute = 1 then converted.open_amount
            else least(greatest(disputed_documents.disputed_amount, 0), converted.open_amount)
        end as disputed_amount,
        converted.fx_rate_to_reporting,
        {{ to_reporting_currency('converted.open_amount', 'converted.fx_rate_to_reporting') }} as open_amount_rc,
        -- dates
        converted.invoice_date,
        converted.due_date,
        converted.days_past_due
    from converted
    left join customers
        on converted.customer_id = customers.customer_id
    left join sales_reps
        on coalesce(converted.sales_rep_id, customers.sales_rep_id) = sales_reps.sales_rep_id
    left join sales_reps as supervisors
        on sales_reps.supervisor_id = supervisors.sales_rep_id
    left join disputed_documents
        on converted.invoice_id = disputed_documents.invoice_id
    left join latest_promises
        on converted.invoice_id = latest_promises.invoice_id
)

select * from final
