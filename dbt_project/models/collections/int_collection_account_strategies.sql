-- One account-level strategy per customer and as-of date (docs/collections.md,
-- "Which action"): every worklisted invoice of the customer is covered by one row.
--   governing invoice = the customer's worst invoice not wholly in dispute (a
--                       partial dispute holds only its amount): the highest
--                       collection stage (after a broken promise's escalation),
--                       then the latest ladder step, the highest priority points,
--                       the invoice id; a customer with disputed invoices only is
--                       governed by them and goes to dispute_resolution;
--   rule              = among the rules of collection_strategy whose stage is the
--                       governing stage and whose risk level (the customer's,
--                       customer_risk_scores), tier and archetype each equal the
--                       customer's or are '*', and whose min_overdue_amount_rc (if
--                       any) the customer's undisputed overdue amount reaches, the
--                       lowest priority (explicit data, a discount action skipped
--                       after a broken promise,
--                       checked on load: unique, no rule shadowed by an earlier one);
--   action_code       = the rule's action: at most one customer-facing action a day;
--   internal_actions  = the rule's internal action (e.g. lock_new_orders beside the
--                       finance manager's call; the load check refuses one that
--                       contradicts the action) and dispute_resolution when some of
--                       the invoices are disputed (only they are held, the rest is dunned);
--   owner_role        = the action's own role, else the governing invoice's ladder step;
--   priority_score    = sum of the covered invoices' priority points;
--   message amounts   = over the undisputed amounts (each invoice's open amount less
--                       what open disputes hold), in their own currency when they
--                       share one (else the reporting currency): open, overdue, not yet due.
with

items as (
    select * from {{ ref('int_collection_items') }}
    where worklist_status = 'worklisted'
),

customer_scores as (
    select * from {{ ref('customer_risk_scores') }}
    where as_of_date = {{ as_of_date() }}
),

strategy as (
    select
        *,
        -- text in the seed (see its yml): empty is no minimum
        cast(nullif(trim(min_overdue_amount_rc), '') as decimal(18, 2)) as min_overdue_rc
    from {{ ref('collection_strategy') }}
),

actions as (
    select * from {{ ref('collection_actions') }}
),

ranked as (
    select
        items.*,
        row_number() over (
            partition by items.customer_id
            order by
                case when items.is_fully_disputed then 1 else 0 end,
                items.stage_order desc,
                items.ladder_order desc,
                items.priority_points desc,
                items.invoice_id asc
        ) as governing_rank
    from items
),

governing as (
    select
        ranked.*,
        coalesce(customer_scores.risk_level, 'unscored') as customer_risk_level
    from ranked
    left join customer_scores
        on ranked.customer_id = customer_scores.customer_id
    where ranked.governing_rank = 1
),

totals as (
    select
        customer_id,
        count(*) as invoice_count,
        sum(case when is_disputed then 1 else 0 end) as disputed_invoice_count,
        sum(case when is_fully_disputed then 0 else 1 end) as dunned_invoice_count,
        {{ dbt.listagg('invoice_id', "','", 'order by due_date, invoice_id') }} as invoices_covered,
        {{ dbt.listagg('case when is_disputed then invoice_id end', "','", 'order by due_date, invoice_id') }}
            as disputed_invoices,
        sum(open_amount_rc) as open_amount_rc,
        sum(case when days_past_due > 0 then open_amount_rc else 0 end) as overdue_amount_rc,
        sum(undisputed_amount_rc) as dunned_amount_rc,
        sum(expected_loss_rc) as expected_loss_rc,
        sum(priority_points) as priority_score,
        max(days_past_due) as max_days_past_due,
        min(due_date) as oldest_due_date,
        max(escalation_steps) as escalation_steps,
        count(distinct case when not is_fully_disputed then currency end) as dunned_currency_count,
        min(case when not is_fully_disputed then currency end) as dunned_currency,
        sum(undisputed_amount) as dunned_amount,
        sum(case when days_past_due > 0 then undisputed_amount else 0 end) as dunned_overdue_amount,
        sum(case when days_past_due > 0 then undisputed_amount_rc else 0 end) as dunned_overdue_amount_rc,
        -- the fee on the dunned part only
        sum(accrued_late_fee * undisputed_amount / nullif(open_amount, 0)) as dunned_late_fee,
        sum(accrued_late_fee_rc * undisputed_amount / nullif(open_amount, 0)) as dunned_late_fee_rc,
        max(case when not is_fully_disputed then days_past_due end) as dunned_max_days_past_due,
        min(case when not is_fully_disputed then due_date end) as dunned_oldest_due_date
    from items
    group by customer_id
),

