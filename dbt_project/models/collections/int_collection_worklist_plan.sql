-- The worklist rows before their contact slot: one row per customer, the
-- account-level strategy of int_collection_account_strategies (one action, its
-- owner role and channel, the invoices covered), with the action's details, the
-- contact, the frequency cap and payment habit, and the planned date (docs/collections.md):
--   planned_date = the latest of: the day after the as-of date; the payment-habit
--   reminder date (actions that follow the habit); the day the weekly cap frees up.
-- int_collection_contact_slots turns it into a working day and a contact window.
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
                    order by channelled.priority_score desc, channelled.action_code asc
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
)

select * from dated
