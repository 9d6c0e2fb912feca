-- Anomalous receipts (policy 003 §7.3; docs/metrics.md, "Anomalous receipts"): the
-- receipts of the as-of date's review windows that break the customer's habit, one
-- row per receipt with at least one flag. Checks, thresholds and windows: seed
-- receipt_anomaly_rules (checked by ar_risk.collections.receipt_anomalies).
--   large_amount     robust_z = (amount - median) / (MAD / 0.6745), median and MAD of the
--                    customer's earlier receipts in the same currency (payment_date before this
--                    one's: point in time); when MAD = 0, the scale is 1.253314 x the mean
--                    absolute deviation; when that is 0 too (a constant history), any amount
--                    above the median is flagged. Flagged when robust_z >= threshold and the
--                    customer has >= min_history_receipts earlier receipts (fewer: not judged).
--   non_working_day  the payment date is not a working day of the company's country
--                    (reference.contact_calendar, the collections' own calendar).
--   unapplied        part of the amount is still not applied to any document (int_unapplied_credits)
--                    threshold days or more after the receipt date.
-- Window: a receipt is listed while its event is within the check's review_window_days up to the
-- as-of date (dated then; unapplied: reached its threshold then). flagged_since is the first day a
-- flag held, which alerts.sql uses to alert each receipt once.
-- No payer check: the source contract's erp_payments has no payer column (logged below).
-- Incremental by as_of_date: a rerun of a date replaces it.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook=["{{ prune_collection_history() }}"],
    )
}}
{%- if execute and model.resource_type == 'model' %}
    {{- log('fct_receipt_anomalies: third_party_payer not checked (erp_payments has no payer column)', info=True) }}
{%- endif %}

with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

rules as (
    select * from {{ ref('receipt_anomaly_rules') }}
),

-- the seed's rows as one typed row
checks as (
    select
        -- large_amount
        coalesce(bool_or(check_code = 'large_amount' and is_enabled), false) as large_amount_enabled,
        max(case when check_code = 'large_amount' then threshold end) as robust_z_threshold,
        max(case when check_code = 'large_amount' then min_history_receipts end) as min_history_receipts,
        max(case when check_code = 'large_amount' then review_window_days end) as large_amount_window_days,
        -- non_working_day
        coalesce(bool_or(check_code = 'non_working_day' and is_enabled), false) as non_working_day_enabled,
        max(case when check_code = 'non_working_day' then review_window_days end) as non_working_day_window_days,
        -- unapplied
        coalesce(bool_or(check_code = 'unapplied' and is_enabled), false) as unapplied_enabled,
        max(case when check_code = 'unapplied' then cast(threshold as integer) end) as unapplied_after_days,
        max(case when check_code = 'unapplied' then review_window_days end) as unapplied_window_days
    from rules
),

receipts as (
    select * from {{ ref('stg_erp__payments') }}
    where payment_date <= {{ as_of_date() }}
),

customers as (
    select * from {{ ref('dim_customers') }}
    where as_of_date = {{ as_of_date() }}
),

calendar as (
    select * from {{ ref('stg_reference__contact_calendar_days') }}
),

unapplied_receipts as (
    select * from {{ ref('int_unapplied_credits') }}
    where credit_type = 'receipt'
),

-- receipts dated within the amount or the working-day check's window
recent_receipts as (
    select receipts.*
    from receipts
    cross join checks
    where
        {{ as_of_date() }} - receipts.payment_date
        < greatest(checks.large_amount_window_days, checks.non_working_day_window_days)
),

-- each recent receipt's history: the same customer's earlier receipts in its currency
history as (
    select
        recent_receipts.payment_id,
        cast(earlier.payment_amount as double precision) as history_amount
    from recent_receipts
    inner join receipts as earlier
        on
            recent_receipts.customer_id = earlier.customer_id
            and recent_receipts.currency = earlier.currency
            and recent_receipts.payment_date > earlier.payment_date
),

