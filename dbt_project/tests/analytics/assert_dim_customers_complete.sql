-- Every customer gets exactly one row of tags for the as-of date being built
-- (uniqueness is tested on the model): none is lost in the joins.
select customers.customer_id
from {{ ref('stg_erp__customers') }} as customers
left join {{ ref('dim_customers') }} as dim
    on
        customers.customer_id = dim.customer_id
        and dim.as_of_date = {{ as_of_date() }}
where dim.customer_id is null
