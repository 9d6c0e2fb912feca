-- Which receipt or credit note cleared which debit document, up to the as-of
-- date, whichever way the company records it (see payment_application_method):
--   source: the ERP's erp_payment_applications rows dated <= as_of_date.
--   fifo:   without that table, each customer's receipts and credit notes
--           (dated <= as_of_date, oldest first) fill its debit documents
--           oldest-due-first (due_date, invoice_date, invoice_id), per currency.
-- A view: in source mode it is the staged ERP applications with a filter,
-- which every reader gets cheaper than a 2M-row copy; the FIFO rows come from
-- the int_payment_applications_fifo table.
-- depends_on: {{ ref('stg_erp__payment_applications') }}
{{ config(materialized='view') }}
{%- set method = payment_application_method() %}
{%- if execute and model.resource_type == 'model' %}
    {{- log('int_payment_applications_unified: application method ' ~ method, info=True) }}
{%- endif %}

with

-- source ------------------------------------------------------------------

applications as (
    select * from {{ ref('stg_erp__payment_applications') }}
    where applied_date <= {{ as_of_date() }}
),

source_applications as ( -- noqa: ST03
    select
        -- ids
        application_id,
        invoice_id,
        payment_id,
        credit_note_id,
        -- attributes
        'source' as application_method,
        -- amounts
        amount_applied,
        -- dates
        applied_date
    from applications
),

-- fifo --------------------------------------------------------------------

fifo_applications as ( -- noqa: ST03
    select * from {{ ref('int_payment_applications_fifo') }}
),

-- Only the chosen branch is read; the database never evaluates the other.
final as (
    select * from {{ 'source_applications' if method == 'source' else 'fifo_applications' }}
)

select * from final
