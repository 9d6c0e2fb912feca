-- Every combination of the three RFA scores (1-5 each) must match at least
-- one segment rule, so no customer is left without a segment.
{{ config(store_failures=true) }}

with

scores as (
    {%- for score in range(1, 6) %}
        select {{ score }} as score
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

combinations as (
    select
        recency.score as recency_score,
        frequency.score as frequency_score,
        amount.score as amount_score
    from scores as recency
    cross join scores as frequency
    cross join scores as amount
),

matches as (
    select
        combinations.recency_score,
        combinations.frequency_score,
        combinations.amount_score,
        count(segments.rfa_segment) as rules_matched
    from combinations
    left join {{ ref('rfa_segments') }} as segments
        on
            combinations.recency_score between segments.min_recency_score and segments.max_recency_score
            and combinations.frequency_score between segments.min_frequency_score and segments.max_frequency_score
            and combinations.amount_score between segments.min_amount_score and segments.max_amount_score
    group by combinations.recency_score, combinations.frequency_score, combinations.amount_score
)

select *
from matches
where rules_matched = 0
