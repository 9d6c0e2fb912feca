-- The collection worklist: one row per customer and recommended action for
-- the as-of date (docs/collections.md). Built from int_collection_items:
--   priority_score = sum over the row's invoices of
--       pd_default x open amount (reporting currency) x severity weight of the stage
--   worklist_rank  = 1 for the highest priority score (ties, e.g. rows of documents in
--                    default only, which score 0: the larger overdue amount, then customer_id, action_code)
-- The contact is planned for the first day after the as-of date, or later when
--   - the action follows the customer's payment habit (reminder pay_habit_lead_days before the habit day),
--   - the customer's weekly contact cap (contact_policies by tier) is used up,
-- then moved to the next working day of the customer's country (contact_calendar)
-- and given the channel's window clipped to the hours outside quiet hours, in the
-- contact's time zone. Disputed invoices go to dispute_resolution; invoices under an
-- active promise are not worklisted. Incremental by as_of_date: history feeds
-- strategy_effectiveness and is kept for worklist_history_days.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook=["{{ prune_collection_history() }}"],
    )
}}

with

plan as (
    select * from {{ ref('int_collection_worklist_plan') }}
),

slots as (
    select * from {{ ref('int_collection_contact_slots') }}
),

stages as (
    select * from {{ ref('collection_stages') }}
),

templates as (
    select * from {{ ref('message_templates') }}
),

owners as (
    select * from {{ ref('int_collection_customer_owners') }}
),

contact_windows as (
    select
        plan.*,
        slots.contact_status as slot_contact_status,
        slots.contact_date,
        slots.contact_window_start_local,
        slots.contact_window_end_local,
        slots.contact_window_start_utc,
        slots.contact_window_end_utc,
        cast(round(plan.open_amount_rc * (1 - coalesce(plan.discount_rate, 0)), 2) as decimal(18, 2))
            as target_amount_rc,
        {{ add_days('slots.working_date', 'coalesce(plan.discount_days, plan.target_days)') }} as target_date
    from plan
    inner join slots
        on
            plan.customer_id = slots.customer_id
            and plan.action_code = slots.action_code
),

-- The template of the row's action (else '*') with the highest min_days_past_due not above its days past due.
template_choice as (
    select
        contact_windows.customer_id,
        contact_windows.action_code,
        templates.language,
        templates.subject,
        templates.body,
        row_number() over (
            partition by contact_windows.customer_id, contact_windows.action_code, templates.language
            order by
                case when templates.action_code = '*' then 1 else 0 end,
                templates.min_days_past_due desc
        ) as template_rank
    from contact_windows
    inner join templates
        on
            templates.action_code in ('*', contact_windows.action_code)
            and contact_windows.max_days_past_due >= templates.min_days_past_due
    -- a message only for a contact that may be made (not internal, do-not-contact or without a window)
    where contact_windows.slot_contact_status in ('scheduled', 'no_contact_on_file')
),

