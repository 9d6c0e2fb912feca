-- Who owns each role for each customer on the as-of date: the customer's
-- sales rep and the rep's supervisor when on record (erp_sales_reps), else
-- the person the collection_owners seed names for the customer's region,
-- else its default ('*'). One row per customer and role. is_person: a rep or
-- supervisor on record is a person; a seed row says so itself (false: a desk,
-- whose name a customer message never shows: it names the AR team instead).
-- on_record: the rep or supervisor on record (erp_sales_reps) is the owner; the worklist
-- gives the other rows to the people of collectors.csv (int_collection_assignments).
with

customers as (
    select * from {{ ref('dim_customers') }}
    where as_of_date = {{ as_of_date() }}
),

reps as (
    select * from {{ ref('stg_erp__sales_reps') }}
),

owners as (
    select * from {{ ref('collection_owners') }}
),

roles as (
    select distinct owner_role from owners
),

on_record as (
    select
        customers.customer_id,
        customers.region,
        customers.sales_rep_id,
        rep.rep_name as sales_rep_name,
        coalesce(rep.supervisor_id, customers.supervisor_id) as supervisor_id,
        supervisor.rep_name as supervisor_name
    from customers
    left join reps as rep
        on customers.sales_rep_id = rep.sales_rep_id
    left join reps as supervisor
        on coalesce(rep.supervisor_id, customers.supervisor_id) = supervisor.sales_rep_id
),

final as (
    select
        -- ids
        on_record.customer_id,
        roles.owner_role,
        coalesce(
            case
                when roles.owner_role = 'sales_rep' then on_record.sales_rep_id
                when roles.owner_role = 'sales_supervisor' then on_record.supervisor_id
            end,
            regional.person_id,
            fallback.person_id
        ) as owner_id,
        -- attributes
        coalesce(
            case
                when roles.owner_role = 'sales_rep' and on_record.sales_rep_id is not null
                    then coalesce(on_record.sales_rep_name, on_record.sales_rep_id)
                when roles.owner_role = 'sales_supervisor' and on_record.supervisor_id is not null
                    then coalesce(on_record.supervisor_name, on_record.supervisor_id)
            end,
            regional.person_name,
            fallback.person_name
        ) as owner_name,
        coalesce(
            case
                when roles.owner_role = 'sales_rep' and on_record.sales_rep_id is not null then true
                when roles.owner_role = 'sales_supervisor' and on_record.supervisor_id is not null then true
            end,
            regional.is_person,
            fallback.is_person
        ) as is_person,
        coalesce(
            (roles.owner_role = 'sales_rep' and on_record.sales_rep_id is not null)
            or (roles.owner_role = 'sales_supervisor' and on_record.supervisor_id is not null),
            false
        ) as on_record
    from on_record
    cross join roles
    left join owners as regional
        on
            roles.owner_role = regional.owner_role
            and on_record.region = regional.region
    left join owners as fallback
        on
            roles.owner_role = fallback.owner_role
            and fallback.region = '*'
)

select * from final
