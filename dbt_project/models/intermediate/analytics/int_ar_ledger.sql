-- The receivables ledger, independent of any as-of date: every movement of
-- every staged document, one row each, in document and reporting currency.
-- int_kpi_ar_movements is this ledger cut at the as-of date (a view), so the
-- daily build no longer rewrites 4 M rows to add a day's few thousand.
--   sale:            an invoice or debit note posted (raises AR)
--   credit_note:     a credit note posted (its use shows as credit_applied)
--   receipt_applied: a receipt applied to a debit document (lowers its AR)
--   credit_applied:  a credit note applied to a debit document (lowers its AR)
--   writeoff:        a write-off of a debit document (lowers its AR)
-- Every movement of a document converts at the rate of the document date,
-- as fct_ar_open_items does, so balances here and there agree to the cent.
-- A missing rate leaves fx_rate_to_reporting null and fails its not_null test.
--
-- Incremental by document (docs/decisions.md, "The daily dbt build"): a
-- build re-derives every movement of each document touched since the last
-- build (the document, one of its applications or write-offs, or a rate of
-- its currency dated on or before it was staged again) and delete+insert
-- replaces that document's rows. The pre-hook removes movements whose source
-- row is gone or moved to another document. In FIFO mode the applications
-- depend on the as-of date, so the ledger is rebuilt whole.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='invoice_id',
    pre_hook="{{ delete_replaced_ledger_movements() }}",
) }}
{%- set method = payment_application_method() %}
{%- set refresh_changed_only = is_incremental() and method == 'source' %}
{%- set applications_relation = ref('stg_erp__payment_applications') if method == 'source'
    else ref('int_payment_applications_fifo') %}
-- depends_on: {{ ref('int_payment_applications_fifo') }}

with

-- DuckDB materializes a CTE that is read more than once, so the large ones
-- here are read once each, or carry only the columns the ledger needs.
documents as (
    select
        invoice_id,
        customer_id,
        document_type,
        currency,
        document_amount,
        invoice_date,
        due_date
    from {{ ref('stg_erp__invoices') }}
),

-- The ERP's applications, or the FIFO fallback (see payment_application_method).
applications as (
    select
        application_id,
        invoice_id,
        payment_id,
        amount_applied,
        applied_date
    from {{ applications_relation }}
),

writeoffs as (
    select * from {{ ref('stg_erp__writeoffs') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

-- Everything staged up to this instant is in the ledger after this build
-- (loads and builds never overlap: both hold the warehouse pool).
loaded_through as (
    select max(_loaded_at) as _source_loaded_through
    from (
        select max(_loaded_at) as _loaded_at from {{ ref('stg_erp__invoices') }}
        union all
        select max(_loaded_at) from {{ ref('stg_erp__payment_applications') }}
        union all
        select max(_loaded_at) from {{ ref('stg_erp__writeoffs') }}
        union all
        select max(_loaded_at) from {{ ref('stg_erp__fx_rates') }}
    ) as latest_loads
),

-- On an incremental build in source mode, only the documents touched since
-- the last build (macros/ledger.sql); otherwise all of them.
documents_in_scope as (
    select documents.*
    from documents
    {%- if refresh_changed_only %}
    where documents.invoice_id in ({{ ledger_documents_to_refresh() }})
    {%- endif %}
),

-- Documents in the reporting currency (most of them) convert at 1 without the
-- range join; only the others look up their rate (same rule as fx_rate macros).
documents_converted as (
    select
        documents_in_scope.*,
        cast(1 as decimal(18, 8)) as fx_rate_to_reporting
    from documents_in_scope
    where documents_in_scope.currency = '{{ var("reporting_currency") }}'
    union all
    select
        documents_in_scope.*,
        cast(fx_rates.rate_to_reporting as decimal(18, 8)) as fx_rate_to_reporting
    from documents_in_scope
    left join fx_rates
        on {{ fx_rate_join_condition('fx_rates', 'documents_in_scope.currency', 'documents_in_scope.invoice_date') }}
    where documents_in_scope.currency != '{{ var("reporting_currency") }}'
),

posted as (
    select
        case when document_type = 'credit_note' then 'credit_note' else 'sale' end as movement_type,
        invoice_id as movement_id,
        invoice_id,
        invoice_date as movement_date,
        document_amount as amount
    from documents_converted
),

applied as (
    select
        case when payment_id is not null then 'receipt_applied' else 'credit_applied' end as movement_type,
        application_id as movement_id,
        invoice_id,
        applied_date as movement_date,
        amount_applied as amount
    from applications
),

written_off as (
    select
        'writeoff' as movement_type,
        writeoff_id as movement_id,
        invoice_id,
        writeoff_date as movement_date,
        writeoff_amount as amount
    from writeoffs
),

movements as (
    select * from posted
    union all
    select * from applied
    union all
    select * from written_off
),

final as (
    select
        -- ids
        movements.movement_type,
        movements.movement_id,
        movements.invoice_id,
        documents_converted.customer_id,
        -- attributes
        documents_converted.document_type,
        documents_converted.currency,
        -- amounts
        movements.amount,
        documents_converted.document_amount,
        documents_converted.fx_rate_to_reporting,
        {{ to_reporting_currency('movements.amount', 'documents_converted.fx_rate_to_reporting') }} as amount_rc,
        -- dates
        movements.movement_date,
        documents_converted.invoice_date,
        documents_converted.due_date,
        -- lineage
        loaded_through._source_loaded_through
    from movements
    -- inner: a movement of a document that is not staged (deleted, or not
    -- loaded yet) has nothing to reduce
    inner join documents_converted
        on movements.invoice_id = documents_converted.invoice_id
    cross join loaded_through
)

select * from final
