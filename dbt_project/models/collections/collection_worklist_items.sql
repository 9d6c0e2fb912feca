-- The invoices behind each worklist row, per as-of date (history for
-- strategy_effectiveness: how much of a row's invoices cleared afterwards).
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook=["{{ prune_collection_history() }}"],
    )
}}

with

items as (
    select * from {{ ref('int_collection_items') }}
    where worklist_status = 'worklisted'
),

final as (
    select
        -- ids
        as_of_date,
        customer_id,
        action_code,
        invoice_id,
        -- amounts
        open_amount_rc
    from items
)

select * from final
