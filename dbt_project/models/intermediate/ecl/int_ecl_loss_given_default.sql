-- The loss given default (LGD) of the expected credit loss, one row for the
-- as-of date, from the book's own history (int_ecl_defaults) or the finance
-- default in seed analytics_parameters:
--   lgd_history = (sum(written_off_after_default_rc) + sum(open_after_default_rc
--                 of the defaults not resolved)) / sum(exposure_at_default_rc)
--                 over the worked-out defaults: resolved (paid or written off
--                 by the as-of date), or in default for ecl_workout_months or
--                 more, whose still-open part counts as lost (a workout LGD:
--                 counting resolved defaults only would leave out the debts
--                 nobody pays, and lean to the ones settled early)
--   lgd = lgd_history when there are write-offs in the ledger and at least
--         ecl_min_defaults_for_lgd worked-out defaults; else ecl_default_lgd.
-- lgd_source ('history' | 'parameter') and lgd_reason say which and why; a
-- ledger without write-offs (erp_writeoffs absent or empty) uses the default,
-- never fails.
with

parameters as (
    select
        {{ analytics_parameter('ecl_default_lgd', 'decimal(18, 6)') }} as default_lgd,
        {{ analytics_parameter('ecl_min_defaults_for_lgd') }} as min_defaults
),

writeoffs as (
    select count(*) as writeoff_rows from {{ ref('stg_erp__writeoffs') }}
),

history as (
    select
        count(*) as worked_out_defaults,
        coalesce(sum(exposure_at_default_rc), 0) as exposure_at_default_rc,
        coalesce(sum(written_off_after_default_rc), 0) as written_off_after_default_rc,
        coalesce(sum(case when not is_resolved then open_after_default_rc else 0 end), 0) as open_after_workout_rc
    from {{ ref('int_ecl_defaults') }}
    where is_resolved or is_worked_out
),

chosen as (
    select
        history.worked_out_defaults,
        history.exposure_at_default_rc,
        history.written_off_after_default_rc,
        history.open_after_workout_rc,
        parameters.default_lgd,
        parameters.min_defaults,
        writeoffs.writeoff_rows,
        case
            when history.exposure_at_default_rc > 0
                then
                    round(
                        cast(
                            (history.written_off_after_default_rc + history.open_after_workout_rc)
                            / history.exposure_at_default_rc as decimal(18, 6)
                        ),
                        6
                    )
        end as lgd_history,
        writeoffs.writeoff_rows > 0
        and history.worked_out_defaults >= parameters.min_defaults
        and history.exposure_at_default_rc > 0 as use_history
    from history
    cross join parameters
    cross join writeoffs
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        -- measures
        cast(case when use_history then lgd_history else default_lgd end as decimal(18, 6)) as lgd,
        case when use_history then 'history' else 'parameter' end as lgd_source,
        case
            when use_history
                then
                    cast(worked_out_defaults as varchar) || ' worked-out defaults: '
                    || cast(written_off_after_default_rc as varchar) || ' written off and '
                    || cast(open_after_workout_rc as varchar) || ' still open after the workout period, of '
                    || cast(exposure_at_default_rc as varchar) || ' open at default'
            when writeoff_rows = 0
                then 'no write-offs in the ledger (erp_writeoffs absent or empty): ecl_default_lgd'
            else
                'only ' || cast(worked_out_defaults as varchar)
                || ' worked-out defaults (fewer than ecl_min_defaults_for_lgd '
                || cast(min_defaults as varchar) || '): ecl_default_lgd'
        end as lgd_reason,
        cast(lgd_history as decimal(18, 6)) as lgd_history,
        worked_out_defaults,
        cast(exposure_at_default_rc as decimal(18, 2)) as exposure_at_default_rc,
        cast(written_off_after_default_rc as decimal(18, 2)) as written_off_after_default_rc,
        cast(open_after_workout_rc as decimal(18, 2)) as open_after_workout_rc
    from chosen
)

select * from final
