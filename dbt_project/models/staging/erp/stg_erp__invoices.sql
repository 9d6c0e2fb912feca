{{ config(unique_key=['invoice_id']) }}

with

source as (
    {{ staged_versions(source('erp', 'invoices')) }}
),

latest as (
    {{ latest_version('source') }}
),

renamed as (
    select
        -- ids
        invoice_id,
        customer_id,
        order_id,
        sales_rep_id,
        -- attributes
        document_type,
        currency,
        -- amounts
        amount as document_amount,
        -- dates
        invoice_date,
        due_date,
        updated_at,
        -- lineage
        _loaded_at
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
