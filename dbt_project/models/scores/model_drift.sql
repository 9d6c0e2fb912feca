-- PSI per target, model version and feature (feature `score` = the
-- prediction itself) for the as-of date, as the scorer computed it
-- (ml_scores.model_drift): stable <= 0.10 < watch <= 0.25 < alert.
with

drift as (
    select * from {{ source('ml_scores', 'model_drift') }}
    where as_of_date = {{ as_of_date() }}
),

final as (
    select
        -- ids
        as_of_date,
        target,
        model_version,
        feature,
        -- measures
        cast(psi as double precision) as psi,
        status,
        is_alert
    from drift
)

select * from final
