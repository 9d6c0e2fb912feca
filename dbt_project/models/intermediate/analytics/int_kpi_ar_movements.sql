-- Every movement of the receivables ledger up to the as-of date: int_ar_ledger
-- cut at the date, the single source the KPIs, RFA and behaviour features read
-- sales, collections and balances from. A movement happened by the as-of date
-- when it is dated on or before it and so is its document (a movement of a
-- document not yet posted did not happen yet).
-- A view: the ledger is kept up to date incrementally, and a filter on it is
-- cheaper for each reader than a 4 M-row copy per as-of date.
{{ config(materialized='view') }}

with

ledger as (
    select * from {{ ref('int_ar_ledger') }}
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        movement_type,
        movement_id,
        invoice_id,
        customer_id,
        -- attributes
        document_type,
        currency,
        -- amounts
        amount,
        document_amount,
        fx_rate_to_reporting,
        amount_rc,
        -- dates
        movement_date,
        invoice_date,
        due_date
    from ledger
    where
        movement_date <= {{ as_of_date() }}
        and invoice_date <= {{ as_of_date() }}
)

select * from final