history_median as (
    select
        payment_id,
        count(*) as history_receipts,
        percentile_cont(0.5) within group (order by history_amount) as median_amount
    from history
    group by payment_id
),

history_spread as (
    select
        history.payment_id,
        percentile_cont(0.5) within group (
            order by abs(history.history_amount - history_median.median_amount)
        ) as mad_amount,
        avg(abs(history.history_amount - history_median.median_amount)) as mean_absolute_deviation
    from history
    inner join history_median
        on history.payment_id = history_median.payment_id
    group by history.payment_id
),

amount_scores as (
    select
        history_median.payment_id,
        history_median.history_receipts,
        history_median.median_amount,
        history_spread.mad_amount,
        case
            when history_spread.mad_amount > 0 then history_spread.mad_amount / 0.6745
            when history_spread.mean_absolute_deviation > 0 then 1.253314 * history_spread.mean_absolute_deviation
        end as amount_scale
    from history_median
    inner join history_spread
        on history_median.payment_id = history_spread.payment_id
),

candidates as (
    select
        receipts.payment_id,
        receipts.customer_id,
        receipts.currency,
        receipts.payment_method,
        receipts.payment_amount,
        receipts.payment_date,
        {{ as_of_date() }} - receipts.payment_date as days_since_receipt,
        amount_scores.history_receipts,
        amount_scores.median_amount,
        amount_scores.mad_amount,
        amount_scores.amount_scale,
        (cast(receipts.payment_amount as double precision) - amount_scores.median_amount)
        / amount_scores.amount_scale as robust_z,
        calendar.is_working_day,
        calendar.holiday_name,
        unapplied_receipts.unapplied_amount,
        checks.*
    from receipts
    cross join checks
    cross join params
    left join amount_scores
        on receipts.payment_id = amount_scores.payment_id
    left join calendar
        on
            params.company_country = calendar.country_code
            and receipts.payment_date = calendar.calendar_date
    left join unapplied_receipts
        on receipts.payment_id = unapplied_receipts.credit_id
    where
        {{ as_of_date() }} - receipts.payment_date
        < greatest(checks.large_amount_window_days, checks.non_working_day_window_days)
        or unapplied_receipts.credit_id is not null
),

flagged as (
    select
        candidates.*,
        coalesce(
            candidates.large_amount_enabled
            and candidates.days_since_receipt < candidates.large_amount_window_days
            and candidates.history_receipts >= candidates.min_history_receipts
            and (
                candidates.robust_z >= candidates.robust_z_threshold
                or (candidates.amount_scale is null and candidates.payment_amount > candidates.median_amount)
            ),
            false
        ) as is_large_amount,
        coalesce(
            candidates.non_working_day_enabled
            and candidates.days_since_receipt < candidates.non_working_day_window_days
            and not candidates.is_working_day,
            false
        ) as is_non_working_day,
        coalesce(
            candidates.unapplied_enabled
            and candidates.unapplied_amount > 0
            and candidates.days_since_receipt >= candidates.unapplied_after_days
            and candidates.days_since_receipt - candidates.unapplied_after_days < candidates.unapplied_window_days,
            false
        ) as is_unapplied_too_long
    from candidates
),

anomalies as (
    select * from flagged
    where is_large_amount or is_non_working_day or is_unapplied_too_long
),

{% set reason_values = {
    'amount': format_amount('anomalies.payment_amount'), 'currency': 'anomalies.currency',
    'robust_z': 'cast(round(cast(anomalies.robust_z as decimal(18, 6)), 1) as decimal(18, 1))',
    'median_amount': format_amount('anomalies.median_amount'),
    'history_receipts': 'anomalies.history_receipts', 'payment_date': 'anomalies.payment_date',
    'unapplied_amount': format_amount('anomalies.unapplied_amount'),
    'days_unapplied': 'anomalies.days_since_receipt',
} %}

