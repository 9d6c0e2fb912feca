-- One row per open debit document per as-of date: the item-level aging the
-- BI contract publishes. Incremental by as_of_date: a new date adds its rows,
-- re-running a date replaces exactly that date. History is bounded: the
-- post-hook keeps every date within item_history_daily_days of the run's
-- as-of date and only month-ends before that.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook=["{{ prune_snapshot_history() }}"],
    )
}}

with

open_items as (
    select * from {{ ref('int_open_items_enriched') }}
),

final as (
    select
        -- ids
        as_of_date,
        invoice_id,
        customer_id,
        sales_rep_id,
        -- attributes
        customer_name,
        region,
        industry,
        department,
        document_type,
        currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        aging_bucket,
        aging_bucket_order,
        -- amounts (fixed types: the BI contract should not change with arithmetic's widening)
        cast(document_amount as decimal(18, 2)) as original_amount,
        cast(open_amount as decimal(18, 2)) as open_amount,
        cast(fx_rate_to_reporting as decimal(18, 8)) as fx_rate_to_reporting,
        cast(open_amount_rc as decimal(18, 2)) as open_amount_rc,
        -- dates
        invoice_date,
        due_date,
        days_past_due,
        -- added with the marts issue (appended: BI queries by name keep working)
        sales_rep_name,
        supervisor_id,
        supervisor_name,
        is_disputed,
        promise_to_pay_status
    from open_items
)

select * from final
