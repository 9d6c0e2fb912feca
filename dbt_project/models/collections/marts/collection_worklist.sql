-- The collection worklist: one row per customer for the as-of date, its
-- account-level strategy (int_collection_account_strategies: one action, internal
-- actions beside it, the invoices covered; docs/collections.md):
--   priority_score = sum over the row's invoices of
--       pd_default x open amount (reporting currency) x severity weight of the stage
--   worklist_rank  = 1 for the highest priority score (ties, e.g. rows of documents in
--                    default only, which score 0: the larger overdue amount, then customer_id, action_code)
-- Messages state the undisputed invoices' amounts in their own currency (when they share
-- one) with thousands separators (format_amount), the overdue part and the part not yet
-- due apart, and name the owner when a person, else the AR team (ar_team_name_*). An
-- early-payment discount is offered only when the contact comes before the due date,
-- and its deadline is never after it (else the row gets the plain template, no discount);
-- a settlement discount on an overdue balance is valid discount_days from the contact.
-- The contact is planned for the first day after the as-of date, or later when
--   - the action follows the customer's payment habit (reminder pay_habit_lead_days before the habit day),
--   - the customer's weekly contact cap (contact_policies by tier) is used up,
-- then moved to the next working day of the customer's country (contact_calendar)
-- and given the channel's window clipped to the hours outside quiet hours, in the
-- contact's time zone. Disputed invoices are held (dispute_resolution); invoices under an
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

plan as (
    select * from {{ ref('int_collection_worklist_plan') }}
),

slots as (
    select * from {{ ref('int_collection_contact_slots') }}
),

assignments as (
    select * from {{ ref('int_collection_assignments') }}
    where as_of_date = {{ as_of_date() }}
),

stages as (
    select * from {{ ref('collection_stages') }}
),

templates as (
    select * from {{ ref('message_templates') }}
),

risk_levels as (
    select * from {{ ref('risk_levels') }}
),

phrases as (
    select * from {{ ref('message_phrases') }}
),

not_due_clause as (
    select * from phrases
    where phrase_type = 'clause' and code = 'not_yet_due'
),

late_fee_clause as (
    select * from phrases
    where phrase_type = 'clause' and code = 'late_fee'
),

-- An early-payment discount is for paying early: offered only when the contact comes before
-- the oldest due date, with a deadline no later than that due date. A settlement discount
-- (31-60 days, negotiation first: seed 003) is for paying an overdue balance at once: offered
-- on the contact, valid discount_days from it.
offers as (
    select
        plan.*,
        slots.contact_status as slot_contact_status,
        slots.working_date,
        slots.contact_date,
        slots.contact_window_start_local,
        slots.contact_window_end_local,
        slots.contact_window_start_utc,
        slots.contact_window_end_utc,
        assignments.contact_planned_on,
        assignments.owner_id,
        assignments.owner_name,
        assignments.scheduled_date,
        assignments.work_date,
        assignments.capacity_status,
        assignments.contact_language,
        coalesce(
            plan.discount_rate is not null
            and (plan.discount_kind = 'settlement' or slots.working_date < plan.oldest_due_date),
            false
        ) as discount_offered,
        case when plan.dunned_amount_rc > 0 then plan.dunned_amount_rc else plan.open_amount_rc end
            as target_base_rc
    from plan
    inner join slots
        on
            plan.customer_id = slots.customer_id
            and plan.action_code = slots.action_code
    inner join assignments
        on plan.customer_id = assignments.customer_id
),

contact_windows as (
    select
        offers.*,
        case when offers.discount_offered then offers.discount_rate else 0 end as offered_discount_rate,
        cast(
            round(
                offers.target_base_rc * (1 - case when offers.discount_offered then offers.discount_rate else 0 end),
                2
            ) as decimal(18, 2)
        ) as target_amount_rc,
        cast(
            round(
                offers.message_open_amount
                * (1 - case when offers.discount_offered then offers.discount_rate else 0 end),
                2
            ) as decimal(18, 2)
        ) as message_target_amount,
        offers.message_open_amount - offers.message_overdue_amount as message_not_due_amount,
        case
            when offers.discount_offered and offers.discount_kind = 'settlement'
                then {{ add_days('offers.working_date', 'offers.discount_days') }}
            when offers.discount_offered
                then least({{ add_days('offers.working_date', 'offers.discount_days') }}, offers.oldest_due_date)
            else {{ add_days('offers.working_date', 'offers.target_days') }}
        end as target_date
    from offers
),

