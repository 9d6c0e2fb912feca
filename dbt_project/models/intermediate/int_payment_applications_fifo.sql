-- The FIFO fallback of int_payment_applications_unified, kept as a table so
-- its window functions and range join run once per build, not once per reader.
-- Computed only when the method is fifo (erp_payment_applications empty, or
-- forced by the var); otherwise the table is empty.
-- FIFO as interval overlap: a document occupies [debit_start, debit_end) on
-- the customer's running total of debits, a credit [credit_start, credit_end)
-- on the running total of credits; applied = the length of the overlap.
-- Credits beyond every debit stay unapplied cash (int_unapplied_credits).
-- depends_on: {{ ref('stg_erp__payment_applications') }}
{%- set method = payment_application_method() %}

with

written_off as (
    select
        invoice_id,
        sum(writeoff_amount) as written_off_amount
    from {{ ref('stg_erp__writeoffs') }}
    where writeoff_date <= {{ as_of_date() }}
    group by invoice_id
),

debits as (
    select
        documents.invoice_id,
        documents.customer_id,
        documents.currency,
        documents.invoice_date,
        documents.due_date,
        documents.document_amount - coalesce(written_off.written_off_amount, 0) as amount_to_clear
    from {{ ref('stg_erp__invoices') }} as documents
    left join written_off
        on documents.invoice_id = written_off.invoice_id
    where
        documents.document_type in ('invoice', 'debit_note')
        and documents.invoice_date <= {{ as_of_date() }}
        and documents.document_amount - coalesce(written_off.written_off_amount, 0) > 0
),

credits as (
    select
        payment_id as credit_id,
        'receipt' as credit_type,
        customer_id,
        currency,
        payment_date as credit_date,
        payment_amount as credit_amount
    from {{ ref('stg_erp__payments') }}
    where payment_date <= {{ as_of_date() }}
    union all
    select
        invoice_id as credit_id,
        'credit_note' as credit_type,
        customer_id,
        currency,
        invoice_date as credit_date,
        document_amount as credit_amount
    from {{ ref('stg_erp__invoices') }}
    where
        document_type = 'credit_note'
        and invoice_date <= {{ as_of_date() }}
        and document_amount > 0
),

debit_ranges as (
    select
        debits.*,
        sum(debits.amount_to_clear) over (
            partition by debits.customer_id, debits.currency
            order by debits.due_date, debits.invoice_date, debits.invoice_id
            rows between unbounded preceding and current row
        ) as debit_end
    from debits
),

credit_ranges as (
    select
        credits.*,
        -- same-day credit notes before receipts, then by id: a stable order
        sum(credits.credit_amount) over (
            partition by credits.customer_id, credits.currency
            order by credits.credit_date, credits.credit_type, credits.credit_id
            rows between unbounded preceding and current row
        ) as credit_end
    from credits
),

matched as (
    select
        debit_ranges.invoice_id,
        debit_ranges.invoice_date,
        credit_ranges.credit_id,
        credit_ranges.credit_type,
        credit_ranges.credit_date,
        least(debit_ranges.debit_end, credit_ranges.credit_end)
        - greatest(
            debit_ranges.debit_end - debit_ranges.amount_to_clear,
            credit_ranges.credit_end - credit_ranges.credit_amount
        ) as amount_applied
    from debit_ranges
    inner join credit_ranges
        on
            debit_ranges.customer_id = credit_ranges.customer_id
            and debit_ranges.currency = credit_ranges.currency
            and debit_ranges.debit_end - debit_ranges.amount_to_clear < credit_ranges.credit_end
            and credit_ranges.credit_end - credit_ranges.credit_amount < debit_ranges.debit_end
),

fifo_applications as (
    select
        -- ids
        'fifo:' || credit_type || ':' || credit_id || ':' || invoice_id as application_id,
        invoice_id,
        case when credit_type = 'receipt' then credit_id end as payment_id,
        case when credit_type = 'credit_note' then credit_id end as credit_note_id,
        -- attributes
        'fifo' as application_method,
        -- amounts (the source's type, whichever branch runs)
        cast(amount_applied as decimal(18, 2)) as amount_applied,
        -- dates: a credit can only clear a document once both exist
        greatest(credit_date, invoice_date) as applied_date
    from matched
),

final as (
    select * from fifo_applications
    where {{ 'true' if method == 'fifo' else 'false' }}
)

select * from final
