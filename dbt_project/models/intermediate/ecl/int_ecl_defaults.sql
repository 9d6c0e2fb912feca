-- Every debit document that reached default by the as-of date, with what was
-- open when it defaulted and what became of it (the LGD's history). The
-- default date is the pd_default label's, from int_ml_document_outcomes (one
-- definition, docs/model.md "Labels"): the earlier of due_date +
-- ml_bad_debt_label_days + 1 when not paid in full by due_date +
-- ml_bad_debt_label_days, and the first bad-debt write-off.
--   exposure_at_default = document amount - reductions dated before the default date
--   written_off_after_default = write-offs dated on or after it
--   recovered_after_default   = receipts and credit notes dated on or after it
--   open_after_default        = what is still open at the as-of date
--   is_resolved = nothing left open at the as-of date (paid or written off)
--   is_worked_out = resolved, or in default for at least ecl_workout_months:
--                   the LGD counts what is still open then as lost
-- All from the ledger cut at the as-of date; amounts at the document date's rate.
with

parameters as (
    select {{ analytics_parameter('ecl_workout_months') }} as workout_months
),

movements as (
    select
        invoice_id,
        movement_type,
        amount,
        fx_rate_to_reporting,
        movement_date
    from {{ ref('int_kpi_ar_movements') }}
    where
        document_type in ('invoice', 'debit_note')
        and movement_type in ('sale', 'receipt_applied', 'credit_applied', 'writeoff')
),

dated as (
    select
        invoice_id,
        customer_id,
        document_amount,
        due_date,
        default_date
    from {{ ref('int_ml_document_outcomes') }}
    where default_date is not null
),

outcomes as (
    select
        dated.invoice_id,
        max(dated.customer_id) as customer_id,
        max(movements.fx_rate_to_reporting) as fx_rate_to_reporting,
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
    group by dated.invoice_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        outcomes.invoice_id,
        outcomes.customer_id,
        -- amounts
        {{ to_reporting_currency('outcomes.exposure_at_default', 'outcomes.fx_rate_to_reporting') }}
            as exposure_at_default_rc,
        {{ to_reporting_currency('outcomes.written_off_after_default', 'outcomes.fx_rate_to_reporting') }}
            as written_off_after_default_rc,
        {{ to_reporting_currency('outcomes.recovered_after_default', 'outcomes.fx_rate_to_reporting') }}
            as recovered_after_default_rc,
        {{ to_reporting_currency(
            'outcomes.exposure_at_default - outcomes.written_off_after_default - outcomes.recovered_after_default',
            'outcomes.fx_rate_to_reporting') }} as open_after_default_rc,
        -- dates
        outcomes.due_date,
        outcomes.default_date,
        -- flags
        outcomes.exposure_at_default - outcomes.written_off_after_default - outcomes.recovered_after_default
        <= 0.005 as is_resolved,
        outcomes.exposure_at_default - outcomes.written_off_after_default - outcomes.recovered_after_default
        <= 0.005
        or cast({{ dbt.dateadd('month', 'parameters.workout_months', 'outcomes.default_date') }} as date)
        <= {{ as_of_date() }} as is_worked_out
    from outcomes
    cross join parameters
)

select * from final
