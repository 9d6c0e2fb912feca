-- The quality gate's outcome per batch, table, rule and column
-- (ar_risk.quality.gate records raw._validation_results, one row per rule each
-- time a batch is validated). A batch validated again after a rollback is
-- recorded again: a rule counts as passed only when every record of it passed,
-- with the largest count of unexpected rows.
{{ config(materialized='view') }}

with

source as (
    select * from {{ source('quality', '_validation_results') }}
),

outcomes as (
    select
        -- ids
        batch_id,
        table_name,
        rule,
        column_name,
        -- attributes
        severity,
        -- measures
        bool_and(success) as success,
        max(unexpected_count) as unexpected_count
    from source
    where rule is not null
    group by batch_id, table_name, rule, column_name, severity
)

select * from outcomes
