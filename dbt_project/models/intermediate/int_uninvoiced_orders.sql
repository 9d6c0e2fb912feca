-- Sales orders that were open and not yet invoiced on the as-of date: placed
-- by then, not cancelled, and no invoice for them dated on or before it. An
-- order now 'invoiced' counts when its invoice came later (it was open that
-- day). Cancelled orders are left out: the contract has no cancellation date.
-- Converted at the rate on the order date.
with

orders as (
    select * from {{ ref('stg_erp__orders') }}
    where
        order_date <= {{ as_of_date() }}
        and order_status in ('open', 'invoiced')
),

invoiced as (
    select
        order_id,
        min(invoice_date) as first_invoice_date
    from {{ ref('stg_erp__invoices') }}
    where
        order_id is not null
        and document_type in ('invoice', 'debit_note')
    group by order_id
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        orders.order_id,
        orders.customer_id,
        -- attributes
        orders.currency,
        -- amounts
        orders.order_amount,
        cast({{ fx_rate_to_reporting('fx_rates', 'orders.currency') }} as decimal(18, 8)) as fx_rate_to_reporting,
        {{ to_reporting_currency(
            'orders.order_amount', fx_rate_to_reporting('fx_rates', 'orders.currency')
        ) }} as order_amount_rc,
        -- dates
        orders.order_date
    from orders
    left join invoiced
        on orders.order_id = invoiced.order_id
    left join fx_rates
        on {{ fx_rate_join_condition('fx_rates', 'orders.currency', 'orders.order_date') }}
    where
        (orders.order_status = 'open' and invoiced.order_id is null)
        or invoiced.first_invoice_date > {{ as_of_date() }}
)

select * from final
