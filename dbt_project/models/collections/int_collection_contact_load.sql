-- Contacts already made per customer in the 7 days up to the as-of date
-- (crm_activities), for the frequency cap of contact_policies.
with

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

final as (
    select
        -- ids
        customer_id,
        -- amounts
        count(*) as contacts_last_7_days,
        -- dates
        min(activity_date) as first_contact_in_window
    from activities
    where
        activity_date <= {{ as_of_date() }}
        and activity_date > {{ add_days(as_of_date(), -7) }}
    group by customer_id
)

select * from final
