-- What became of every debit document (invoice or debit note) up to the
-- as-of date: when it was paid in full, when it was closed (paid or written
-- off), when it defaulted, and the document-level labels once they are
-- known. Built from the ledger cut at the as-of date, so a backfill sees only
-- what was known then.
--   paid_date:   receipts and credit notes reach the document amount
--   closed_date: the same, counting write-offs too (the item left open AR)
--   default_date: the earlier of due_date + ml_bad_debt_label_days + 1 (not
--                 fully paid by due_date + ml_bad_debt_label_days, known once
--                 the as-of date is past that) and the first bad-debt write-off
--   is_late:          not fully paid by due_date + ml_label_grace_days
--   is_90_plus_late:  not fully paid by due_date + ml_bad_debt_label_days
-- A label is null while it is not known yet: the document is unpaid and its
-- deadline is not past at the as-of date (docs/model.md, "Labels"). The
-- labels per observation (is_late before the due date, is_paid_30d,
-- is_default) are in invoice_features.
with

movements as (
    select
        movement_type,
        movement_id,
        invoice_id,
        customer_id,
        amount,
        amount_rc,
        document_amount,
        movement_date,
        invoice_date,
        due_date
    from {{ ref('int_kpi_ar_movements') }}
    where document_type != 'credit_note'
),

parameters as (
    select
        {{ analytics_parameter('ml_label_grace_days') }} as grace_days,
        {{ analytics_parameter('ml_bad_debt_label_days') }} as bad_debt_days,
        {{ analytics_parameter('bad_debt_min_share_of_document', 'decimal(18, 6)') }} as bad_debt_min_share
),

-- Running totals per document in date order: the first movement that brings
-- them to the document amount dates the payment / the closing.
running as (
    select
        movements.*,
        sum(
            case when movements.movement_type in ('receipt_applied', 'credit_applied') then movements.amount else 0 end
        ) over (
            partition by movements.invoice_id order by movements.movement_date, movements.movement_id
            rows between unbounded preceding and current row
        ) as paid_to_date,
        sum(case when movements.movement_type != 'sale' then movements.amount else 0 end) over (
            partition by movements.invoice_id order by movements.movement_date, movements.movement_id
            rows between unbounded preceding and current row
        ) as reduced_to_date
    from movements
),

documents as (
    select
        running.invoice_id,
        max(running.customer_id) as customer_id,
        max(running.document_amount) as document_amount,
        sum(case when running.movement_type = 'sale' then running.amount_rc else 0 end) as document_amount_rc,
        max(running.invoice_date) as invoice_date,
        max(running.due_date) as due_date,
        min(case
            when
                running.movement_type in ('receipt_applied', 'credit_applied')
                and running.paid_to_date >= running.document_amount - 0.005
                then running.movement_date
        end) as paid_date,
        min(case
            when
                running.movement_type != 'sale'
                and running.reduced_to_date >= running.document_amount - 0.005
                then running.movement_date
        end) as closed_date,
        sum(case
            when
                running.movement_type in ('receipt_applied', 'credit_applied')
                and running.movement_date <= running.due_date + parameters.grace_days
                then running.amount
            else 0
        end) as paid_by_grace_date,
        sum(case
            when
                running.movement_type in ('receipt_applied', 'credit_applied')
                and running.movement_date <= running.due_date + parameters.bad_debt_days
                then running.amount
            else 0
        end) as paid_by_bad_debt_date,
        sum(case
            when
                running.movement_type = 'writeoff'
                and {{ is_bad_debt_writeoff('running.amount', 'running.document_amount',
                    'parameters.bad_debt_min_share') }}
                then running.amount_rc
            else 0
        end) as bad_debt_writeoff_rc,
        min(case
            when
                running.movement_type = 'writeoff'
                and {{ is_bad_debt_writeoff('running.amount', 'running.document_amount',
                    'parameters.bad_debt_min_share') }}
                then running.movement_date
        end) as bad_debt_writeoff_date
    from running
    cross join parameters
    group by running.invoice_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        documents.invoice_id,
        documents.customer_id,
        -- amounts
        documents.document_amount,
        documents.document_amount_rc,
        documents.bad_debt_writeoff_rc,
        -- dates
        documents.invoice_date,
        documents.due_date,
        documents.paid_date,
        documents.closed_date,
        documents.bad_debt_writeoff_date,
        least(
            case
                when
                    documents.paid_by_bad_debt_date < documents.document_amount - 0.005
                    and {{ as_of_date() }} > documents.due_date + parameters.bad_debt_days
                    then documents.due_date + parameters.bad_debt_days + 1
            end,
            documents.bad_debt_writeoff_date
        ) as default_date,
        -- measures
        documents.paid_date - documents.due_date as days_late_when_paid,
        -- labels
        case
            when documents.paid_by_grace_date >= documents.document_amount - 0.005 then 0
            when {{ as_of_date() }} > documents.due_date + parameters.grace_days then 1
        end as is_late,
        case
            when documents.paid_by_bad_debt_date >= documents.document_amount - 0.005 then 0
            when {{ as_of_date() }} > documents.due_date + parameters.bad_debt_days then 1
        end as is_90_plus_late
    from documents
    cross join parameters
)

select * from final
