-- Every parameter the analytics models read must be in the analytics_parameters
-- seed exactly once and within its sensible range; an unknown one is a typo.
-- Returns one row per problem, naming the parameter.
{%- set expected_parameters = [
    ('dso_period_days', 1, 366),
    ('countback_max_months', 1, 60),
    ('collection_window_days', 1, 366),
    ('bad_debt_min_share_of_document', 0, 1),
    ('rfa_frequency_window_days', 1, 3660),
    ('rfa_grace_days', 0, 365),
    ('behaviour_window_days', 30, 3660),
    ('behaviour_recent_days', 30, 1830),
    ('archetype_cash_strapped_lateness_rise_days', 0, 3660),
    ('archetype_cash_strapped_max_limit_ratio', 0, 1),
    ('archetype_cash_strapped_min_days_past_due', 0, 3660),
    ('archetype_legacy_min_days_past_due', 0, 3660),
    ('archetype_legacy_max_avg_days_late', -365, 3660),
    ('archetype_delayer_min_avg_days_late', 0, 3660),
    ('archetype_strategic_max_avg_days_late', -365, 3660),
    ('archetype_grower_max_tenure_days', 1, 36600),
    ('archetype_grower_min_sales_growth', 0, 1000),
    ('archetype_grower_min_limit_ratio', 0, 1000),
    ('tier_core_sales_percentile', 0, 1),
    ('report_rate_ranking_min_ar_rc', 0, 1000000000000),
    ('ml_label_grace_days', 0, 365),
    ('ml_bad_debt_label_days', 1, 3660),
    ('ml_recent_window_days', 30, 1830),
    ('ml_observation_cadence_months', 0, 12),
    ('ml_paid_horizon_days', 1, 366),
    ('ml_default_horizon_months', 1, 60),
    ('ecl_default_lgd', 0, 1),
    ('ecl_min_defaults_for_lgd', 1, 1000000),
    ('ecl_roll_rate_months', 1, 60),
    ('ecl_workout_months', 1, 120),
    ('history_month_ends', 0, 60),
] %}

{{ config(store_failures=true) }}

with

expected as (
    {%- for name, low, high in expected_parameters %}
        select
            '{{ name }}' as parameter,
            {{ low }} as min_value,
            {{ high }} as max_value
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

configured as (
    select
        parameter,
        value,
        count(*) over (partition by parameter) as copies
    from {{ ref('analytics_parameters') }}
)

select
    coalesce(expected.parameter, configured.parameter) as parameter,
    configured.value,
    case
        when configured.parameter is null then 'missing from seeds/analytics_parameters.csv'
        when expected.parameter is null then 'unknown parameter (typo?)'
        when configured.copies > 1 then 'listed more than once'
        when configured.value is null then 'no value'
        else
            'value outside ['
            || cast(expected.min_value as varchar)
            || ', '
            || cast(expected.max_value as varchar)
            || ']'
    end as problem
from expected
full outer join configured
    on expected.parameter = configured.parameter
where
    configured.parameter is null
    or expected.parameter is null
    or configured.copies > 1
    or configured.value is null
    or configured.value < expected.min_value
    or configured.value > expected.max_value
