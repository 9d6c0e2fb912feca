-- The champion of each target that scored the as-of date (ml_scores.model_card):
-- version, type, training and validation window, validation metrics and the
-- features used and dropped (with the reason).
with

cards as (
    select * from {{ source('ml_scores', 'model_card') }}
    where as_of_date = {{ as_of_date() }}
),

final as (
    select
        -- ids
        as_of_date,
        target,
        model_name,
        model_version,
        -- attributes
        model_type,
        trained_at,
        train_start,
        validation_start,
        validation_end,
        validation_rows,
        -- validation metrics
        roc_auc,
        pr_auc,
        ks,
        brier,
        brier_base_rate,
        calibration_error,
        top_decile_lift,
        f1,
        threshold,
        base_rate,
        -- features
        features_used,
        features_dropped
    from cards
)

select * from final
