-- The aging buckets with their zh-CN and en labels, published so that BI
-- tools show the same names and order as the marts use.
with

buckets as (
    select * from {{ ref('aging_buckets') }}
),

final as (
    select
        -- ids
        aging_bucket,
        -- attributes
        bucket_order,
        label_en,
        label_zh,
        -- edges
        min_days_past_due,
        max_days_past_due
    from buckets
)

select * from final
