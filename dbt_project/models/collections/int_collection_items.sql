-- One row per open invoice the collection strategy looks at on the as-of date:
-- invoices in a collection stage (the prevention stage: due within N days,
-- and every later stage), with the model's risk, the customer's tier and
-- archetype, and what the account-level strategy (int_collection_account_strategies)
-- needs from each invoice:
--   - collection_stage / stage_order: by days past due (seed collection_stages); a
--     promise broken within broken_promise_lookback_days moves the customer's
--     invoices one stage up (escalation_steps = 1);
--   - owner_role / ladder_order: the escalation ladder step by days past due (a
--     broken promise moves one step up); the account's action may name its own role;
--   - worklist_status: worklisted, paused_by_promise (an active promise until
--     its promised date plus promise_tolerance_days), in_grace (1 up to the
--     tier's contact_policies.grace_days past due: core customers are not dunned
--     in their first days late), below_prevention_risk (a pre-due invoice under
--     prevention_min_risk_level);
--   - priority_points = pd_default x open amount x severity weight of the
--     document's own stage by days past due (an escalation changes the action,
--     not the weight): the amount expected to newly go into default, weighted
--     by the stage (the shipped weights are 1 up to 90 days and 0 after:
--     pd_default already prices the stage, and a document in default cannot
--     newly default; its chase is the legal / agency track, ordered by overdue
--     amount after the rows that can still go bad): its share of the worklist
--     row's priority score; expected_loss_rc is the document's expected credit
--     loss (pd_default x lgd x open amount, invoice_risk_scores);
--   - accrued_late_fee: the contractual late fee to date (fct_late_payment_interest,
--     document currency; 0 when not overdue or waived), for the messages;
--   - undisputed_amount(_rc): the open amount less the part open disputes hold
--     (int_open_items_enriched.disputed_amount): a partial dispute holds only its
--     amount and the rest is dunned; is_fully_disputed when nothing is left.
with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

open_items as (
    select * from {{ ref('fct_ar_open_items') }}
    where
        as_of_date = {{ as_of_date() }}
        and document_type in ('invoice', 'debit_note')
        and open_amount_rc > 0
),

-- the part of each document held by open disputes (partial disputes hold only their amount)
disputes as (
    select
        invoice_id,
        disputed_amount,
        dispute_opened_date
    from {{ ref('int_open_items_enriched') }}
    where is_disputed
),

scores as (
    select * from {{ ref('invoice_risk_scores') }}
    where as_of_date = {{ as_of_date() }}
),

late_fees as (
    select * from {{ ref('fct_late_payment_interest') }}
    where as_of_date = {{ as_of_date() }}
),

customers as (
    select * from {{ ref('dim_customers') }}
    where as_of_date = {{ as_of_date() }}
),

stages as (
    select * from {{ ref('collection_stages') }}
),

ladder as (
    select * from {{ ref('escalation_ladder') }}
),

policies as (
    select * from {{ ref('contact_policies') }}
),

promises as (
    select * from {{ ref('int_promises_evaluated') }}
),

-- An active promise pauses dunning of its invoice (or of all the customer's
-- invoices when made on account) until the promised date plus tolerance.
pauses as (
    select
        open_items.invoice_id,
        max({{ add_days('promises.promised_date', 'params.promise_tolerance_days') }}) as paused_until
    from open_items
    cross join params
    inner join promises
        on
            open_items.customer_id = promises.customer_id
            and (promises.invoice_id is null or open_items.invoice_id = promises.invoice_id)
    where
        promises.promise_status <> 'kept'
        and {{ add_days('promises.promised_date', 'params.promise_tolerance_days') }}
        >= {{ as_of_date() }}
    group by open_items.invoice_id
),

-- A promise whose tolerance ran out unpaid within the lookback escalates the customer.
broken_promises as (
    select
        promises.customer_id,
        max(promises.promised_date) as last_broken_promise_date
    from promises
    cross join params
    where
        promises.promise_status = 'broken'
        and {{ add_days('promises.promised_date', 'params.promise_tolerance_days') }}
        < {{ as_of_date() }}
        and {{ add_days('promises.promised_date', 'params.promise_tolerance_days') }}
        >= {{ add_days(as_of_date(), '-1 * params.broken_promise_lookback_days') }}
    group by promises.customer_id
),

max_stage as (
    select max(stage_order) as max_stage_order from stages
),

max_step as (
    select max(ladder_order) as max_ladder_order from ladder
),

