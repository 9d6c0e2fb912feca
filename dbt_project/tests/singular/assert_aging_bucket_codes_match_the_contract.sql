-- agg_ar_aging publishes one column per bucket code (aging_bucket_codes()), a
-- BI contract; the seed may change edges and labels but must keep exactly
-- these codes. Returns every code missing on either side.
{%- set codes = aging_bucket_codes() %}
with

seeded as (
    select aging_bucket from {{ ref('aging_buckets') }}
),

contract as (
    {%- for code in codes %}
        select '{{ code }}' as aging_bucket
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    coalesce(seeded.aging_bucket, contract.aging_bucket) as aging_bucket,
    case when seeded.aging_bucket is null then 'missing in seed' else 'not a contract code' end as problem
from seeded
full outer join contract
    on seeded.aging_bucket = contract.aging_bucket
where seeded.aging_bucket is null or contract.aging_bucket is null
