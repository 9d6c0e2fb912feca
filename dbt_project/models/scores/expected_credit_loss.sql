-- Expected credit loss (IFRS 9 simplified approach, 坏账准备) per as-of date,
-- scope and aging bucket, by two methods side by side:
--   model_expected_loss_rc = sum(pd_default x lgd x open_amount_rc) of the
--       scored documents (invoice_risk_scores.expected_loss_rc)
--   provision_matrix_expected_loss_rc = provision_matrix_loss_rate x open_amount_rc
--       (loss rate of the bucket from int_ecl_provision_matrix: roll rates to
--       default x lgd)
--   model_loss_rate = model_expected_loss_rc / open_amount_rc
-- Scopes: company (scope_id 'company', every bucket of seed aging_buckets, also
-- those with nothing open, so the matrix is complete) and customer (the buckets
-- it has open documents in). Open amounts are fct_ar_open_items'.
{{
    config(
        post_hook=["{{ prune_snapshot_history() }}"],
    )
}}

with

open_items as (
    select * from {{ ref('fct_ar_open_items') }}
    where as_of_date = {{ as_of_date() }}
),

scores as (
    select
        invoice_id,
        expected_loss_rc
    from {{ ref('invoice_risk_scores') }}
    where as_of_date = {{ as_of_date() }}
),

matrix as (
    select * from {{ ref('int_ecl_provision_matrix') }}
),

items as (
    select
        open_items.customer_id,
        open_items.aging_bucket,
        open_items.open_amount_rc,
        scores.expected_loss_rc,
        scores.invoice_id as scored_invoice_id
    from open_items
    left join scores
        on open_items.invoice_id = scores.invoice_id
),

by_scope as (
    select
        'company' as scope_type,
        'company' as scope_id,
        matrix.aging_bucket,
        count(items.aging_bucket) as open_documents,
        count(items.scored_invoice_id) as scored_documents,
        coalesce(sum(items.open_amount_rc), 0) as open_amount_rc,
        coalesce(sum(items.expected_loss_rc), 0) as model_expected_loss_rc
    from matrix
    left join items
        on matrix.aging_bucket = items.aging_bucket
    group by matrix.aging_bucket
    union all
    select
        'customer' as scope_type,
        items.customer_id as scope_id,
        items.aging_bucket,
        count(*) as open_documents,
        count(items.scored_invoice_id) as scored_documents,
        sum(items.open_amount_rc) as open_amount_rc,
        coalesce(sum(items.expected_loss_rc), 0) as model_expected_loss_rc
    from items
    group by items.customer_id, items.aging_bucket
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        by_scope.scope_type,
        by_scope.scope_id,
        by_scope.aging_bucket,
        -- attributes
        matrix.aging_bucket_order,
        '{{ var("reporting_currency") }}' as reporting_currency,
        -- amounts
        cast(by_scope.open_amount_rc as decimal(18, 2)) as open_amount_rc,
        cast(by_scope.model_expected_loss_rc as decimal(18, 2)) as model_expected_loss_rc,
        cast(round(matrix.loss_rate * by_scope.open_amount_rc, 2) as decimal(18, 2))
            as provision_matrix_expected_loss_rc,
        -- rates
        case
            when by_scope.open_amount_rc > 0
                then
                    cast(
                        round(cast(by_scope.model_expected_loss_rc / by_scope.open_amount_rc as decimal(18, 8)), 6)
                        as decimal(18, 6)
                    )
        end as model_loss_rate,
        matrix.loss_rate as provision_matrix_loss_rate,
        matrix.roll_rate,
        matrix.roll_rate_source,
        matrix.roll_rate_basis_rc,
        matrix.roll_rate_months,
        matrix.probability_to_default,
        matrix.lgd,
        matrix.lgd_source,
        matrix.lgd_reason,
        -- counts
        by_scope.open_documents,
        by_scope.scored_documents
    from by_scope
    inner join matrix
        on by_scope.aging_bucket = matrix.aging_bucket
)

select * from final
