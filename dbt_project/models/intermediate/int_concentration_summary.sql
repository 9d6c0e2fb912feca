-- How concentrated open AR is, per as-of date and scope (company, region,
-- industry), from int_concentration_ranked. Read by agg_ar_kpis.
--   top10_share       = open AR of the 10 largest customers / scope open AR
--   top50_share       = the same for the 50 largest
--   hhi               = sum over customers of share_of_open_ar^2, on a 0-1
--                       scale (1 = one customer holds everything; x 10,000
--                       for the antitrust-style 0-10,000 scale)
--   customers_for_80_pct = the fewest customers whose open AR reaches 80% of
--                       the scope's: the first rank whose cumulative open AR
--                       >= 0.8 x scope open AR (compared in amounts, not in
--                       rounded shares)
with

ranked as (
    select * from {{ ref('int_concentration_ranked') }}
),

final as (
    select
        -- ids
        as_of_date,
        scope_type,
        scope_id,
        -- counts
        cast(count(*) as integer) as customer_count,
        cast(min(case when cumulative_open_amount_rc >= 0.8 * scope_open_ar_rc then customer_rank end) as integer)
            as customers_for_80_pct,
        -- amounts
        cast(max(scope_open_ar_rc) as decimal(18, 2)) as total_open_ar_rc,
        -- shares
        cast(
            sum(case when customer_rank <= 10 then open_amount_rc else 0 end) / max(scope_open_ar_rc)
            as decimal(18, 10)
        ) as top10_share,
        cast(
            sum(case when customer_rank <= 50 then open_amount_rc else 0 end) / max(scope_open_ar_rc)
            as decimal(18, 10)
        ) as top50_share,
        cast(
            sum((open_amount_rc / scope_open_ar_rc) * (open_amount_rc / scope_open_ar_rc))
            as decimal(18, 10)
        ) as hhi
    from ranked
    group by as_of_date, scope_type, scope_id
)

select * from final
