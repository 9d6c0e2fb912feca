-- RFA scores 1-5 from the rfa_scoring bands (min_value <= measure < max_value;
-- an empty max_value has no upper edge), then the risk grade from the total
-- and the segment from the first rfa_segments rule (by priority) the three
-- scores fall into.
--   recency_score   = band of max_days_past_due when overdue now, else of
--                     days_since_last_overdue; 1 when never overdue
--   frequency_score = band of overdue_episodes
--   amount_score    = the higher of the bands of overdue_share_of_customer_ar
--                     and share_of_total_overdue; 1 without open AR
--   rfa_total_score = recency + frequency + amount (3-15)
with

inputs as (
    select * from {{ ref('int_rfa_inputs') }}
),

bands as (
    select * from {{ ref('rfa_scoring') }}
),

grades as (
    select * from {{ ref('rfa_risk_grades') }}
),

segments as (
    select * from {{ ref('rfa_segments') }}
),

measures as (
    select
        customer_id,
        'max_days_past_due' as measure,
        cast(max_days_past_due as decimal(18, 6)) as measure_value
    from inputs
    union all
    select
        customer_id,
        'days_since_last_overdue' as measure,
        cast(days_since_last_overdue as decimal(18, 6)) as measure_value
    from inputs
    union all
    select
        customer_id,
        'overdue_episodes' as measure,
        cast(overdue_episodes as decimal(18, 6)) as measure_value
    from inputs
    union all
    select
        customer_id,
        'overdue_share_of_customer_ar' as measure,
        overdue_share_of_customer_ar as measure_value
    from inputs
    union all
    select
        customer_id,
        'share_of_total_overdue' as measure,
        share_of_total_overdue as measure_value
    from inputs
),

banded as (
    select
        measures.customer_id,
        measures.measure,
        max(bands.score) as score
    from measures
    inner join bands
        on
            measures.measure = bands.measure
            and measures.measure_value >= bands.min_value
            and (bands.max_value is null or measures.measure_value < bands.max_value)
    group by measures.customer_id, measures.measure
),

scored as (
    select
        inputs.*,
        case
            when inputs.max_days_past_due is not null
                then max(case when banded.measure = 'max_days_past_due' then banded.score end)
            when inputs.days_since_last_overdue is not null
                then max(case when banded.measure = 'days_since_last_overdue' then banded.score end)
            else 1
        end as recency_score,
        max(case when banded.measure = 'overdue_episodes' then banded.score end) as frequency_score,
        case
            when inputs.ar_total_rc > 0
                then max(
                    case
                        when
                            banded.measure in ('overdue_share_of_customer_ar', 'share_of_total_overdue')
                            then banded.score
                    end
                )
            else 1
        end as amount_score
    from inputs
    left join banded
        on inputs.customer_id = banded.customer_id
    group by
        inputs.as_of_date,
        inputs.customer_id,
        inputs.max_days_past_due,
        inputs.days_since_last_overdue,
        inputs.overdue_episodes,
        inputs.ar_total_rc,
        inputs.ar_overdue_rc,
        inputs.total_overdue_rc,
        inputs.overdue_share_of_customer_ar,
        inputs.share_of_total_overdue
),

totalled as (
    select
        scored.*,
        scored.recency_score + scored.frequency_score + scored.amount_score as rfa_total_score
    from scored
),

segment_matches as (
    select
        totalled.customer_id,
        segments.rfa_segment,
        row_number() over (partition by totalled.customer_id order by segments.priority) as match_rank
    from totalled
    inner join segments
        on
            totalled.recency_score between segments.min_recency_score and segments.max_recency_score
            and totalled.frequency_score between segments.min_frequency_score and segments.max_frequency_score
            and totalled.amount_score between segments.min_amount_score and segments.max_amount_score
),

final as (
    select
        -- ids
        totalled.as_of_date,
        totalled.customer_id,
        -- scores
        totalled.recency_score,
        totalled.frequency_score,
        totalled.amount_score,
        totalled.rfa_total_score,
        grades.risk_grade,
        segment_matches.rfa_segment,
        -- measures
        totalled.max_days_past_due,
        totalled.days_since_last_overdue,
        totalled.overdue_episodes,
        totalled.overdue_share_of_customer_ar,
        totalled.share_of_total_overdue,
        totalled.ar_total_rc,
        totalled.ar_overdue_rc
    from totalled
    left join grades
        on totalled.rfa_total_score between grades.min_total_score and grades.max_total_score
    left join segment_matches
        on
            totalled.customer_id = segment_matches.customer_id
            and segment_matches.match_rank = 1
)

select * from final
