-- Every AR document posted on or before the as-of date that still had a
-- balance that day (settled documents, over 90% of history, are left out:
-- nothing downstream reads a zero balance). Applications and write-offs
-- dated after the as-of date have not happened yet, so a backfill sees the
-- book as it was.
--   debit documents (invoice, debit_note): open = amount - applied - written off
--   credit notes: open = -(amount - applied from the note), the credit still unused
-- Applications come from int_payment_applications_unified: the ERP's own, or
-- the FIFO fallback when the ERP sends none.
with

documents as (
    select * from {{ ref('stg_erp__invoices') }}
    where invoice_date <= {{ as_of_date() }}
),

applications as (
    select * from {{ ref('int_payment_applications_unified') }}
),

applied_to_document as (
    select
        invoice_id,
        sum(amount_applied) as applied_amount
    from applications
    group by invoice_id
),

applied_from_credit_note as (
    select
        credit_note_id,
        sum(amount_applied) as consumed_amount
    from applications
    where credit_note_id is not null
    group by credit_note_id
),

written_off as (
    select
        invoice_id,
        sum(writeoff_amount) as written_off_amount
    from {{ ref('stg_erp__writeoffs') }}
    where writeoff_date <= {{ as_of_date() }}
    group by invoice_id
),

balanced as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        documents.invoice_id,
        documents.customer_id,
        documents.sales_rep_id,
        -- attributes
        documents.document_type,
        documents.currency,
        -- amounts
        documents.document_amount,
        coalesce(applied_to_document.applied_amount, 0) as applied_amount,
        coalesce(written_off.written_off_amount, 0) as written_off_amount,
        case
            when documents.document_type = 'credit_note'
                then -(documents.document_amount - coalesce(applied_from_credit_note.consumed_amount, 0))
            else
                documents.document_amount
                - coalesce(applied_to_document.applied_amount, 0)
                - coalesce(written_off.written_off_amount, 0)
        end as open_amount,
        -- dates
        documents.invoice_date,
        documents.due_date
    from documents
    left join applied_to_document
        on documents.invoice_id = applied_to_document.invoice_id
    left join applied_from_credit_note
        on documents.invoice_id = applied_from_credit_note.credit_note_id
    left join written_off
        on documents.invoice_id = written_off.invoice_id
)

select * from balanced
where open_amount <> 0
