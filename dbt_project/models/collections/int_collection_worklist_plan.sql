-- The worklist rows before their contact slot: one row per customer, the
-- account-level strategy of int_collection_account_strategies (one action, its
-- owner role and channel, the invoices covered), with the action's details, the
-- contact, the frequency cap and payment habit, and the planned date (docs/collections.md):
--   planned_date = the latest of: the day after the as-of date; the payment-habit
--   reminder date (actions that follow the habit); the day the weekly cap frees up:
--   cap_release_date = (the cap-th most recent CRM contact of the last 7 days) + 7
--   (contact_policies.max_contacts_per_week by tier), so no 7-day window holding the
--   new contact holds more than the cap.
-- int_collection_assignments keeps a contact an earlier worklist planned and turns the
-- date into a working day; int_collection_contact_slots gives it a contact window.
with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

accounts as (
    select * from {{ ref('int_collection_account_strategies') }}
),

actions as (
    select * from {{ ref('collection_actions') }}
),

policies as (
    select * from {{ ref('contact_policies') }}
),

contacts as (
    select * from {{ ref('int_collection_contacts') }}
),

habits as (
    select * from {{ ref('int_customer_pay_habits') }}
),

contact_load as (
    select * from {{ ref('int_collection_contact_load') }}
),

with_actions as (
    select
        accounts.*,
        actions.action_order,
        actions.contacts_customer,
        actions.target_days,
        actions.discount_rate,
        actions.discount_days,
        actions.discount_kind,
        actions.follows_pay_habit,
        actions.label_en as action_label_en,
        actions.label_zh as action_label_zh
    from accounts
    inner join actions
        on accounts.action_code = actions.action_code
),

-- The channel the contact can be reached on: 'preferred' takes the contact's
-- own (else phone); a channel whose means (phone, e-mail) is not on record falls back to a letter.
wanted as (
    select
        with_actions.*,
        contacts.contact_id,
        contacts.contact_name,
        contacts.phone_masked,
        contacts.email_masked,
        contacts.has_phone,
        contacts.has_email,
        contacts.customer_id is not null as has_contact,
        coalesce(contacts.contact_timezone, params.company_timezone) as contact_timezone,
        coalesce(contacts.customer_do_not_contact, false) as customer_do_not_contact,
        case
            when with_actions.strategy_channel = 'preferred' then coalesce(contacts.preferred_channel, 'phone')
            else with_actions.strategy_channel
        end as wanted_channel
    from with_actions
    cross join params
    left join contacts
        on with_actions.customer_id = contacts.customer_id
),

channelled as (
    select
        wanted.*,
        case
            when not wanted.contacts_customer or wanted.wanted_channel = 'internal' then 'internal'
            when not wanted.has_contact then 'letter'
            when wanted.wanted_channel in ('phone', 'sms', 'wechat') and not wanted.has_phone then 'letter'
            when wanted.wanted_channel = 'email' and not wanted.has_email then 'letter'
            else wanted.wanted_channel
        end as channel,
        case
            when not wanted.contacts_customer or wanted.wanted_channel = 'internal' then 'internal'
            when wanted.customer_do_not_contact then 'do_not_contact'
            when not wanted.has_contact then 'no_contact_on_file'
            else 'scheduled'
        end as contact_status
    from wanted
),

-- The weekly cap (contact_policies by tier) against the CRM's logged contacts of the last 7 days
-- (int_collection_contact_load): one row per customer, so this row is its one new contact.
with_load as (
    select
        channelled.*,
        coalesce(latest_contact.contacts_last_7_days, 0) as contacts_last_7_days,
        coalesce(tier_policy.max_contacts_per_week, default_policy.max_contacts_per_week) as max_contacts_per_week
    from channelled
    left join contact_load as latest_contact
        on
            channelled.customer_id = latest_contact.customer_id
            and latest_contact.contact_recency = 1
    left join policies as tier_policy
        on channelled.customer_tier = tier_policy.customer_tier
    left join policies as default_policy
        on default_policy.customer_tier = '*'
),

-- The contact that holds the cap: the cap-th most recent of the window (none: the cap is not used up).
capped as (
    select
        with_load.*,
        cap_contact.activity_date as cap_contact_date
    from with_load
    left join contact_load as cap_contact
        on
            with_load.customer_id = cap_contact.customer_id
            and with_load.max_contacts_per_week = cap_contact.contact_recency
),

planned as (
    select
        capped.*,
        {{ add_days(as_of_date(), 1) }} as earliest_date,
        -- the reminder pay_habit_lead_days before the next habit day on or after the earliest date
        case
            when capped.follows_pay_habit and habits.habit_day is not null
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
        -- cap used up: the new contact comes 7 days after the cap-th most recent one, so that
        -- no 7-day window [d, d + 6] holds more than the cap (6 days apart share one, 7 days do not)
        case
            when capped.contact_status = 'scheduled' and capped.cap_contact_date is not null
                then {{ add_days('capped.cap_contact_date', 7) }}
        end as cap_release_date
    from capped
    cross join params
    left join habits
        on capped.customer_id = habits.customer_id
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
)

select * from dated
