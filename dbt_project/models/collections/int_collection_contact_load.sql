-- The CRM's logged contacts per customer in the 7 days up to the as-of date
-- (crm_activities, activity_date in [as_of - 6, as_of]), newest first, for the
-- weekly cap of contact_policies (int_collection_worklist_plan):
--   contact_recency      = 1 for the customer's latest contact, 2 for the one before, ...
--                          (several the same day: activity_ts, then activity_id, decide);
--   contacts_last_7_days = the customer's contacts in those 7 days.
-- A new contact on day t is within the cap N when every 7-day window holding t holds
-- at most N contacts; with only past contacts that is the window [t - 6, t], so t must
-- come at least 7 days after the contact of recency N (none: no wait).
with

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

in_window as (
    select
        activity_id,
        customer_id,
        activity_date,
        activity_ts
    from activities
    where
        activity_date <= {{ as_of_date() }}
        and activity_date > {{ add_days(as_of_date(), -7) }}
),

final as (
    select
        -- ids
        activity_id,
        customer_id,
        -- attributes
        cast(row_number() over (
            partition by customer_id
            order by activity_date desc, activity_ts desc, activity_id desc
        ) as integer) as contact_recency,
        cast(count(*) over (partition by customer_id) as integer) as contacts_last_7_days,
        -- dates
        activity_date
    from in_window
)

select * from final
