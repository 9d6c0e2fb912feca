-- The bands of each RFA measure must cover every value from the lowest edge
-- up without gaps or overlaps: each band starts where the previous one ends,
-- only the last is open-ended, and every band is non-empty. Returns the
-- offending bands.
{{ config(store_failures=true) }}

with

bands as (
    select
        measure,
        min_value,
        max_value,
        score,
        lag(max_value) over (partition by measure order by min_value) as previous_max,
        row_number() over (partition by measure order by min_value) as band_position,
        count(*) over (partition by measure) as band_count
    from {{ ref('rfa_scoring') }}
)

select *
from bands
where
    (band_position = band_count and max_value is not null)
    or (band_position < band_count and max_value is null)
    or (band_position > 1 and (previous_max is null or min_value != previous_max))
    or (max_value is not null and max_value <= min_value)
