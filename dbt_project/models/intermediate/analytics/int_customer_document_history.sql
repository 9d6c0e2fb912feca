-- Each debit document posted up to the as-of date with how it was paid:
-- cleared_date is the day its open balance reached zero (the latest receipt,
-- credit or write-off, all dated <= as_of), null while it is still open.
--   days_late = cleared_date - due_date for cleared documents (negative = early)
--   days_past_due_or_late = (cleared_date, else as_of) - due_date: how far past
--   due the document got, which the RFA frequency and behaviour rules read.
with

movements as (
    select * from {{ ref('int_kpi_ar_movements') }}
),

documents as (
    select * from movements
    where movement_type = 'sale'
),

reductions as (
    select
        invoice_id,
        sum(amount) as reduced_amount,
        max(movement_date) as last_reduction_date,
        sum(
            case
                when
                    movement_type = 'writeoff'
                    and {{ is_bad_debt_writeoff(
                        'amount', 'document_amount',
                        analytics_parameter('bad_debt_min_share_of_document', 'decimal(18, 6)')
                    ) }}
                    then amount_rc
                else 0
            end
        ) as bad_debt_written_off_rc
    from movements
    where movement_type in ('receipt_applied', 'credit_applied', 'writeoff')
    group by invoice_id
),

settled as (
    select
        documents.invoice_id,
        documents.customer_id,
        documents.invoice_date,
        documents.due_date,
        documents.amount_rc,
        documents.amount - coalesce(reductions.reduced_amount, 0) as open_amount,
        {{ to_reporting_currency(
            '(documents.amount - coalesce(reductions.reduced_amount, 0))', 'documents.fx_rate_to_reporting'
        ) }} as open_amount_rc,
        cast(coalesce(reductions.bad_debt_written_off_rc, 0) as decimal(18, 2)) as bad_debt_written_off_rc,
        -- a zero-amount document is cleared the day it is posted
        case
            when documents.amount - coalesce(reductions.reduced_amount, 0) <= 0
                then coalesce(reductions.last_reduction_date, documents.invoice_date)
        end as cleared_date
    from documents
    left join reductions
        on documents.invoice_id = reductions.invoice_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        invoice_id,
        customer_id,
        -- amounts
        amount_rc,
        open_amount_rc,
        bad_debt_written_off_rc,
        -- dates
        invoice_date,
        due_date,
        cleared_date,
        cleared_date - due_date as days_late,
        coalesce(cleared_date, {{ analytics_date('as_of') }}) - due_date as days_past_due_or_late
    from settled
)

select * from final
