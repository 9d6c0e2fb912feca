-- The invoices behind each worklist row, per as-of date (history for
-- strategy_effectiveness: how much of a row's invoices cleared afterwards).
-- A row is a customer's account-level strategy: every worklisted invoice of the
-- customer, disputed ones included, under the row's action_code.
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

accounts as (
    select * from {{ ref('int_collection_account_strategies') }}
),

final as (
    select
        -- ids
        items.as_of_date,
        items.customer_id,
        accounts.action_code,
        items.invoice_id,
        -- amounts
        items.open_amount_rc
    from items
    inner join accounts
        on items.customer_id = accounts.customer_id
)

select * from final
