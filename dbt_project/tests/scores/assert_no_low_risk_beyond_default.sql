-- No document more than ml_bad_debt_label_days (90) past due is `low`: it is in
-- default, so its pd_default is 1 (the scorer's contract) and its level the
-- most severe one whose cut-off 1 reaches. A row here is a document the
-- published levels would understate, with its pd_default.
with

parameters as (
    select {{ analytics_parameter('ml_bad_debt_label_days') }} as bad_debt_days
)

select
    scores.as_of_date,
    scores.invoice_id,
    scores.days_past_due,
    scores.pd_default,
    scores.risk_level
from {{ ref('invoice_risk_scores') }} as scores
cross join parameters
where
    scores.days_past_due > parameters.bad_debt_days
    and (scores.risk_level = 'low' or scores.risk_level is null)
