-- The collection parameters (seed collection_parameters, checked by
-- ar_risk.collections.strategy before the build) as one typed row.
with

parameters as (
    select * from {{ ref('collection_parameters') }}
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        {% for name in ['cross_department_days', 'dispute_sla_days', 'alert_repeat_after_days',
                        'promise_tolerance_days', 'broken_promise_lookback_days', 'pay_habit_window_days', 'pay_habit_min_payments',
                        'pay_habit_tolerance_days', 'pay_habit_lead_days', 'effectiveness_window_days',
                        'worklist_history_days', 'rep_daily_capacity'] -%}
            max(case when parameter = '{{ name }}' then cast(value as integer) end) as {{ name }},
        {% endfor -%}
        {% for name in ['late_payment_window_days', 'late_payment_grace_days', 'late_payment_min_payments',
                        'digest_top_items'] -%}
            max(case when parameter = '{{ name }}' then cast(value as integer) end) as {{ name }},
        {% endfor -%}
        max(case when parameter = 'late_payment_max_share' then cast(value as decimal(18, 6)) end)
            as late_payment_max_share,
        max(case when parameter = 'pay_habit_min_share' then cast(value as decimal(18, 6)) end) as pay_habit_min_share,
        max(case when parameter = 'success_min_collected_share' then cast(value as decimal(18, 6)) end)
            as success_min_collected_share,
        max(case when parameter = 'prevention_min_risk_level' then value end) as prevention_min_risk_level,
        max(case when parameter = 'quiet_hours_start' then cast(value || ':00' as time) end) as quiet_hours_start,
        max(case when parameter = 'quiet_hours_end' then cast(value || ':00' as time) end) as quiet_hours_end,
        max(case when parameter = 'company_timezone' then value end) as company_timezone,
        max(case when parameter = 'company_country' then value end) as company_country,
        max(case when parameter = 'ar_team_name_en' then value end) as ar_team_name_en,
        max(case when parameter = 'ar_team_name_zh' then value end) as ar_team_name_zh
    from parameters
)

select * from final
