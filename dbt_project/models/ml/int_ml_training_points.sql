-- The training set's features: every debit document observed over its life,
--   issue:     at its invoice date;
--   month_end: at every month-end after it while it is open at that date (not
--              closed before it), up to the as-of date, for the months whose
--              number (year x 12 + month) is a multiple of
--              ml_observation_cadence_months (1 every month-end, 3 quarter-
--              ends; 0 the issue date only).
-- A feature at observation date d counts only changes dated before d
-- (int_ml_customer_changes): in each customer's timeline the observation
-- sorts before the day's changes, and the running totals stop there; each
-- family of measures is summed in its own pass (macro ml_running_totals),
-- once per customer and observation date.
-- Built for the monthly retraining (tag ml_training), not by the daily build.
-- Formulas shared with int_ml_scoring_points (macro
-- ml_features_at_observation); list and meanings in seeds/ml_features.csv
-- and docs/model.md.
{{ config(tags=['ml_training']) }}

with

outcomes as (
    select * from {{ ref('int_ml_document_outcomes') }}
),

parameters as (
    select {{ analytics_parameter('ml_observation_cadence_months') }} as cadence_months
),

-- 0-999: months after the issue month (a portable number table)
digits as (
    {%- for digit in range(10) %}
        select {{ digit }} as digit
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

month_offsets as (
    select ones.digit + 10 * tens.digit + 100 * hundreds.digit as month_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
),

-- the last day a month-end observation can fall on: the as-of date, or the
-- day the document was closed (closed on d: still open at d)
document_spans as (
    select
        invoice_id,
        invoice_date,
        cast(date_trunc('month', invoice_date) as date) as invoice_month_start,
        coalesce(closed_date, {{ as_of_date() }}) as last_observable_date,
        (
            extract(year from coalesce(closed_date, {{ as_of_date() }})) * 12
            + extract(month from coalesce(closed_date, {{ as_of_date() }}))
        )
        - (extract(year from invoice_date) * 12 + extract(month from invoice_date)) as months_open
    from outcomes
),

month_ends as (
    select
        document_spans.invoice_id,
        document_spans.invoice_date,
        document_spans.last_observable_date,
        cast(
            {{ dbt.dateadd('month', 'month_offsets.month_offset + 1', 'document_spans.invoice_month_start') }} as date
        ) - 1 as observation_date
    from document_spans
    inner join month_offsets
        on document_spans.months_open >= month_offsets.month_offset
),

observation_dates as (
    select
        invoice_id,
        invoice_date as observation_date,
        'issue' as observation_kind
    from outcomes
    union all
    select
        month_ends.invoice_id,
        month_ends.observation_date,
        'month_end' as observation_kind
    from month_ends
    cross join parameters
    where
        parameters.cadence_months > 0
        and month_ends.observation_date > month_ends.invoice_date
        and month_ends.observation_date <= month_ends.last_observable_date
        -- greatest: PostgreSQL may evaluate mod before the cadence test
        and mod(
            cast(
                extract(year from month_ends.observation_date) * 12
                + extract(month from month_ends.observation_date) as integer
            ),
            greatest(parameters.cadence_months, 1)
        ) = 0
),

observations as (
    select
        'training' as purpose,
        outcomes.customer_id,
        outcomes.invoice_id,
        observation_dates.observation_date,
        observation_dates.observation_kind,
        outcomes.document_amount_rc,
        cast(null as decimal(18, 2)) as open_amount_rc,
        outcomes.invoice_date,
        outcomes.due_date
    from observation_dates
    inner join outcomes
        on observation_dates.invoice_id = outcomes.invoice_id
),

-- the running totals are the customer's: once per customer and date
customer_observation_dates as (
    select distinct
        customer_id,
        observation_date
    from observations
),

{%- set families = ml_measure_families() %}

{% for family, measures in families.items() -%}
    {{ family }}_totals as (
        {{ ml_running_totals('customer_observation_dates', measures) }}
    ),

{% endfor -%}

at_observation as (
    select
        observations.purpose,
        observations.invoice_id,
        {{ ml_total_columns('training') }}
        observations.observation_date
    from observations
    {{ ml_family_joins('observations') }}
),

{{ ml_features_at_observation() }}