{% set placeholders = {
    'customer_name': 'contact_windows.customer_name',
    'contact_name': "coalesce(contact_windows.contact_name, contact_windows.customer_name)",
    'invoice_count': 'contact_windows.invoice_count',
    'amount': 'cast(contact_windows.open_amount_rc as decimal(18, 2))',
    'currency': 'contact_windows.reporting_currency',
    'oldest_due_date': 'contact_windows.oldest_due_date',
    'days_past_due': 'greatest(contact_windows.max_days_past_due, 0)',
    'target_amount': 'contact_windows.target_amount_rc',
    'target_date': 'contact_windows.target_date',
    'owner_name': 'owners.owner_name',
    'discount_pct': 'cast(round(100 * contact_windows.discount_rate, 1) as decimal(18, 1))',
    'discount_days': 'contact_windows.discount_days',
} %}

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        contact_windows.customer_id,
        contact_windows.action_code,
        cast(row_number() over (
            order by
                contact_windows.priority_score desc, contact_windows.overdue_amount_rc desc,
                contact_windows.customer_id asc, contact_windows.action_code asc
        ) as integer) as worklist_rank,
        -- attributes
        contact_windows.customer_name,
        contact_windows.region,
        contact_windows.country_code,
        contact_windows.customer_tier,
        contact_windows.archetype,
        contact_windows.risk_level,
        contact_windows.collection_stage,
        contact_windows.action_label_en,
        contact_windows.action_label_zh,
        contact_windows.rule_id,
        'stage:' || contact_windows.collection_stage
        || ';risk:' || contact_windows.risk_level
        || ';tier:' || contact_windows.customer_tier
        || ';archetype:' || coalesce(contact_windows.archetype, 'none')
        || ';rule:' || contact_windows.rule_id
        || case when contact_windows.escalation_steps > 0 then ';broken_promise' else '' end
        || case
            when contact_windows.reason_code_1 is not null then ';model:' || contact_windows.reason_code_1 else ''
        end
            as reason_codes,
        stages.label_en
        || ', risk ' || contact_windows.risk_level
        || case when contact_windows.escalation_steps > 0 then ', promise broken: escalated one stage' else '' end
        || case
            when contact_windows.model_reasons_en is not null then '; ' || contact_windows.model_reasons_en else ''
        end
            as reasons_en,
        stages.label_zh
        || '，风险' || contact_windows.risk_level
        || case when contact_windows.escalation_steps > 0 then '，付款承诺未兑现：升级一级' else '' end
        || case
            when contact_windows.model_reasons_zh is not null then '；' || contact_windows.model_reasons_zh else ''
        end
            as reasons_zh,
        contact_windows.owner_role,
        owners.owner_id,
        owners.owner_name,
        contact_windows.slot_contact_status as contact_status,
        contact_windows.channel,
        contact_windows.contact_id,
        contact_windows.phone_masked,
        contact_windows.email_masked,
        contact_windows.contact_timezone,
        contact_windows.invoices_covered,
        cast(contact_windows.invoice_count as integer) as invoice_count,
        contact_windows.reporting_currency,
        -- amounts
        cast(round(contact_windows.priority_score, 2) as decimal(18, 2)) as priority_score,
        cast(contact_windows.open_amount_rc as decimal(18, 2)) as open_amount_rc,
        cast(contact_windows.overdue_amount_rc as decimal(18, 2)) as overdue_amount_rc,
        cast(contact_windows.expected_loss_rc as decimal(18, 2)) as expected_loss_rc,
        contact_windows.target_amount_rc,
        cast(contact_windows.max_days_past_due as integer) as max_days_past_due,
        cast(contact_windows.contacts_last_7_days as integer) as contacts_last_7_days,
        cast(contact_windows.max_contacts_per_week as integer) as max_contacts_per_week,
        contact_windows.habit_day as pay_habit_day,
        -- dates
        contact_windows.oldest_due_date,
        contact_windows.contact_date,
        contact_windows.contact_window_start_local,
        contact_windows.contact_window_end_local,
        contact_windows.contact_window_start_utc,
        contact_windows.contact_window_end_utc,
        contact_windows.target_date,
        -- messages
        {{ fill_template('template_en.subject', placeholders) }} as message_subject_en,
        {{ fill_template('template_en.body', placeholders) }} as message_en,
        {{ fill_template('template_zh.subject', placeholders) }} as message_subject_zh,
        {{ fill_template('template_zh.body', placeholders) }} as message_zh
    from contact_windows
    inner join stages
        on contact_windows.collection_stage = stages.collection_stage
    left join owners
        on
            contact_windows.customer_id = owners.customer_id
            and contact_windows.owner_role = owners.owner_role
    left join template_choice as template_en
        on
            contact_windows.customer_id = template_en.customer_id
            and contact_windows.action_code = template_en.action_code
            and template_en.language = 'en'
            and template_en.template_rank = 1
    left join template_choice as template_zh
        on
            contact_windows.customer_id = template_zh.customer_id
            and contact_windows.action_code = template_zh.action_code
            and template_zh.language = 'zh-CN'
            and template_zh.template_rank = 1
)

select * from final
