-- Every debit document that reached default by the as-of date, with what was
-- open when it defaulted and what became of it (the LGD's history). Default,
-- as the pd_default label (docs/model.md): the earlier of
--   due_date + ml_bad_debt_label_days + 1, when receipts, credit notes and
--   write-offs dated by due_date + ml_bad_debt_label_days left it open, and
--   the first bad-debt write-off (macro is_bad_debt_writeoff).
--   exposure_at_default = document amount - reductions dated before the default date
--   written_off_after_default = write-offs dated on or after it
--   recovered_after_default   = receipts and credit notes dated on or after it
--   is_resolved = nothing left open at the as-of date (paid or written off)
-- All from the ledger cut at the as-of date; amounts at the document date's rate.
with

parameters as (
    select
        {{ analytics_parameter('ml_bad_debt_label_days') }} as bad_debt_days,
        {{ analytics_parameter('bad_debt_min_share_of_document', 'decimal(18, 6)') }} as bad_debt_min_share
),

movements as (
    select
        invoice_id,
        customer_id,
        movement_type,
        amount,
        document_amount,
        fx_rate_to_reporting,
        movement_date,
        due_date
    from {{ ref('int_kpi_ar_movements') }}
    where
        document_type in ('invoice', 'debit_note')
        and movement_type in ('sale', 'receipt_applied', 'credit_applied', 'writeoff')
),

documents as (
    select
        movements.invoice_id,
        max(movements.customer_id) as customer_id,
        max(movements.document_amount) as document_amount,
        max(movements.fx_rate_to_reporting) as fx_rate_to_reporting,
        max(movements.due_date) as due_date,
        sum(case
            when
                movements.movement_type != 'sale'
                and movements.movement_date <= movements.due_date + parameters.bad_debt_days
                then movements.amount
            else 0
        end) as reduced_by_default_deadline,
        min(case
            when
                movements.movement_type = 'writeoff'
                and {{ is_bad_debt_writeoff('movements.amount', 'movements.document_amount',
                    'parameters.bad_debt_min_share') }}
                then movements.movement_date
        end) as first_bad_debt_writeoff_date
    from movements
    cross join parameters
    group by movements.invoice_id
    having sum(case when movements.movement_type = 'sale' then 1 else 0 end) = 1
),

dated as (
    select
        documents.*,
        case
            when
                documents.reduced_by_default_deadline < documents.document_amount - 0.005
                and documents.due_date + parameters.bad_debt_days + 1 <= {{ as_of_date() }}
                and (
                    documents.first_bad_debt_writeoff_date is null
                    or documents.first_bad_debt_writeoff_date > documents.due_date + parameters.bad_debt_days + 1
                )
                then documents.due_date + parameters.bad_debt_days + 1
            else documents.first_bad_debt_writeoff_date
        end as default_date
    from documents
    cross join parameters
),

outcomes as (
    select
        dated.invoice_id,
        max(dated.customer_id) as customer_id,
        max(dated.fx_rate_to_reporting) as fx_rate_to_reporting,
        max(dated.due_date) as due_date,
        max(dated.default_date) as default_date,
        max(dated.document_amount)
        - sum(case
            when movements.movement_type != 'sale' and movements.movement_date < dated.default_date
                then movements.amount
            else 0
        end) as exposure_at_default,
        sum(case
            when movements.movement_type = 'writeoff' and movements.movement_date >= dated.default_date
                then movements.amount
            else 0
        end) as written_off_after_default,
        sum(case
            when
                movements.movement_type in ('receipt_applied', 'credit_applied')
                and movements.movement_date >= dated.default_date
                then movements.amount
            else 0
        end) as recovered_after_default
    from dated
    inner join movements
        on dated.invoice_id = movements.invoice_id
    where dated.default_date is not null
    group by dated.invoice_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        invoice_id,
        customer_id,
        -- amounts
        {{ to_reporting_currency('exposure_at_default', 'fx_rate_to_reporting') }} as exposure_at_default_rc,
        {{ to_reporting_currency('written_off_after_default', 'fx_rate_to_reporting') }}
            as written_off_after_default_rc,
        {{ to_reporting_currency('recovered_after_default', 'fx_rate_to_reporting') }}
            as recovered_after_default_rc,
        -- dates
        due_date,
        default_date,
        -- flags
        exposure_at_default - written_off_after_default - recovered_after_default <= 0.005 as is_resolved
    from outcomes
)

select * from final
