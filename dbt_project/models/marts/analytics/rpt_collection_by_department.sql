-- Collection achievement per sales department and as-of date (a department
-- owns the customers of its reps): month-to-date collection rate, promise
-- success, CEI of the last complete month and overdue position, ranked by
-- collection rate (1 = best). Definitions: int_kpi_formulas, docs/metrics.md.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}

with

departments as (
    select * from {{ ref('int_kpi_formulas') }}
    where scope_type = 'department'
),

final as (
    select
        -- ids
        as_of_date,
        scope_id as department,
        -- ranking
        rank() over (order by collection_rate desc nulls last) as collection_rate_rank,
        -- counts
        customers,
        overdue_customers,
        -- collection this month
        collectible_month_to_date_rc,
        collected_month_to_date_rc,
        collection_rate,
        promises_kept,
        promises_judged,
        collection_success_rate,
        collection_effectiveness_index,
        -- position on the as-of date
        ar_total_rc,
        ar_overdue_rc,
        overdue_rate,
        dso_standard
    from departments
)

select * from final