-- The amounts as the messages show them (thousands separators, the message currency).
amount_texts as (
    select
        contact_windows.*,
        {{ format_amount('contact_windows.message_open_amount') }} as amount_text,
        {{ format_amount('contact_windows.message_overdue_amount') }} as overdue_amount_text,
        {{ format_amount('contact_windows.message_not_due_amount') }} as not_due_amount_text,
        {{ format_amount('contact_windows.message_target_amount') }} as target_amount_text,
        {{ format_amount('contact_windows.message_late_fee') }} as late_fee_text
    from contact_windows
),

{% set clause_values = {
    'not_due_amount': 'amount_texts.not_due_amount_text',
    'overdue_amount': 'amount_texts.overdue_amount_text',
    'late_fee': 'amount_texts.late_fee_text',
    'currency': 'amount_texts.message_currency',
} %}

-- The part not yet due, as a clause of each language (empty when all is overdue), and the
-- contractual late fee to date (empty when there is none: not overdue, or waived).
{% set clauses = {
    'not_due_clause': 'amount_texts.message_not_due_amount',
    'late_fee_clause': 'amount_texts.message_late_fee',
} %}
worded as (
    select
        {% for clause, amount in clauses.items() -%}
            {% for language in ('en', 'zh') -%}
                case
                    when {{ amount }} > 0 then {{ fill_template(clause ~ '.label_' ~ language, clause_values) }}
                    else ''
                end as {{ clause }}_{{ language }},
            {% endfor -%}
        {% endfor -%}
        amount_texts.*
    from amount_texts
    cross join not_due_clause
    cross join late_fee_clause
),

-- The template of the row's action (else '*') with the highest min_days_past_due not above its days past due.
template_choice as (
    select
        worded.customer_id,
        worded.action_code,
        templates.language,
        templates.subject,
        templates.body,
        row_number() over (
            partition by worded.customer_id, worded.action_code, templates.language
            order by
                case when templates.action_code = '*' then 1 else 0 end,
                templates.min_days_past_due desc
        ) as template_rank
    from worded
    inner join templates
        on
            templates.action_code in ('*', worded.action_code)
            and worded.message_days_past_due >= templates.min_days_past_due
            -- a discount's own template only when the discount is offered
            and (
                templates.action_code = '*'
                or worded.discount_rate is null
                or worded.discount_offered
            )
    -- a message only for a contact that may be made (not internal, do-not-contact or without a window)
    where worded.slot_contact_status in ('scheduled', 'no_contact_on_file')
),