items as (
    select
        open_items.invoice_id,
        open_items.customer_id,
        open_items.customer_name,
        open_items.region,
        open_items.currency,
        open_items.reporting_currency,
        open_items.open_amount,
        open_items.open_amount_rc,
        open_items.invoice_date,
        open_items.due_date,
        open_items.days_past_due,
        open_items.is_disputed,
        coalesce(disputes.disputed_amount, 0) as disputed_amount,
        disputes.dispute_opened_date,
        customers.country_code,
        coalesce(customers.customer_tier, 'potential') as customer_tier,
        customers.archetype,
        coalesce(scores.risk_level, 'unscored') as risk_level,
        {{ risk_level_order('scores.risk_level') }} as risk_level_order,
        coalesce(scores.pd_default, 0) as pd_default,
        coalesce(scores.expected_loss_rc, 0) as expected_loss_rc,
        coalesce(late_fees.accrued_late_fee, 0) as accrued_late_fee,
        coalesce(late_fees.accrued_late_fee_rc, 0) as accrued_late_fee_rc,
        scores.reason_code_1,
        scores.reasons_en as model_reasons_en,
        scores.reasons_zh as model_reasons_zh,
        stages.stage_order as base_stage_order,
        -- the priority weighs the document's own stage: an escalation changes the action, not the risk
        stages.severity_weight as base_severity_weight,
        pauses.paused_until,
        coalesce(tier_policy.grace_days, default_policy.grace_days, 0) as grace_days,
        broken_promises.last_broken_promise_date,
        case when broken_promises.customer_id is null then 0 else 1 end as escalation_steps
    from open_items
    inner join stages
        on
            open_items.days_past_due >= stages.min_days_past_due
            and (stages.max_days_past_due is null or open_items.days_past_due <= stages.max_days_past_due)
    left join scores
        on open_items.invoice_id = scores.invoice_id
    left join late_fees
        on open_items.invoice_id = late_fees.invoice_id
    left join disputes
        on open_items.invoice_id = disputes.invoice_id
    left join customers
        on open_items.customer_id = customers.customer_id
    left join pauses
        on open_items.invoice_id = pauses.invoice_id
    left join broken_promises
        on open_items.customer_id = broken_promises.customer_id
    left join policies as tier_policy
        on coalesce(customers.customer_tier, 'potential') = tier_policy.customer_tier
    left join policies as default_policy
        on default_policy.customer_tier = '*'
),

staged as (
    select
        items.*,
        stages.collection_stage,
        stages.stage_order,
        items.base_severity_weight as severity_weight,
        ladder.ladder_order as base_ladder_order
    from items
    cross join max_stage
    inner join stages
        on stages.stage_order = least(items.base_stage_order + items.escalation_steps, max_stage.max_stage_order)
    inner join ladder
        on
            (ladder.min_days_past_due is null or items.days_past_due >= ladder.min_days_past_due)
            and (ladder.max_days_past_due is null or items.days_past_due <= ladder.max_days_past_due)
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        staged.invoice_id,
        staged.customer_id,
        -- attributes
        staged.customer_name,
        staged.region,
        staged.country_code,
        staged.customer_tier,
        staged.archetype,
        staged.risk_level,
        staged.risk_level_order,
        staged.collection_stage,
        staged.stage_order,
        staged.escalation_steps,
        staged.is_disputed,
        -- the whole open amount in dispute: the invoice is held, not dunned
        staged.is_disputed and staged.disputed_amount >= staged.open_amount - 0.005 as is_fully_disputed,
        staged.dispute_opened_date,
        owner_step.owner_role,
        owner_step.ladder_order,
        staged.reason_code_1,
        staged.model_reasons_en,
        staged.model_reasons_zh,
        case
            when staged.paused_until is not null and not staged.is_disputed then 'paused_by_promise'
            when
                staged.days_past_due between 1 and staged.grace_days
                and staged.escalation_steps = 0
                and not staged.is_disputed
                then 'in_grace'
            when
                staged.days_past_due <= 0
                and params.prevention_min_risk_level <> 'all'
                and staged.risk_level_order < {{ risk_level_order('params.prevention_min_risk_level') }}
                then 'below_prevention_risk'
            else 'worklisted'
        end as worklist_status,
        -- amounts
        staged.currency,
        staged.reporting_currency,
        staged.open_amount,
        staged.open_amount_rc,
        -- the dunned part: the open amount less what open disputes hold
        cast(staged.open_amount - staged.disputed_amount as decimal(18, 2)) as undisputed_amount,
        cast(
            round(
                staged.open_amount_rc * (staged.open_amount - staged.disputed_amount) / nullif(staged.open_amount, 0), 2
            )
            as decimal(18, 2)
        ) as undisputed_amount_rc,
        staged.pd_default,
        cast(staged.expected_loss_rc as decimal(18, 2)) as expected_loss_rc,
        cast(staged.accrued_late_fee as decimal(18, 2)) as accrued_late_fee,
        cast(staged.accrued_late_fee_rc as decimal(18, 2)) as accrued_late_fee_rc,
        staged.severity_weight,
        cast(
            round(staged.pd_default * staged.open_amount_rc * staged.severity_weight, 2) as decimal(18, 2)
        ) as priority_points,
        -- dates
        staged.invoice_date,
        staged.due_date,
        staged.days_past_due,
        staged.paused_until,
        staged.last_broken_promise_date
    from staged
    cross join params
    cross join max_step
    inner join ladder as owner_step
        on
            owner_step.ladder_order
            = least(staged.base_ladder_order + staged.escalation_steps, max_step.max_ladder_order)
)

select * from final
