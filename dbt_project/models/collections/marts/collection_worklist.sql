-- The collection worklist: one row per customer and recommended action for
-- the as-of date (docs/collections.md). Built from int_collection_items:
--   priority_score = sum over the row's invoices of
--       overdue probability x open amount (reporting currency) x severity weight of the stage
--   worklist_rank  = 1 for the highest priority score (ties: customer_id, action_code)
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

params as (
    select * from {{ ref('int_collection_parameters') }}
),

items as (
    select * from {{ ref('int_collection_items') }}
    where worklist_status = 'worklisted'
),

actions as (
    select * from {{ ref('collection_actions') }}
),

stages as (
    select * from {{ ref('collection_stages') }}
),

channels as (
    select * from {{ ref('contact_channels') }}
),

policies as (
    select * from {{ ref('contact_policies') }}
),

templates as (
    select * from {{ ref('message_templates') }}
),

contacts as (
    select * from {{ ref('int_collection_contacts') }}
),

owners as (
    select * from {{ ref('int_collection_customer_owners') }}
),

habits as (
    select * from {{ ref('int_customer_pay_habits') }}
),

contact_load as (
    select * from {{ ref('int_collection_contact_load') }}
),

calendar as (
    select * from {{ source('collections_reference', 'contact_calendar') }}
),

-- The invoice that leads each row: the latest ladder step, then the highest priority.
lead_items as (
    select
        items.*,
        row_number() over (
            partition by items.customer_id, items.action_code
            order by items.ladder_order desc, items.priority_points desc, items.invoice_id
        ) as lead_rank
    from items
),

grouped as (
    select
        customer_id,
        action_code,
        count(*) as invoice_count,
        {{ dbt.listagg('invoice_id', "','", 'order by due_date, invoice_id') }} as invoices_covered,
        sum(open_amount_rc) as open_amount_rc,
        sum(case when days_past_due > 0 then open_amount_rc else 0 end) as overdue_amount_rc,
        sum(expected_loss_rc) as expected_loss_rc,
        sum(priority_points) as priority_score,
        max(days_past_due) as max_days_past_due,
        min(due_date) as oldest_due_date,
        max(risk_level_order) as max_risk_level_order,
        max(escalation_steps) as escalation_steps
    from items
    group by customer_id, action_code
),

rows_with_lead as (
    select
        grouped.*,
        lead_items.customer_name,
        lead_items.region,
        lead_items.country_code,
        lead_items.customer_tier,
        lead_items.archetype,
        lead_items.risk_level,
        lead_items.collection_stage,
        lead_items.rule_id,
        lead_items.strategy_channel,
        lead_items.owner_role,
        lead_items.reporting_currency,
        lead_items.reason_code_1,
        lead_items.model_reasons_en,
        lead_items.model_reasons_zh,
        actions.action_order,
        actions.contacts_customer,
        actions.target_days,
        actions.discount_rate,
        actions.discount_days,
        actions.follows_pay_habit,
        actions.label_en as action_label_en,
        actions.label_zh as action_label_zh
    from grouped
    inner join lead_items
        on
            grouped.customer_id = lead_items.customer_id
            and grouped.action_code = lead_items.action_code
            and lead_items.lead_rank = 1
    inner join actions
        on grouped.action_code = actions.action_code
),

-- The channel the contact can be reached on: 'preferred' takes the contact's
-- own; a channel whose means (phone, e-mail) is not on record falls back to a letter.
channelled as (
    select
        rows_with_lead.*,
        contacts.contact_id,
        contacts.contact_name,
        contacts.phone_masked,
        contacts.email_masked,
        coalesce(contacts.contact_timezone, params.company_timezone) as contact_timezone,
        contacts.customer_do_not_contact,
        case
            when not rows_with_lead.contacts_customer or rows_with_lead.strategy_channel = 'internal' then 'internal'
            when contacts.customer_id is null then 'letter'
            else
                case
                    when
                        coalesce(
                            case when rows_with_lead.strategy_channel = 'preferred' then contacts.preferred_channel end,
                            case when rows_with_lead.strategy_channel = 'preferred' then 'phone' end,
                            rows_with_lead.strategy_channel
                        ) in ('phone', 'sms', 'wechat') and not contacts.has_phone then 'letter'
                    when
                        coalesce(
                            case when rows_with_lead.strategy_channel = 'preferred' then contacts.preferred_channel end,
                            case when rows_with_lead.strategy_channel = 'preferred' then 'phone' end,
                            rows_with_lead.strategy_channel
                        ) = 'email' and not contacts.has_email then 'letter'
                    else
                        coalesce(
                            case when rows_with_lead.strategy_channel = 'preferred' then contacts.preferred_channel end,
                            case when rows_with_lead.strategy_channel = 'preferred' then 'phone' end,
                            rows_with_lead.strategy_channel
                        )
                end
        end as channel,
        case
            when not rows_with_lead.contacts_customer or rows_with_lead.strategy_channel = 'internal' then 'internal'
            when coalesce(contacts.customer_do_not_contact, false) then 'do_not_contact'
            when contacts.customer_id is null then 'no_contact_on_file'
            else 'scheduled'
        end as contact_status
    from rows_with_lead
    cross join params
    left join contacts
        on rows_with_lead.customer_id = contacts.customer_id
),

