-- The KPIs that carry a red / yellow / green status, with their zh-CN / en
-- labels and current thresholds, published so BI tools show the same names
-- and limits as agg_ar_kpis uses (the seed itself stays in `reference`).
with

thresholds as (
    select * from {{ ref('kpi_thresholds') }}
),

final as (
    select
        -- ids
        kpi_code,
        -- attributes
        label_en,
        label_zh,
        worse_when,
        -- thresholds
        yellow_threshold,
        red_threshold
    from thresholds
)

select * from final
