-- Did the worklist work? (docs/collections.md, "Closed loop") By action and
-- segment (risk level x customer tier), over the worklist entries of the last
-- effectiveness_window_days before the as-of date. An entry is a
-- (customer, action) row that was not on the previous worklist. Outcomes come
-- back through the ledger and the CRM:
--   cleared_within_N_days_rc = the entry's open amount minus the open amount of
--       the same invoices on the first published date at least N days later
--       (receipts and credit notes; not yet known -> the entry is not matured)
--   success = cleared within 30 days >= success_min_collected_share x target amount
--   success_rate_30d = successful / matured entries
--   contacts_spent = CRM activities with the customer in the 30 days after entry
-- A row with action_code, risk_level and customer_tier 'all' totals the day: its
-- success_rate_30d is the worklist collection success rate KPI (docs/metrics.md).
with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

worklist as (
    select * from {{ ref('collection_worklist') }}
),

worklist_items as (
    select * from {{ ref('collection_worklist_items') }}
),

open_items as (
    select * from {{ ref('fct_ar_open_items') }}
),

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

worklist_dates as (
    select
        as_of_date,
        lag(as_of_date) over (order by as_of_date) as previous_worklist_date
    from (
        select distinct as_of_date from worklist
        where as_of_date <= {{ as_of_date() }}
    ) as dates
),

published_dates as (
    select distinct as_of_date from open_items
    where as_of_date <= {{ as_of_date() }}
),

entries as (
    select
        worklist.*,
        worklist_dates.previous_worklist_date
    from worklist
    cross join params
    inner join worklist_dates
        on worklist.as_of_date = worklist_dates.as_of_date
    left join worklist as previous_rows
        on
            worklist_dates.previous_worklist_date = previous_rows.as_of_date
            and worklist.customer_id = previous_rows.customer_id
            and worklist.action_code = previous_rows.action_code
    where
        worklist.as_of_date < {{ as_of_date() }}
        and worklist.as_of_date >= {{ add_days(as_of_date(), '-1 * params.effectiveness_window_days') }}
        and previous_rows.customer_id is null
),

-- The first published date at least 7 / 30 days after each entry (null: not known yet).
measured as (
    select
        entries.as_of_date as entry_date,
        entries.customer_id,
        entries.action_code,
        min(case
            when published_dates.as_of_date >= {{ add_days('entries.as_of_date', 7) }}
                then published_dates.as_of_date
        end) as measured_7_days_on,
        min(case
            when published_dates.as_of_date >= {{ add_days('entries.as_of_date', 30) }}
                then published_dates.as_of_date
        end) as measured_30_days_on
    from entries
    cross join published_dates
    group by entries.as_of_date, entries.customer_id, entries.action_code
),

item_outcomes as (
    select
        measured.entry_date,
        measured.customer_id,
        measured.action_code,
        sum(worklist_items.open_amount_rc) as entry_open_rc,
        sum(coalesce(later_7.open_amount_rc, 0)) as open_after_7_days_rc,
        sum(coalesce(later_30.open_amount_rc, 0)) as open_after_30_days_rc,
        max(measured.measured_7_days_on) as measured_7_days_on,
        max(measured.measured_30_days_on) as measured_30_days_on
    from measured
    inner join worklist_items
        on
            measured.entry_date = worklist_items.as_of_date
            and measured.customer_id = worklist_items.customer_id
            and measured.action_code = worklist_items.action_code
    left join open_items as later_7
        on
            measured.measured_7_days_on = later_7.as_of_date
            and worklist_items.invoice_id = later_7.invoice_id
    left join open_items as later_30
        on
            measured.measured_30_days_on = later_30.as_of_date
            and worklist_items.invoice_id = later_30.invoice_id
    group by measured.entry_date, measured.customer_id, measured.action_code
),

contacts as (
    select
        entries.as_of_date as entry_date,
        entries.customer_id,
        entries.action_code,
        count(activities.activity_id) as contacts_spent
    from entries
    left join activities
        on
            entries.customer_id = activities.customer_id
            and entries.as_of_date < activities.activity_date
            and activities.activity_date <= {{ add_days('entries.as_of_date', 30) }}
            and activities.activity_date <= {{ as_of_date() }}
    group by entries.as_of_date, entries.customer_id, entries.action_code
),

outcomes as (
    select
        entries.action_code,
        entries.risk_level,
        entries.customer_tier,
        entries.target_amount_rc,
        case
            when item_outcomes.measured_7_days_on is not null
                then greatest(item_outcomes.entry_open_rc - item_outcomes.open_after_7_days_rc, 0)
        end as cleared_7_days_rc,
        case
            when item_outcomes.measured_30_days_on is not null
                then greatest(item_outcomes.entry_open_rc - item_outcomes.open_after_30_days_rc, 0)
        end as cleared_30_days_rc,
        contacts.contacts_spent
    from entries
    inner join item_outcomes
        on
            entries.as_of_date = item_outcomes.entry_date
            and entries.customer_id = item_outcomes.customer_id
            and entries.action_code = item_outcomes.action_code
    inner join contacts
        on
            entries.as_of_date = contacts.entry_date
            and entries.customer_id = contacts.customer_id
            and entries.action_code = contacts.action_code
),

judged as (
    select
        outcomes.*,
        case
            when outcomes.cleared_30_days_rc is null then null
            when outcomes.cleared_30_days_rc >= params.success_min_collected_share * outcomes.target_amount_rc then 1
            else 0
        end as is_success
    from outcomes
    cross join params
),

segments as (
    select judged.* from judged
    union all
    select
        'all' as action_code,
        'all' as risk_level,
        'all' as customer_tier,
        target_amount_rc,
        cleared_7_days_rc,
        cleared_30_days_rc,
        contacts_spent,
        is_success
    from judged
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        segments.action_code,
        segments.risk_level,
        segments.customer_tier,
        -- amounts
        cast(count(*) as integer) as entries,
        cast(count(segments.cleared_7_days_rc) as integer) as entries_matured_7_days,
        cast(count(segments.cleared_30_days_rc) as integer) as entries_matured_30_days,
        cast(sum(segments.target_amount_rc) as decimal(18, 2)) as amount_worklisted_rc,
        cast(sum(segments.cleared_7_days_rc) as decimal(18, 2)) as cleared_within_7_days_rc,
        cast(sum(segments.cleared_30_days_rc) as decimal(18, 2)) as cleared_within_30_days_rc,
        cast(sum(segments.is_success) as integer) as successes,
        cast(
            round(1.0 * sum(segments.is_success) / nullif(count(segments.is_success), 0), 6) as decimal(18, 6)
        ) as success_rate_30_days,
        cast(sum(segments.contacts_spent) as integer) as contacts_spent,
        cast(
            round(1.0 * sum(segments.contacts_spent) / nullif(sum(segments.is_success), 0), 2) as decimal(18, 2)
        ) as contacts_per_success
    from segments
    group by segments.action_code, segments.risk_level, segments.customer_tier
)

select * from final