{% set placeholders = {
    'customer_name': 'worded.customer_name',
    'contact_name': "coalesce(worded.contact_name, worded.customer_name)",
    'invoice_count': 'worded.message_invoice_count',
    'amount': 'worded.amount_text',
    'overdue_amount': 'worded.overdue_amount_text',
    'not_due_amount': 'worded.not_due_amount_text',
    'currency': 'worded.message_currency',
    'oldest_due_date': 'worded.message_oldest_due_date',
    'days_past_due': 'greatest(worded.message_days_past_due, 0)',
    'target_amount': 'worded.target_amount_text',
    'late_fee': 'worded.late_fee_text',
    'target_date': 'worded.target_date',
    'discount_pct': 'cast(round(100 * worded.offered_discount_rate, 1) as decimal(18, 1))',
    'discount_days': 'worded.discount_days',
} %}
{% set placeholders_en = dict(placeholders) %}
{% do placeholders_en.update({
    'owner_name': 'coalesce(worded.owner_name, params.ar_team_name_en)',
    'not_due_clause': 'worded.not_due_clause_en',
    'late_fee_clause': 'worded.late_fee_clause_en',
}) %}
{% set placeholders_zh = dict(placeholders) %}
{% do placeholders_zh.update({
    'owner_name': 'coalesce(worded.owner_name, params.ar_team_name_zh)',
    'not_due_clause': 'worded.not_due_clause_zh',
    'late_fee_clause': 'worded.late_fee_clause_zh',
}) %}

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        worded.customer_id,
        worded.action_code,
        cast(row_number() over (
            order by
                worded.priority_score desc, worded.overdue_amount_rc desc,
                worded.customer_id asc, worded.action_code asc
        ) as integer) as worklist_rank,
        -- attributes
        worded.customer_name,
        worded.region,
        worded.country_code,
        worded.customer_tier,
        worded.archetype,
        worded.risk_level,
        worded.collection_stage,
        worded.action_label_en,
        worded.action_label_zh,
        worded.rule_id,
        worded.internal_actions,
        worded.governing_invoice_id,
        'stage:' || worded.collection_stage
        || ';risk:' || worded.risk_level
        || ';tier:' || worded.customer_tier
        || ';archetype:' || coalesce(worded.archetype, 'none')
        || ';rule:' || worded.rule_id
        || case when worded.escalation_steps > 0 then ';broken_promise' else '' end
        || case
            when worded.reason_code_1 is not null then ';model:' || worded.reason_code_1 else ''
        end
            as reason_codes,
        stages.label_en
        || ', ' || coalesce(risk_levels.label_en, risk_phrases.label_en, worded.risk_level)
        || case when worded.escalation_steps > 0 then ', promise broken: escalated one stage' else '' end
        || case
            when worded.model_reasons_en is not null then '; ' || worded.model_reasons_en else ''
        end
            as reasons_en,
        stages.label_zh
        || '，' || coalesce(risk_levels.label_zh, risk_phrases.label_zh, worded.risk_level)
        || case when worded.escalation_steps > 0 then '，付款承诺未兑现：升级一级' else '' end
        || case
            when worded.model_reasons_zh is not null then '；' || worded.model_reasons_zh else ''
        end
            as reasons_zh,
        worded.owner_role,
        worded.owner_id,
        worded.owner_name,
        worded.slot_contact_status as contact_status,
        worded.channel,
        worded.contact_id,
        worded.phone_masked,
        worded.email_masked,
        worded.contact_timezone,
        worded.invoices_covered,
        worded.disputed_invoices,
        cast(worded.invoice_count as integer) as invoice_count,
        worded.reporting_currency,
        worded.message_currency,
        worded.discount_offered,
        -- amounts
        cast(round(worded.priority_score, 2) as decimal(18, 2)) as priority_score,
        cast(worded.open_amount_rc as decimal(18, 2)) as open_amount_rc,
        cast(worded.overdue_amount_rc as decimal(18, 2)) as overdue_amount_rc,
        cast(worded.expected_loss_rc as decimal(18, 2)) as expected_loss_rc,
        worded.target_amount_rc,
        cast(worded.max_days_past_due as integer) as max_days_past_due,
        cast(worded.contacts_last_7_days as integer) as contacts_last_7_days,
        cast(worded.max_contacts_per_week as integer) as max_contacts_per_week,
        worded.habit_day as pay_habit_day,
        -- dates
        worded.oldest_due_date,
        worded.contact_date,
        worded.contact_window_start_local,
        worded.contact_window_end_local,
        worded.contact_window_start_utc,
        worded.contact_window_end_utc,
        worded.target_date,
        -- messages
        {{ fill_template('template_en.subject', placeholders_en) }} as message_subject_en,
        {{ fill_template('template_en.body', placeholders_en) }} as message_en,
        {{ fill_template('template_zh.subject', placeholders_zh) }} as message_subject_zh,
        {{ fill_template('template_zh.body', placeholders_zh) }} as message_zh,
        -- scheduling (appended columns, issue 19)
        case when worded.contact_date is not null then worded.contact_planned_on end as contact_planned_on,
        worded.scheduled_date,
        worded.work_date,
        worded.capacity_status,
        worded.contact_language,
        -- the contractual late fee to date on the undisputed invoices (fct_late_payment_interest)
        cast(worded.late_fee_rc as decimal(18, 2)) as late_fee_rc
    from worded
    cross join params
    inner join stages
        on worded.collection_stage = stages.collection_stage
    left join risk_levels
        on worded.risk_level = risk_levels.risk_level
    left join phrases as risk_phrases
        on
            risk_phrases.phrase_type = 'risk_level'
            and worded.risk_level = risk_phrases.code
    left join template_choice as template_en
        on
            worded.customer_id = template_en.customer_id
            and worded.action_code = template_en.action_code
            and template_en.language = 'en'
            and template_en.template_rank = 1
    left join template_choice as template_zh
        on
            worded.customer_id = template_zh.customer_id
            and worded.action_code = template_zh.action_code
            and template_zh.language = 'zh-CN'
            and template_zh.template_rank = 1
)

select * from final
