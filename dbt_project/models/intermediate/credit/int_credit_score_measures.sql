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
        exists(select 1 from {{ ref('stg_crm__promises') }}) as has_promises,
        exists(select 1 from {{ ref('stg_crm__disputes') }}) as has_disputes,
        exists(select 1 from {{ ref('stg_erp__writeoffs') }}) as has_writeoffs,
        exists(select 1 from {{ ref('stg_crm__accounts') }}) as has_accounts
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
        parameters.min_documents,
        customers.documents_due >= parameters.min_documents as has_history,
        cast(customers.documents_due as {{ dbt.type_string() }}) as documents_due_text,
        cast(parameters.min_documents as {{ dbt.type_string() }}) as min_documents_text
    from customers
    cross join sources_available
    cross join parameters
),

by_component as (
    select
        customer_id,
        'days_late' as component,
        case when has_history then weighted_days_late end as measure_value,
        case
            when not has_history
                then
                    documents_due_text || ' document(s) due in the window, fewer than '
                    || 'min_documents_for_history ' || min_documents_text
        end as unavailable_reason_en,
        case
            when not has_history
                then '窗口内到期单据仅' || documents_due_text || '笔（少于最低要求' || min_documents_text || '笔）'
        end as unavailable_reason_zh
    from measured
    union all
    select
        customer_id,
        'late_share' as component,
        case when has_history then late_share end as measure_value,
        case
            when not has_history
                then
                    documents_due_text || ' document(s) due in the window, fewer than '
                    || 'min_documents_for_history ' || min_documents_text
        end as unavailable_reason_en,
        case
            when not has_history
                then '窗口内到期单据仅' || documents_due_text || '笔（少于最低要求' || min_documents_text || '笔）'
        end as unavailable_reason_zh
    from measured
    union all
    select
        customer_id,
        'promises_broken' as component,
        case when has_promises then promises_broken end as measure_value,
        case when not has_promises then 'source table crm_promises has no rows' end as unavailable_reason_en,
        case when not has_promises then '来源表crm_promises（付款承诺）无数据' end as unavailable_reason_zh
    from measured
    union all
    select
        customer_id,
        'disputes' as component,
        case when has_disputes then disputes_opened end as measure_value,
        case when not has_disputes then 'source table crm_disputes has no rows' end as unavailable_reason_en,
        case when not has_disputes then '来源表crm_disputes（争议）无数据' end as unavailable_reason_zh
    from measured
    union all
    select
        customer_id,
        'writeoffs' as component,
        case
            when not has_writeoffs then null
            when sales_window_rc > 0 then 100.0 * bad_debt_window_rc / sales_window_rc
            when bad_debt_window_rc > 0 then 100.0
            else 0.0
        end as measure_value,
        case when not has_writeoffs then 'source table erp_writeoffs has no rows' end as unavailable_reason_en,
        case when not has_writeoffs then '来源表erp_writeoffs（核销）无数据' end as unavailable_reason_zh
    from measured
    union all
    select
        customer_id,
        'tenure' as component,
        tenure_days as measure_value,
        case when tenure_days is null then 'customer_since is empty' end as unavailable_reason_en,
        case when tenure_days is null then '客户首次交易日期为空' end as unavailable_reason_zh
    from measured
    union all
    select
        customer_id,
        'sales' as component,
        sales_percent_rank as measure_value,
        cast(null as {{ dbt.type_string() }}) as unavailable_reason_en,
        cast(null as {{ dbt.type_string() }}) as unavailable_reason_zh
    from measured
    union all
    select
        customer_id,
        'litigation' as component,
        case when has_accounts then (case when litigation_flag then 1 else 0 end) end as measure_value,
        case when not has_accounts then 'source table crm_accounts has no rows' end as unavailable_reason_en,
        case when not has_accounts then '来源表crm_accounts（客户档案）无数据' end as unavailable_reason_zh
    from measured
    union all
    select
        customer_id,
        'negative_news' as component,
        case when has_accounts then (case when negative_news_flag then 1 else 0 end) end as measure_value,
        case when not has_accounts then 'source table crm_accounts has no rows' end as unavailable_reason_en,
        case when not has_accounts then '来源表crm_accounts（客户档案）无数据' end as unavailable_reason_zh
    from measured
    union all
    select
        customer_id,
        'blacklist' as component,
        case when blacklist_flag then 1 else 0 end as measure_value,
        cast(null as {{ dbt.type_string() }}) as unavailable_reason_en,
        cast(null as {{ dbt.type_string() }}) as unavailable_reason_zh
    from measured
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
