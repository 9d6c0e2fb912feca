-- The risk levels' cut-offs (seeds/risk_levels.csv) must fall from extreme to
-- low: each level starts strictly below the more severe one, low starts at 0,
-- none is above 1, and the codes are exactly the four the strategy matrix and
-- the alerts use (macro risk_level_order). One row per problem, naming the level.
{{ config(store_failures=true) }}

with

levels as (
    select
        risk_level,
        level_order,
        min_pd_default,
        lag(min_pd_default) over (order by level_order desc) as more_severe_min_pd_default,
        lag(risk_level) over (order by level_order desc) as more_severe_level
    from {{ ref('risk_levels') }}
),

expected as (
    select
        'extreme' as risk_level,
        4 as level_order
    union all
    select
        'high' as risk_level,
        3 as level_order
    union all
    select
        'medium' as risk_level,
        2 as level_order
    union all
    select
        'low' as risk_level,
        1 as level_order
),

problems as (
    select
        coalesce(levels.risk_level, expected.risk_level) as risk_level,
        case
            when levels.risk_level is null then 'missing from seeds/risk_levels.csv'
            when expected.risk_level is null then 'unknown level (expected extreme, high, medium, low)'
            when levels.level_order <> expected.level_order
                then 'level_order should be ' || cast(expected.level_order as varchar)
            when levels.min_pd_default < 0 or levels.min_pd_default > 1 then 'min_pd_default outside [0, 1]'
            when levels.risk_level = 'low' and levels.min_pd_default <> 0 then 'low must start at 0'
            when levels.min_pd_default >= levels.more_severe_min_pd_default
                then
                    'min_pd_default not below ' || levels.more_severe_level
                    || ' (cut-offs must fall from extreme to low)'
        end as problem
    from levels
    full outer join expected
        on levels.risk_level = expected.risk_level
)

select * from problems
where problem is not null