reasons as (
    select
        anomalies.payment_id,
        rules.check_code,
        {{ fill_template('rules.reason_en', dict(reason_values,
            holiday_name="coalesce(anomalies.holiday_name, 'weekend')",
            threshold='case when rules.check_code = \'unapplied\' then cast(cast(rules.threshold as integer) as '
                ~ dbt.type_string() ~ ') else cast(cast(rules.threshold as decimal(18, 1)) as '
                ~ dbt.type_string() ~ ') end')) }} as reason_en,
        {{ fill_template('rules.reason_zh', dict(reason_values,
            holiday_name="coalesce(anomalies.holiday_name, '周末')",
            threshold='case when rules.check_code = \'unapplied\' then cast(cast(rules.threshold as integer) as '
                ~ dbt.type_string() ~ ') else cast(cast(rules.threshold as decimal(18, 1)) as '
                ~ dbt.type_string() ~ ') end')) }} as reason_zh
    from anomalies
    inner join rules
        on
            (rules.check_code = 'large_amount' and anomalies.is_large_amount)
            or (rules.check_code = 'non_working_day' and anomalies.is_non_working_day)
            or (rules.check_code = 'unapplied' and anomalies.is_unapplied_too_long)
),

-- one text per language, the checks in the seed's order of codes (large_amount, non_working_day, unapplied)
reason_texts as (
    select
        payment_id,
        max(case when check_code = 'large_amount' then reason_en end) as large_amount_en,
        max(case when check_code = 'large_amount' then reason_zh end) as large_amount_zh,
        max(case when check_code = 'non_working_day' then reason_en end) as non_working_day_en,
        max(case when check_code = 'non_working_day' then reason_zh end) as non_working_day_zh,
        max(case when check_code = 'unapplied' then reason_en end) as unapplied_en,
        max(case when check_code = 'unapplied' then reason_zh end) as unapplied_zh
    from reasons
    group by payment_id
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        anomalies.payment_id,
        anomalies.customer_id,
        -- attributes
        customers.customer_name,
        anomalies.currency,
        anomalies.payment_method,
        concat_ws(
            ';',
            case when anomalies.is_large_amount then 'large_amount' end,
            case when anomalies.is_non_working_day then 'non_working_day' end,
            case when anomalies.is_unapplied_too_long then 'unapplied' end
        ) as reason_codes,
        cast(
            case when anomalies.is_large_amount then 1 else 0 end
            + case when anomalies.is_non_working_day then 1 else 0 end
            + case when anomalies.is_unapplied_too_long then 1 else 0 end as integer
        ) as anomaly_count,
        anomalies.is_large_amount,
        anomalies.is_non_working_day,
        anomalies.is_unapplied_too_long,
        concat_ws(' ', reason_texts.large_amount_en, reason_texts.non_working_day_en, reason_texts.unapplied_en)
            as reasons_en,
        concat_ws('', reason_texts.large_amount_zh, reason_texts.non_working_day_zh, reason_texts.unapplied_zh)
            as reasons_zh,
        anomalies.holiday_name,
        -- amounts
        cast(anomalies.payment_amount as decimal(18, 2)) as payment_amount,
        cast(anomalies.history_receipts as integer) as history_receipts,
        cast(anomalies.median_amount as decimal(18, 2)) as median_amount,
        cast(anomalies.mad_amount as decimal(18, 2)) as mad_amount,
        cast(round(cast(anomalies.robust_z as decimal(38, 6)), 2) as decimal(18, 2)) as robust_z,
        cast(anomalies.robust_z_threshold as decimal(18, 2)) as robust_z_threshold,
        cast(anomalies.unapplied_amount as decimal(18, 2)) as unapplied_amount,
        -- dates
        anomalies.payment_date,
        cast(anomalies.days_since_receipt as integer) as days_since_receipt,
        case
            when anomalies.is_large_amount or anomalies.is_non_working_day then anomalies.payment_date
            else {{ add_days('anomalies.payment_date', 'anomalies.unapplied_after_days') }}
        end as flagged_since
    from anomalies
    inner join reason_texts
        on anomalies.payment_id = reason_texts.payment_id
    left join customers
        on anomalies.customer_id = customers.customer_id
)

select * from final
