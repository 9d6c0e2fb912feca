-- The company rows of expected_credit_loss add up to the open items and to the
-- documents' expected credit loss of the same date (no bucket lost or counted
-- twice), and each customer's rows to the company's; dates whose items are
-- still kept (fct_ar_open_items prunes old days). A row per date that does not.
with

ecl as (
    select
        as_of_date,
        sum(case when scope_type = 'company' then open_amount_rc else 0 end) as company_open_rc,
        sum(case when scope_type = 'customer' then open_amount_rc else 0 end) as customer_open_rc,
        sum(case when scope_type = 'company' then model_expected_loss_rc else 0 end) as company_model_ecl_rc,
        sum(case when scope_type = 'customer' then model_expected_loss_rc else 0 end) as customer_model_ecl_rc
    from {{ ref('expected_credit_loss') }}
    group by as_of_date
),

items as (
    select
        as_of_date,
        sum(open_amount_rc) as open_rc
    from {{ ref('fct_ar_open_items') }}
    group by as_of_date
),

scores as (
    select
        as_of_date,
        sum(expected_loss_rc) as model_ecl_rc
    from {{ ref('invoice_risk_scores') }}
    group by as_of_date
)

select
    ecl.*,
    items.open_rc,
    scores.model_ecl_rc
from ecl
inner join items
    on ecl.as_of_date = items.as_of_date
inner join scores
    on ecl.as_of_date = scores.as_of_date
where
    ecl.company_open_rc <> items.open_rc
    or ecl.customer_open_rc <> ecl.company_open_rc
    or ecl.company_model_ecl_rc <> scores.model_ecl_rc
    or ecl.customer_model_ecl_rc <> ecl.company_model_ecl_rc
