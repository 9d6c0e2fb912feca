-- One row per open debit document per as-of date: the item-level aging the
-- BI contract publishes. Incremental by as_of_date: a new date adds its rows,
-- re-running a date replaces exactly that date.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}

with

open_items as (
    select * from {{ ref('int_open_items_aged') }}
),

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

sales_reps as (
    select * from {{ ref('stg_erp__sales_reps') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

converted as (
    -- The rate on the document date; the reporting currency converts at 1 by
    -- definition. A missing rate leaves the amount null, which the not_null
    -- test turns into a failed build: never a silent 1.0.
    select
        open_items.*,
        case
            when open_items.currency = '{{ var("reporting_currency") }}' then 1
            else fx_rates.rate_to_reporting
        end as fx_rate_to_reporting
    from open_items
    left join fx_rates
        on
            open_items.currency = fx_rates.currency
            and open_items.invoice_date >= fx_rates.valid_from
            and (fx_rates.valid_until is null or open_items.invoice_date < fx_rates.valid_until)
),

final as (
    select
        -- ids
        converted.as_of_date,
        converted.invoice_id,
        converted.customer_id,
        coalesce(converted.sales_rep_id, customers.sales_rep_id) as sales_rep_id,
        -- attributes
        customers.customer_name,
        customers.region,
        customers.industry,
        sales_reps.department,
        converted.document_type,
        converted.currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        converted.aging_bucket,
        converted.aging_bucket_order,
        -- amounts (fixed types: the BI contract should not change with arithmetic's widening)
        cast(converted.document_amount as decimal(18, 2)) as original_amount,
        cast(converted.open_amount as decimal(18, 2)) as open_amount,
        cast(converted.fx_rate_to_reporting as decimal(18, 8)) as fx_rate_to_reporting,
        cast(round(converted.open_amount * converted.fx_rate_to_reporting, 2) as decimal(18, 2)) as open_amount_rc,
        -- dates
        converted.invoice_date,
        converted.due_date,
        converted.days_past_due
    from converted
    left join customers
        on converted.customer_id = customers.customer_id
    left join sales_reps
        on coalesce(converted.sales_rep_id, customers.sales_rep_id) = sales_reps.sales_rep_id
)

select * from final
