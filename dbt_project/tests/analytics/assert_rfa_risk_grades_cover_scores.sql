-- Every possible RFA total score (3 to 15) must fall in exactly one risk grade.
{{ config(store_failures=true) }}

with

scores as (
    {%- for total in range(3, 16) %}
        select {{ total }} as rfa_total_score
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

matches as (
    select
        scores.rfa_total_score,
        count(grades.risk_grade) as grades_matched
    from scores
    left join {{ ref('rfa_risk_grades') }} as grades
        on scores.rfa_total_score between grades.min_total_score and grades.max_total_score
    group by scores.rfa_total_score
)

select *
from matches
where grades_matched != 1
