-- A customer's payment habit: the day of the month around which it pays.
-- Over the receipts of the last pay_habit_window_days, for each candidate day
-- 1..31 count the receipts within pay_habit_tolerance_days of it (distance
-- around the month, so the 30th and the 2nd are 3 days apart); the best day
-- is the habit when the customer made at least pay_habit_min_payments
-- receipts and at least pay_habit_min_share of them fall near it. Ties go to
-- the day closest to the receipts (least total distance), then the earlier day.
-- Reminders are then planned pay_habit_lead_days before it.
with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

payments as (
    select * from {{ ref('stg_erp__payments') }}
),

recent as (
    select
        payments.customer_id,
        cast(extract(day from payments.payment_date) as integer) as pay_day
    from payments
    cross join params
    where
        payments.payment_date <= {{ as_of_date() }}
        and payments.payment_date > {{ add_days(as_of_date(), '-1 * params.pay_habit_window_days') }}
),

totals as (
    select
        customer_id,
        count(*) as receipts
    from recent
    group by customer_id
),

candidate_days as (
    select cast(generate_series as integer) as habit_day
    from generate_series(1, 31)
),

near as (
    select
        recent.customer_id,
        candidate_days.habit_day,
        count(*) as receipts_near,
        sum(
            least(
                abs(recent.pay_day - candidate_days.habit_day),
                31 - abs(recent.pay_day - candidate_days.habit_day)
            )
        ) as total_distance
    from recent
    cross join params
    cross join candidate_days
    where
        least(
            abs(recent.pay_day - candidate_days.habit_day),
            31 - abs(recent.pay_day - candidate_days.habit_day)
        ) <= params.pay_habit_tolerance_days
    group by recent.customer_id, candidate_days.habit_day
),

best as (
    select
        customer_id,
        habit_day,
        receipts_near,
        row_number() over (
            partition by customer_id order by receipts_near desc, total_distance asc, habit_day asc
        ) as day_rank
    from near
),

final as (
    select
        -- ids
        totals.customer_id,
        -- attributes
        best.habit_day,
        totals.receipts,
        best.receipts_near,
        cast(round(1.0 * best.receipts_near / totals.receipts, 6) as decimal(18, 6)) as habit_share
    from totals
    cross join params
    inner join best
        on
            totals.customer_id = best.customer_id
            and best.day_rank = 1
    where
        totals.receipts >= params.pay_habit_min_payments
        and 1.0 * best.receipts_near / totals.receipts >= params.pay_habit_min_share
)

select * from final
