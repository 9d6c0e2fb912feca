-- Expected collections per period after the as-of date, from the documents'
-- predicted pay dates (invoice_risk_scores.predicted_pay_date = as-of date +
-- pay_days_p50):
--   expected_collections_rc(period) = sum over documents whose predicted pay
--       date falls in the period of open_amount_rc x (1 - pd_default)
--   documents more than 365 days past due are doubtful and left out.
-- Periods (macro cash_forecast_periods): weeks 1..var cash_forecast_weeks (13)
-- of 7 days from the day after the as-of date; months 1..var
-- cash_forecast_months (3), calendar months, after month 0 = the rest of the
-- current month when the as-of date is not a month-end.
with

invoices as (
    select * from {{ ref('invoice_risk_scores') }}
    where
        as_of_date = {{ as_of_date() }}
        and days_past_due <= 365
),

periods as (
    {{ cash_forecast_periods(var('cash_forecast_weeks'), var('cash_forecast_months')) }}
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        periods.period_type,
        periods.period_number,
        -- dates
        periods.period_start,
        periods.period_end,
        -- amounts
        cast(coalesce(sum(invoices.open_amount_rc * (1 - invoices.pd_default)), 0) as decimal(18, 2))
            as expected_collections_rc,
        cast(coalesce(sum(invoices.open_amount_rc), 0) as decimal(18, 2)) as open_amount_due_rc,
        count(invoices.invoice_id) as invoice_count,
        -- models
        max(invoices.model_version_pd_default) as model_version_pd_default,
        max(invoices.model_version_p_paid_30d) as model_version_p_paid_30d
    from periods
    left join invoices
        on invoices.predicted_pay_date between periods.period_start and periods.period_end
    group by periods.period_type, periods.period_number, periods.period_start, periods.period_end
)

select * from final