-- The weekly cap counts contacts already made and this worklist's earlier (higher-priority) contacts.
sequenced as (
    select
        channelled.*,
        coalesce(contact_load.contacts_last_7_days, 0) as contacts_last_7_days,
        contact_load.first_contact_in_window,
        coalesce(tier_policy.max_contacts_per_week, default_policy.max_contacts_per_week) as max_contacts_per_week,
        case
            when channelled.contact_status = 'scheduled'
                then row_number() over (
                    partition by channelled.customer_id, channelled.contact_status
                    order by channelled.priority_score desc, channelled.action_code
                )
        end as contact_sequence
    from channelled
    left join contact_load
        on channelled.customer_id = contact_load.customer_id
    left join policies as tier_policy
        on channelled.customer_tier = tier_policy.customer_tier
    left join policies as default_policy
        on default_policy.customer_tier = '*'
),

planned as (
    select
        sequenced.*,
        {{ add_days(as_of_date(), 1) }} as earliest_date,
        -- the reminder pay_habit_lead_days before the next habit day on or after the earliest date
        case
            when sequenced.follows_pay_habit and habits.habit_day is not null
                then
                    case
                        when
                            {{ add_days("cast(date_trunc('month', " ~ add_days(as_of_date(), 1) ~ ") as date)",
                                        'habits.habit_day - 1 - params.pay_habit_lead_days') }}
                            >= {{ add_days(as_of_date(), 1) }}
                            then {{ add_days("cast(date_trunc('month', " ~ add_days(as_of_date(), 1) ~ ") as date)",
                                             'habits.habit_day - 1 - params.pay_habit_lead_days') }}
                        else {{ add_days("cast(date_trunc('month', " ~ add_days(as_of_date(), 1)
                                         ~ ") + interval '1 month' as date)",
                                         'habits.habit_day - 1 - params.pay_habit_lead_days') }}
                    end
        end as habit_reminder_date,
        habits.habit_day,
        -- over the cap: wait until the oldest contact of the window is 7 days old, a week per further cap's worth
        case
            when sequenced.contacts_last_7_days + sequenced.contact_sequence > sequenced.max_contacts_per_week
                then {{ add_days(
                    'coalesce(' ~ add_days('sequenced.first_contact_in_window', 7) ~ ', '
                    ~ add_days(as_of_date(), 8) ~ ')',
                    '7 * cast(floor(1.0 * (sequenced.contacts_last_7_days + sequenced.contact_sequence'
                    ~ ' - sequenced.max_contacts_per_week - 1) / sequenced.max_contacts_per_week) as integer)') }}
        end as cap_release_date
    from sequenced
    cross join params
    left join habits
        on sequenced.customer_id = habits.customer_id
),

dated as (
    select
        planned.*,
        greatest(
            planned.earliest_date,
            coalesce(planned.habit_reminder_date, planned.earliest_date),
            coalesce(planned.cap_release_date, planned.earliest_date)
        ) as planned_date
    from planned
),

scheduled as (
    select
        dated.*,
        coalesce(own_calendar.next_working_date, company_calendar.next_working_date) as working_date,
        greatest(cast(channels.window_start || ':00' as time), params.quiet_hours_end) as window_start_time,
        least(cast(channels.window_end || ':00' as time), params.quiet_hours_start) as window_end_time
    from dated
    cross join params
    left join calendar as own_calendar
        on
            dated.country_code = own_calendar.country_code
            and dated.planned_date = own_calendar.calendar_date
    left join calendar as company_calendar
        on
            params.company_country = company_calendar.country_code
            and dated.planned_date = company_calendar.calendar_date
    left join channels
        on dated.channel = channels.channel
),

contact_windows as (
    select
        scheduled.*,
        case when scheduled.contact_status = 'scheduled' then scheduled.working_date end as contact_date,
        case
            when scheduled.contact_status = 'scheduled'
                then scheduled.working_date + scheduled.window_start_time
        end as contact_window_start_local,
        case
            when scheduled.contact_status = 'scheduled'
                then scheduled.working_date + scheduled.window_end_time
        end as contact_window_end_local,
        cast(round(scheduled.open_amount_rc * (1 - coalesce(scheduled.discount_rate, 0)), 2) as decimal(18, 2))
            as target_amount_rc,
        {{ add_days('scheduled.working_date', 'coalesce(scheduled.discount_days, scheduled.target_days)') }}
            as target_date
    from scheduled
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
            and templates.min_days_past_due <= contact_windows.max_days_past_due
    where contact_windows.contact_status <> 'internal'
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
            order by contact_windows.priority_score desc, contact_windows.customer_id, contact_windows.action_code
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
        || case when contact_windows.reason_code_1 is not null then ';model:' || contact_windows.reason_code_1 else '' end
            as reason_codes,
        stages.label_en
        || ', risk ' || contact_windows.risk_level
        || case when contact_windows.escalation_steps > 0 then ', promise broken: escalated one stage' else '' end
        || case when contact_windows.model_reasons_en is not null then '; ' || contact_windows.model_reasons_en else '' end
            as reasons_en,
        stages.label_zh
        || '，风险' || contact_windows.risk_level
        || case when contact_windows.escalation_steps > 0 then '，付款承诺未兑现：升级一级' else '' end
        || case when contact_windows.model_reasons_zh is not null then '；' || contact_windows.model_reasons_zh else '' end
            as reasons_zh,
        contact_windows.owner_role,
        owners.owner_id,
        owners.owner_name,
        contact_windows.contact_status,
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
        {{ local_to_utc('contact_windows.contact_window_start_local', 'contact_windows.contact_timezone') }}
            as contact_window_start_utc,
        {{ local_to_utc('contact_windows.contact_window_end_local', 'contact_windows.contact_timezone') }}
            as contact_window_end_utc,
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
