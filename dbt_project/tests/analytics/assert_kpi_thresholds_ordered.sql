-- Red must be at least as bad as yellow: for KPIs that are worse above a
-- threshold red_threshold >= yellow_threshold, for those worse below it
-- red_threshold <= yellow_threshold. Returns the KPIs configured backwards.
{{ config(store_failures=true) }}

select *
from {{ ref('kpi_thresholds') }}
where
    (worse_when = 'above' and red_threshold < yellow_threshold)
    or (worse_when = 'below' and red_threshold > yellow_threshold)
