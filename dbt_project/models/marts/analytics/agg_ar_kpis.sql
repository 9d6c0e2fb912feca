-- AR KPIs per as-of date and scope (company, region, industry, department,
-- sales rep) with a red / yellow / green status per KPI and overall (the
-- worst of them). Formulas: int_kpi_formulas and docs/metrics.md. Incremental
-- by as_of_date: a new date adds its rows, re-running a date replaces it.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}

with

formulas as (
    select * from {{ ref('int_kpi_formulas') }}
),

statuses as (
    select * from {{ ref('int_kpi_statuses') }}
),

-- company, region and industry only (int_concentration_summary's scopes)
concentration as (
    select * from {{ ref('int_concentration_summary') }}
),

status_by_scope as (
    select
        scope_type,
        scope_id,
        {%- for kpi in ['overdue_rate', 'over_1y_share', 'dso_change', 'average_days_delinquent',
                        'collection_effectiveness_index', 'bad_debt_rate'] %}
            max(case when kpi_code = '{{ kpi }}' then kpi_status end) as {{ kpi }}_status,
        {%- endfor %}
        max(status_severity) as worst_severity,
        {{ dbt.listagg(
            "case when status_severity >= 2 then kpi_code || '=' || kpi_status end",
            "', '",
            "order by status_severity desc, kpi_code"
        ) }} as status_reasons
    from statuses
    group by scope_type, scope_id
),

final as (
    select
        -- ids
        formulas.as_of_date,
        formulas.scope_type,
        formulas.scope_id,
        -- overall status
        case coalesce(status_by_scope.worst_severity, 0)
            when 3 then 'red'
            when 2 then 'yellow'
            when 1 then 'green'
            else 'not_available'
        end as rag_status,
        status_by_scope.status_reasons,
        -- counts
        formulas.customers,
        formulas.customers_with_ar,
        formulas.overdue_customers,
        formulas.overdue_items,
        -- amounts (reporting currency)
        formulas.ar_total_rc,
        formulas.ar_current_rc,
        formulas.ar_overdue_rc,
        formulas.ar_over_1y_rc,
        formulas.sales_dso_period_rc,
        formulas.sales_12m_rc,
        formulas.bad_debt_writeoffs_12m_rc,
        formulas.collectible_month_to_date_rc,
        formulas.collected_month_to_date_rc,
        -- rates (fractions: 0.15 = 15%)
        formulas.overdue_rate,
        status_by_scope.overdue_rate_status,
        formulas.over_1y_share,
        status_by_scope.over_1y_share_status,
        formulas.bad_debt_rate,
        status_by_scope.bad_debt_rate_status,
        formulas.collection_rate,
        formulas.collection_success_rate,
        formulas.promises_kept,
        formulas.promises_judged,
        formulas.ar_turnover,
        -- concentration of open AR
        concentration.top10_share,
        concentration.top50_share,
        concentration.hhi,
        concentration.customers_for_80_pct,
        -- days sales outstanding
        formulas.dso_period_days,
        formulas.dso_standard,
        formulas.countback_dso,
        formulas.best_possible_dso,
        formulas.average_days_delinquent,
        status_by_scope.average_days_delinquent_status,
        formulas.dso_standard_prior_month_end,
        formulas.dso_change,
        status_by_scope.dso_change_status,
        -- collection effectiveness (the CEI month)
        formulas.collection_effectiveness_index,
        status_by_scope.collection_effectiveness_index_status,
        formulas.ar_total_cei_month_open_rc,
        formulas.sales_cei_month_rc,
        formulas.ar_total_cei_month_end_rc,
        formulas.ar_current_cei_month_end_rc,
        -- reference dates
        formulas.prior_month_end,
        formulas.cei_month_end
    from formulas
    left join status_by_scope
        on
            formulas.scope_type = status_by_scope.scope_type
            and formulas.scope_id = status_by_scope.scope_id
    left join concentration
        on
            formulas.scope_type = concentration.scope_type
            and formulas.scope_id = concentration.scope_id
)

select * from final
