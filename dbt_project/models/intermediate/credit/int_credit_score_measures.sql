-- The credit score's measures that need no model (docs/metrics.md, "Credit
-- score"), one row per customer and component, for the as-of date. W =
-- score_window_days (credit_score_parameters); windows are (as_of - W, as_of].
--   days_late       amount-weighted mean of greatest(0, (cleared_date, else
--                   as_of) - due_date) over the documents due in the window
--   late_share      share of those documents cleared (or still open) more
--                   than late_grace_days after their due date
--   promises_broken promises to pay whose promised date fell in the window
--                   and were broken (int_promises_evaluated)
--   disputes        disputes opened in the window
--   writeoffs       bad-debt write-offs dated in the window (macros/bad_debt.sql)
--                   x 100 / sales posted in the window (100 when there was no sale)
--   tenure          as_of - customer_since, days
--   sales           percent rank (0-1) of the window's sales among all customers
--   litigation, negative_news (CRM), blacklist (seed): 1 flagged, 0 not
-- A measure that cannot be taken has a null value and the reason: an optional
-- source table without rows (crm_promises, crm_disputes, erp_writeoffs,
-- crm_accounts), fewer than min_documents_for_history documents due in the
-- window, no customer_since. The score mart gives it the neutral points.
-- Utilisation and pd_default are added by the score mart (models/scores).
{# optional source tables: measure group -> (table, its name in zh-CN) #}
{% set optional_sources = {
    'promises': ('crm_promises', '付款承诺'),
    'disputes': ('crm_disputes', '争议'),
    'writeoffs': ('erp_writeoffs', '核销'),
    'accounts': ('crm_accounts', '客户档案'),
} %}
{# component -> (its measure in `measured`, the group whose reason makes it null; none: always taken) #}
{% set components = {
    'days_late': ('weighted_days_late', 'history'),
    'late_share': ('late_share', 'history'),
    'promises_broken': ('promises_broken', 'promises'),
    'disputes': ('disputes_opened', 'disputes'),
    'writeoffs': ('writeoff_share', 'writeoffs'),
    'tenure': ('tenure_days', 'tenure'),
    'sales': ('sales_percent_rank', none),
    'litigation': ('litigation_value', 'accounts'),
    'negative_news': ('negative_news_value', 'accounts'),
    'blacklist': ('blacklist_value', none),
} %}
with

attributes as (
    select * from {{ ref('int_customer_attributes') }}
),

documents as (
    select * from {{ ref('int_customer_document_history') }}
),

movements as (
    select * from {{ ref('int_kpi_ar_movements') }}
),

promises as (
    select * from {{ ref('int_promises_evaluated') }}
),

disputes as (
    select * from {{ ref('stg_crm__disputes') }}
),

parameters as (
    select
        {{ credit_parameter('score_window_days') }} as window_days,
        {{ credit_parameter('late_grace_days') }} as grace_days,
        {{ credit_parameter('min_documents_for_history') }} as min_documents,
        {{ analytics_parameter('bad_debt_min_share_of_document', 'decimal(18, 6)') }} as bad_debt_min_share
),

-- An optional table that is absent arrives as an empty staging table.
sources_available as (
    select
    {%- for group, (table, _) in optional_sources.items() %}
            exists(select 1 from {{ ref('stg_' ~ table.replace('_', '__', 1)) }}) as has_{{ group }}
            {{- "," if not loop.last }}
    {%- endfor %}
),

documents_due as (
    select
        documents.customer_id,
        documents.amount_rc,
        greatest(
            coalesce(documents.cleared_date, {{ as_of_date() }}) - documents.due_date, 0
        ) as days_late
    from documents
    cross join parameters
    where
        documents.due_date <= {{ as_of_date() }}
        and documents.due_date > {{ as_of_date() }} - parameters.window_days
),

lateness as (
    select
        documents_due.customer_id,
        count(*) as documents_due,
        coalesce(
            sum(documents_due.days_late * documents_due.amount_rc) / nullif(sum(documents_due.amount_rc), 0),
            avg(documents_due.days_late)
        ) as weighted_days_late,
        avg(case when documents_due.days_late > parameters.grace_days then 1.0 else 0.0 end) as late_share
    from documents_due
    cross join parameters
    group by documents_due.customer_id
),

sales as (
    select
        documents.customer_id,
        sum(documents.amount_rc) as sales_window_rc
    from documents
    cross join parameters
    where documents.invoice_date > {{ as_of_date() }} - parameters.window_days
    group by documents.customer_id
),

bad_debt as (
    select
        movements.customer_id,
        sum(movements.amount_rc) as bad_debt_window_rc
    from movements
    cross join parameters
    where
        movements.movement_type = 'writeoff'
        and movements.movement_date > {{ as_of_date() }} - parameters.window_days
        and {{ is_bad_debt_writeoff('movements.amount', 'movements.document_amount', 'parameters.bad_debt_min_share') }}
    group by movements.customer_id
),

broken_promises as (
    select
        promises.customer_id,
        count(*) as promises_broken
    from promises
    cross join parameters
    where
        promises.promise_status = 'broken'
        and promises.promised_date > {{ as_of_date() }} - parameters.window_days
    group by promises.customer_id
),

disputes_opened as (
    select
        disputes.customer_id,
        count(*) as disputes_opened
    from disputes
    cross join parameters
    where
        disputes.opened_date <= {{ as_of_date() }}
        and disputes.opened_date > {{ as_of_date() }} - parameters.window_days
    group by disputes.customer_id
),

customers as (
    select
        attributes.customer_id,
        attributes.litigation_flag,
        attributes.negative_news_flag,
        attributes.blacklist_flag,
        {{ as_of_date() }} - attributes.customer_since as tenure_days,
        coalesce(lateness.documents_due, 0) as documents_due,
        lateness.weighted_days_late,
        lateness.late_share,
        coalesce(sales.sales_window_rc, 0) as sales_window_rc,
        coalesce(bad_debt.bad_debt_window_rc, 0) as bad_debt_window_rc,
        coalesce(broken_promises.promises_broken, 0) as promises_broken,
        coalesce(disputes_opened.disputes_opened, 0) as disputes_opened,
        percent_rank() over (order by coalesce(sales.sales_window_rc, 0)) as sales_percent_rank
    from attributes
    left join lateness
        on attributes.customer_id = lateness.customer_id
    left join sales
        on attributes.customer_id = sales.customer_id
    left join bad_debt
        on attributes.customer_id = bad_debt.customer_id
    left join broken_promises
        on attributes.customer_id = broken_promises.customer_id
    left join disputes_opened
        on attributes.customer_id = disputes_opened.customer_id
),

measured as (
    select
        customers.*,
        sources_available.*,
        customers.documents_due >= parameters.min_documents as has_history,
        case
            when customers.sales_window_rc > 0 then 100.0 * customers.bad_debt_window_rc / customers.sales_window_rc
            when customers.bad_debt_window_rc > 0 then 100.0
            else 0.0
        end as writeoff_share,
        case when customers.litigation_flag then 1 else 0 end as litigation_value,
        case when customers.negative_news_flag then 1 else 0 end as negative_news_value,
        case when customers.blacklist_flag then 1 else 0 end as blacklist_value,
        cast(customers.documents_due as {{ dbt.type_string() }}) as documents_due_text,
        cast(parameters.min_documents as {{ dbt.type_string() }}) as min_documents_text
    from customers
    cross join sources_available
    cross join parameters
),

-- Why a measure cannot be taken (null when it can), per group of components.
reasons as (
    select
        measured.*,
        case
            when not measured.has_history
                then
                    measured.documents_due_text || ' document(s) due in the window, fewer than '
                    || 'min_documents_for_history ' || measured.min_documents_text
        end as history_reason_en,
        case
            when not measured.has_history
                then
                    '窗口内到期单据仅' || measured.documents_due_text
                    || '笔（少于最低要求' || measured.min_documents_text || '笔）'
        end as history_reason_zh,
        {%- for group, (table, label_zh) in optional_sources.items() %}
            case when not has_{{ group }} then 'source table {{ table }} has no rows' end as {{ group }}_reason_en,
            case when not has_{{ group }} then '来源表{{ table }}（{{ label_zh }}）无数据' end as {{ group }}_reason_zh,
        {%- endfor %}
        case when measured.tenure_days is null then 'customer_since is empty' end as tenure_reason_en,
        case when measured.tenure_days is null then '客户首次交易日期为空' end as tenure_reason_zh
    from measured
),

by_component as (
    {%- for component, (measure, group) in components.items() %}
        select
            customer_id,
            '{{ component }}' as component,
            {%- if group %}
                case when {{ group }}_reason_en is null then {{ measure }} end as measure_value,
                {{ group }}_reason_en as unavailable_reason_en,
                {{ group }}_reason_zh as unavailable_reason_zh
            {%- else %}
                {{ measure }} as measure_value,
                cast(null as {{ dbt.type_string() }}) as unavailable_reason_en,
                cast(null as {{ dbt.type_string() }}) as unavailable_reason_zh
            {%- endif %}
        from reasons
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        customer_id,
        component,
        -- measures
        cast(round(cast(measure_value as decimal(18, 8)), 6) as decimal(18, 6)) as measure_value,
        -- reasons
        unavailable_reason_en,
        unavailable_reason_zh
    from by_component
)

select * from final
