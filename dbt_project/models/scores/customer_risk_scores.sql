-- One row per customer with scored open documents and as-of date: the
-- roll-up of invoice_risk_scores.
--   expected_loss_rc = sum of the documents' expected credit loss
--   pd_default       = sum(pd_default x open_amount_rc) / sum(open_amount_rc)
--                      (amount-weighted); max_pd_default the worst document's
--   risk_level       = the seed risk_levels level of the amount-weighted pd_default
--   reasons          = those of the document with the largest expected loss
--                      (ties: the larger open amount, then the invoice id)
{{
    config(
        post_hook=["{{ prune_snapshot_history() }}"],
    )
}}

with

invoices as (
    select * from {{ ref('invoice_risk_scores') }}
    where as_of_date = {{ as_of_date() }}
),

levels as (
    select * from {{ ref('risk_levels') }}
),

ranked as (
    select
        invoices.*,
        row_number() over (
            partition by invoices.customer_id
            order by invoices.expected_loss_rc desc, invoices.open_amount_rc desc, invoices.invoice_id asc
        ) as loss_rank
    from invoices
),

rolled_up as (
    select
        customer_id,
        count(*) as open_invoices,
        sum(open_amount_rc) as open_amount_rc,
        sum(expected_loss_rc) as expected_loss_rc,
        sum(expected_late_amount_rc) as expected_late_amount_rc,
        sum(pd_default * open_amount_rc) as pd_weighted_amount_rc,
        max(pd_default) as max_pd_default,
        max(days_past_due) as max_days_past_due
    from invoices
    group by customer_id
),

weighted as (
    select
        rolled_up.*,
        case
            when rolled_up.open_amount_rc > 0 then rolled_up.pd_weighted_amount_rc / rolled_up.open_amount_rc
            else rolled_up.max_pd_default
        end as pd_default
    from rolled_up
),

leveled as (
    select
        weighted.*,
        {{ risk_level_order_of('weighted.pd_default') }} as risk_level_order
    from weighted
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        leveled.customer_id,
        -- attributes
        '{{ var("reporting_currency") }}' as reporting_currency,
        levels.risk_level,
        leveled.risk_level_order,
        levels.label_en as risk_level_label_en,
        levels.label_zh as risk_level_label_zh,
        -- amounts
        cast(leveled.open_amount_rc as decimal(18, 2)) as open_amount_rc,
        cast(leveled.expected_loss_rc as decimal(18, 2)) as expected_loss_rc,
        cast(leveled.expected_late_amount_rc as decimal(18, 2)) as expected_late_amount_rc,
        -- probabilities
        cast(round(cast(leveled.pd_default as decimal(18, 8)), 6) as double precision) as pd_default,
        leveled.max_pd_default,
        -- measures
        leveled.open_invoices,
        leveled.max_days_past_due,
        -- reasons of the document with the largest expected loss
        top_invoice.invoice_id as top_loss_invoice_id,
        top_invoice.reason_code_1,
        top_invoice.reason_code_2,
        top_invoice.reason_code_3,
        top_invoice.reasons_en,
        top_invoice.reasons_zh,
        -- models
        top_invoice.model_version_pd_default
    from leveled
    inner join ranked as top_invoice
        on leveled.customer_id = top_invoice.customer_id and top_invoice.loss_rank = 1
    left join levels
        on leveled.risk_level_order = levels.level_order
)

select * from final
