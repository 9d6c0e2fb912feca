-- The contact to reach per customer: the first contact not marked
-- do_not_contact (one with a phone or e-mail first, then by contact_id),
-- with the phone and every e-mail address of the field masked for the
-- worklist, phone numbers typed into the name masked (macros/masking.sql),
-- and the time zone checked (unknown or missing: the company's).
-- customer_do_not_contact is true when every contact on record says
-- do_not_contact. Personal data stays here: the published worklist carries
-- only the masked forms.
with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

known_zones as (
    {{ timezone_names() }}
),

ranked as (
    select
        contacts.*,
        row_number() over (
            partition by contacts.customer_id
            order by
                coalesce(contacts.do_not_contact, false),
                case when contacts.phone is null and contacts.email is null then 1 else 0 end,
                contacts.contact_id
        ) as contact_rank,
        bool_and(coalesce(contacts.do_not_contact, false)) over (
            partition by contacts.customer_id
        ) as customer_do_not_contact
    from contacts
),

final as (
    select
        -- ids
        ranked.customer_id,
        ranked.contact_id,
        -- attributes
        -- a phone number typed into the name would reach the worklist's messages: masked here
        {{ mask_phone_numbers('ranked.contact_name') }} as contact_name,
        ranked.preferred_channel,
        ranked.customer_do_not_contact,
        {{ mask_phone('ranked.phone') }} as phone_masked,
        {{ mask_emails('ranked.email') }} as email_masked,
        ranked.phone is not null as has_phone,
        ranked.email is not null as has_email,
        case when known_zones.name is null then params.company_timezone else ranked.timezone end as contact_timezone,
        ranked.timezone is not null and known_zones.name is null as timezone_unknown
    from ranked
    cross join params
    left join known_zones
        on ranked.timezone = known_zones.name
    where ranked.contact_rank = 1
)

select * from final
