-- The sales-rep, supervisor and department scorecards (seeds 000 §三.1, 002 §四):
-- collection within terms beside sales, DSO, overdue rate and promise kept rate,
-- each scored against seed scorecard_kpi_weights, so that management can tie
-- commission to collection (docs/metrics.md, "Sales scorecards"). The KPIs are
-- int_kpi_formulas' for the scope (a rep's scope is the rep's customer book), never
-- recomputed here:
--   commission_base_rc = collected_in_terms_12m_rc: receipts applied by their due date
--                        to the debit documents due in the 365 days to as_of
--   kpi points         = 100 x clamp((value - floor_value) / (target_value - floor_value), 0, 1)
--   scorecard_score    = sum(weight x points) / sum(weight), over the KPIs with a value
--                        (null when none has one)
--   score_rank         = 1 for the best score within the scope type (nulls last)
-- Incremental by as_of_date like agg_ar_kpis: a rerun of a date replaces it.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}

{%- set kpi_columns = ['collections_in_terms_rate', 'overdue_rate', 'dso_standard', 'collection_success_rate',
                       'collection_rate', 'collection_effectiveness_index', 'bad_debt_rate',
                       'average_days_delinquent'] %}

with

scopes as (
    select * from {{ ref('int_kpi_formulas') }}
    where scope_type in ('sales_rep', 'supervisor', 'department')
),

weights as (
    select * from {{ ref('scorecard_kpi_weights') }}
),

sales_reps as (
    select * from {{ ref('stg_erp__sales_reps') }}
),

-- one row per scope and KPI of the seed, with its value
kpi_values as (
    {%- for kpi in kpi_columns %}
        select
            scopes.scope_type,
            scopes.scope_id,
            '{{ kpi }}' as kpi_code,
            cast(scopes.{{ kpi }} as decimal(18, 6)) as kpi_value
        from scopes
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

points as (
    select
        kpi_values.scope_type,
        kpi_values.scope_id,
        kpi_values.kpi_code,
        kpi_values.kpi_value,
        weights.weight,
        -- greatest / least skip nulls: a KPI without a value scores nothing, not 100
        cast(
            case
                when kpi_values.kpi_value is not null
                    then 100 * greatest(
                        0,
                        least(
                            1,
                            (kpi_values.kpi_value - weights.floor_value) / (weights.target_value - weights.floor_value)
                        )
                    )
            end as decimal(18, 6)
        ) as kpi_points
    from kpi_values
    inner join weights
        on kpi_values.kpi_code = weights.kpi_code
),

scores as (
    select
        scope_type,
        scope_id,
        cast(
            sum(weight * kpi_points) / nullif(sum(case when kpi_points is not null then weight end), 0)
            as decimal(18, 6)
        ) as scorecard_score,
        count(kpi_points) as kpis_scored,
        {{ dbt.listagg(
            "case when kpi_points is not null then kpi_code || ' ' || cast(round(kpi_points, 1) as varchar) "
            ~ "|| ' x ' || cast(round(weight, 3) as varchar) end",
            "'; '",
            "order by weight desc, kpi_code"
        ) }} as score_breakdown
    from points
    group by scope_type, scope_id
),

final as (
    select
        -- ids
        scopes.as_of_date,
        scopes.scope_type,
        scopes.scope_id,
        -- attributes
        case
            when scopes.scope_id = 'unassigned' then 'unassigned'
            when scopes.scope_type = 'department' then scopes.scope_id
            else coalesce(sales_reps.rep_name, scopes.scope_id)
        end as scope_name,
        -- the score
        cast(round(scores.scorecard_score, 2) as decimal(18, 2)) as scorecard_score,
        cast(rank() over (
            partition by scopes.scope_type
            order by scores.scorecard_score desc nulls last
        ) as integer) as score_rank,
        cast(coalesce(scores.kpis_scored, 0) as integer) as kpis_scored,
        scores.score_breakdown,
        -- counts
        scopes.customers,
        scopes.promises_kept,
        scopes.promises_judged,
        -- amounts (reporting currency)
        scopes.sales_12m_rc,
        scopes.sales_due_12m_rc,
        scopes.collected_in_terms_12m_rc,
        scopes.collected_late_12m_rc,
        scopes.collected_in_terms_12m_rc as commission_base_rc,
        scopes.ar_total_rc,
        scopes.ar_overdue_rc,
        -- rates (fractions: 0.15 = 15%) and days
        scopes.collections_in_terms_rate,
        scopes.overdue_rate,
        scopes.collection_success_rate,
        scopes.dso_standard
    from scopes
    left join scores
        on
            scopes.scope_type = scores.scope_type
            and scopes.scope_id = scores.scope_id
    left join sales_reps
        on
            scopes.scope_type in ('sales_rep', 'supervisor')
            and scopes.scope_id = sales_reps.sales_rep_id
)

select * from final