matched as (
    select
        governing.customer_id,
        strategy.rule_id,
        strategy.action_code,
        strategy.internal_action_code,
        strategy.channel,
        row_number() over (partition by governing.customer_id order by strategy.priority asc) as match_rank
    from governing
    inner join strategy
        on
            governing.collection_stage = strategy.collection_stage
            and strategy.risk_level in ('*', governing.customer_risk_level)
            and strategy.customer_tier in ('*', governing.customer_tier)
            and strategy.archetype in ('*', coalesce(governing.archetype, '*'))
    inner join totals
        on governing.customer_id = totals.customer_id
    inner join actions
        on strategy.action_code = actions.action_code
    where
        not governing.is_fully_disputed
        -- no discount for a customer who has just broken a promise: the next rule (e.g. the formal letter) takes it
        -- (a discount action has a discount_kind, checked on load; nullif: an empty cell read as text)
        and not (coalesce(totals.escalation_steps, 0) > 0 and nullif(actions.discount_kind, '') is not null)
        -- e.g. legal action only from an amount worth it; smaller ones fall to a later rule
        and (
            strategy.min_overdue_rc is null
            or totals.dunned_overdue_amount_rc >= strategy.min_overdue_rc
        )
),

final as (
    select
        -- ids
        {{ as_of_date() }} as as_of_date,
        governing.customer_id,
        governing.invoice_id as governing_invoice_id,
        -- attributes
        governing.customer_name,
        governing.region,
        governing.country_code,
        governing.customer_tier,
        governing.archetype,
        governing.customer_risk_level as risk_level,
        governing.collection_stage,
        coalesce(matched.rule_id, 'DISPUTE') as rule_id,
        coalesce(matched.action_code, 'dispute_resolution') as action_code,
        nullif(
            concat_ws(
                ';',
                nullif(matched.internal_action_code, ''),
                case
                    when totals.disputed_invoice_count > 0 and matched.rule_id is not null then 'dispute_resolution'
                end
            ),
            ''
        ) as internal_actions,
        coalesce(matched.channel, 'internal') as strategy_channel,
        coalesce(nullif(actions.owner_role, ''), governing.owner_role) as owner_role,
        governing.ladder_order,
        governing.reporting_currency,
        governing.reason_code_1,
        governing.model_reasons_en,
        governing.model_reasons_zh,
        totals.invoices_covered,
        totals.disputed_invoices,
        cast(totals.invoice_count as integer) as invoice_count,
        cast(totals.escalation_steps as integer) as escalation_steps,
        -- amounts
        totals.open_amount_rc,
        totals.overdue_amount_rc,
        totals.dunned_amount_rc,
        totals.dunned_overdue_amount_rc,
        totals.expected_loss_rc,
        totals.priority_score,
        cast(totals.max_days_past_due as integer) as max_days_past_due,
        -- what a customer message states: the undisputed invoices, in their own currency when they share one
        case
            when totals.dunned_currency_count = 1 then totals.dunned_currency else governing.reporting_currency
        end as message_currency,
        case
            when totals.dunned_currency_count = 1 then totals.dunned_amount else totals.dunned_amount_rc
        end as message_open_amount,
        case
            when totals.dunned_currency_count = 1 then totals.dunned_overdue_amount else totals.dunned_overdue_amount_rc
        end as message_overdue_amount,
        -- the contractual late fee on the undisputed invoices (fct_late_payment_interest)
        cast(totals.dunned_late_fee_rc as decimal(18, 2)) as late_fee_rc,
        case
            when totals.dunned_currency_count = 1 then totals.dunned_late_fee else totals.dunned_late_fee_rc
        end as message_late_fee,
        cast(
            case when totals.dunned_invoice_count > 0 then totals.dunned_invoice_count else totals.invoice_count end
            as integer
        ) as message_invoice_count,
        cast(coalesce(totals.dunned_max_days_past_due, totals.max_days_past_due) as integer)
            as message_days_past_due,
        -- dates
        totals.oldest_due_date,
        coalesce(totals.dunned_oldest_due_date, totals.oldest_due_date) as message_oldest_due_date
    from governing
    inner join totals
        on governing.customer_id = totals.customer_id
    left join matched
        on
            governing.customer_id = matched.customer_id
            and matched.match_rank = 1
    inner join actions
        on coalesce(matched.action_code, 'dispute_resolution') = actions.action_code
)

select * from final
