-- The bucket edges must cover every day count exactly once: the first bucket
-- has no lower edge, the last no upper edge, and each bucket starts the day
-- after the previous one ends. Returns the offending buckets.
with

buckets as (
    select
        aging_bucket,
        bucket_order,
        min_days_past_due,
        max_days_past_due,
        lag(max_days_past_due) over (order by bucket_order) as previous_max,
        row_number() over (order by bucket_order) as bucket_position,
        count(*) over () as bucket_count
    from {{ ref('aging_buckets') }}
)

select *
from buckets
where
    (bucket_position = 1 and min_days_past_due is not null)
    or (bucket_position = bucket_count and max_days_past_due is not null)
    or (bucket_position > 1 and (previous_max is null or min_days_past_due != previous_max + 1))
    or (max_days_past_due is not null and min_days_past_due is not null and max_days_past_due < min_days_past_due)
