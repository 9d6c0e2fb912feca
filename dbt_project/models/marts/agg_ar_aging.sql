-- AR aging per as-of date and scope: each customer, and rolled up by region,
-- industry, department, sales rep and the whole company. Open debit
-- documents go into the buckets (reporting currency); unapplied cash and
-- unapplied credit notes are shown beside them, never netted into a bucket:
--   total_open_ar_rc = sum of the bucket amounts (gross receivable)
--   net_open_ar_rc   = total_open_ar_rc - unapplied_cash_rc - unapplied_credit_notes_rc
-- Buckets age by due date (days past due) unless var aging_basis is
-- 'invoice_date' (days since the document date); "overdue" always means past
-- the due date. Incremental by as_of_date like fct_ar_open_items.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}
{%- set basis = aging_basis() %}
{%- set unassigned = "'(unassigned)'" %}
{%- set scopes = [
    ('customer', 'customer_id', 'coalesce(customer_name, customer_id)'),
    ('region', 'coalesce(region, ' ~ unassigned ~ ')', 'coalesce(region, ' ~ unassigned ~ ')'),
    ('industry', 'coalesce(industry, ' ~ unassigned ~ ')', 'coalesce(industry, ' ~ unassigned ~ ')'),
    ('department', 'coalesce(department, ' ~ unassigned ~ ')', 'coalesce(department, ' ~ unassigned ~ ')'),
    ('sales_rep', 'coalesce(sales_rep_id, ' ~ unassigned ~ ')', 'coalesce(sales_rep_name, sales_rep_id, ' ~ unassigned ~ ')'),
    ('company', "'company'", "'全公司 / Company'"),
] %}

with

open_items as (
    select * from {{ ref('int_open_items_enriched') }}
),

credits as (
    select * from {{ ref('int_unapplied_credits') }}
),

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

sales_reps as (
    select * from {{ ref('stg_erp__sales_reps') }}
),

buckets as (
    select * from {{ ref('aging_buckets') }}
),

item_lines as (
    select
        open_items.customer_id,
        open_items.customer_name,
        open_items.region,
        open_items.industry,
        open_items.department,
        open_items.sales_rep_id,
        open_items.sales_rep_name,
        buckets.aging_bucket,
        open_items.days_past_due > 0 as is_overdue,
        open_items.open_amount_rc,
        cast(0 as decimal(18, 2)) as unapplied_cash_rc,
        cast(0 as decimal(18, 2)) as unapplied_credit_notes_rc
    from open_items
    left join buckets
        on
            (
                buckets.min_days_past_due is null
                or open_items.as_of_date - open_items.{{ basis }} >= buckets.min_days_past_due
            )
            and (
                buckets.max_days_past_due is null
                or open_items.as_of_date - open_items.{{ basis }} <= buckets.max_days_past_due
            )
),

-- A credit belongs to the customer's owner chain; a credit note to its own
-- rep when it names one.
credit_lines as (
    select
        credits.customer_id,
        customers.customer_name,
        customers.region,
        customers.industry,
        sales_reps.department,
        sales_reps.sales_rep_id,
        sales_reps.rep_name as sales_rep_name,
        cast(null as {{ dbt.type_string() }}) as aging_bucket,
        false as is_overdue,
        cast(0 as decimal(18, 2)) as open_amount_rc,
        case when credits.credit_type = 'receipt' then credits.unapplied_amount_rc else 0 end as unapplied_cash_rc,
        case when credits.credit_type = 'credit_note' then credits.unapplied_amount_rc else 0 end
            as unapplied_credit_notes_rc
    from credits
    left join customers
        on credits.customer_id = customers.customer_id
    left join sales_reps
        on coalesce(credits.sales_rep_id, customers.sales_rep_id) = sales_reps.sales_rep_id
),

ledger_lines as (
    select
        *,
        1 as is_open_item
    from item_lines
    union all
    select
        *,
        0 as is_open_item
    from credit_lines
),

scoped as (
    {%- for scope_type, scope_id, scope_name in scopes %}
        select
            '{{ scope_type }}' as scope_type,
            {{ scope_id }} as scope_id,
            {{ scope_name }} as scope_name,
            ledger_lines.*
        from ledger_lines
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

aggregated as (
    select
        scope_type,
        scope_id,
        max(scope_name) as scope_name,
        {%- for code in aging_bucket_codes() %}
            sum(case when aging_bucket = '{{ code }}' then open_amount_rc else 0 end) as {{ code }}_amount_rc,
        {%- endfor %}
        sum(open_amount_rc) as total_open_ar_rc,
        sum(case when is_overdue then open_amount_rc else 0 end) as overdue_amount_rc,
        sum(unapplied_cash_rc) as unapplied_cash_rc,
        sum(unapplied_credit_notes_rc) as unapplied_credit_notes_rc,
        sum(is_open_item) as open_invoice_count,
        sum(case when is_overdue then 1 else 0 end) as overdue_invoice_count,
        count(distinct case when is_open_item = 1 then customer_id end) as customer_count
    from scoped
    group by scope_type, scope_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        scope_type,
        scope_id,
        -- attributes
        scope_name,
        '{{ var("reporting_currency") }}' as reporting_currency,
        '{{ basis }}' as aging_basis,
        -- amounts per bucket
        {%- for code in aging_bucket_codes() %}
            cast({{ code }}_amount_rc as decimal(18, 2)) as {{ code }}_amount_rc,
        {%- endfor %}
        -- totals
        cast(total_open_ar_rc as decimal(18, 2)) as total_open_ar_rc,
        cast(overdue_amount_rc as decimal(18, 2)) as overdue_amount_rc,
        cast(unapplied_cash_rc as decimal(18, 2)) as unapplied_cash_rc,
        cast(unapplied_credit_notes_rc as decimal(18, 2)) as unapplied_credit_notes_rc,
        cast(total_open_ar_rc - unapplied_cash_rc - unapplied_credit_notes_rc as decimal(18, 2)) as net_open_ar_rc,
        -- counts
        cast(open_invoice_count as integer) as open_invoice_count,
        cast(overdue_invoice_count as integer) as overdue_invoice_count,
        cast(customer_count as integer) as customer_count
    from aggregated
)

select * from final
