-- Alerts of the as-of date (docs/collections.md, "Alerts"): one row per
-- triggering event. Types: due_soon (prevention), newly_overdue (response),
-- aging_escalation (monitoring), overdue_cross_department (sales, finance and legal),
-- dispute_sla (a dispute open past dispute_sla_days),
-- credit_utilisation (80 / 90 / 100 %), promise_broken, risk_raised,
-- score_drift, data_quality and collection_plan_shortfall (a completed month's
-- collections below collection_plan_min_share of plan: collection_plan_progress,
-- judged on the month's last day) and receipt_anomaly (a receipt of
-- fct_receipt_anomalies, once per receipt: a candidate while its flagged_since is
-- within alert_repeat_after_days). Events that happen on a day (became overdue,
-- crossed into a bucket, a promise's tolerance ran out) are detected between
-- the previous as-of date of fct_ar_open_items and this one, so a gap of
-- several days loses nothing. Each event alerts once: a candidate is dropped
-- when the same event_key alerted at the same or a higher level within
-- alert_repeat_after_days before this as-of date (a condition that still
-- holds after that alerts again; an escalation alerts at once). Incremental
-- by as_of_date: a rerun of a date replaces it and gives the same rows.
-- alert_status: 'backlog' for a standing condition (due within the prevention
-- stage before this run, credit use, late payments, a customer's first score)
-- seen for the first time only because this is the first publication of the
-- alerts (no earlier as_of_date in this table) or because the customer is new
-- (not in the previous run's dim_customers); else 'new', today's event. The
-- backlog is recorded (so it does not fire again tomorrow) but is not counted
-- as today's alerts. late_payments (the red alert): int_collection_late_payments.
-- Each alert links to the customer's worklist row of the day (worklist_action_code
-- with as_of_date and customer_id; null without one); is_on_worklist marks an
-- alert about an invoice that row already covers (collection_worklist_items).
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook=["{{ prune_collection_history() }}"],
    )
}}

with

params as (
    select * from {{ ref('int_collection_parameters') }}
),

rules as (
    select * from {{ ref('alert_rules') }}
),

open_items as (
    select * from {{ ref('fct_ar_open_items') }}
    where
        as_of_date = {{ as_of_date() }}
        and document_type in ('invoice', 'debit_note')
        and open_amount_rc > 0
),

-- The previous run's date: events since then belong to this run.
previous_run as (
    select
        coalesce(max(as_of_date), {{ add_days(as_of_date(), -1) }}) as previous_as_of_date
    from {{ ref('fct_ar_open_items') }}
    where as_of_date < {{ as_of_date() }}
),

gap as (
    -- date minus date is a number of days on DuckDB and PostgreSQL
    select {{ as_of_date() }} - previous_run.previous_as_of_date as days_since_previous_run
    from previous_run
),

invoice_scores as (
    select * from {{ ref('invoice_risk_scores') }}
    where as_of_date = {{ as_of_date() }}
),

customer_scores as (
    select * from {{ ref('customer_risk_scores') }}
    where as_of_date = {{ as_of_date() }}
),

previous_scoring as (
    select max(as_of_date) as previous_scored_date
    from {{ ref('customer_risk_scores') }}
    where as_of_date < {{ as_of_date() }}
),

previous_customer_scores as (
    select customer_scores.*
    from {{ ref('customer_risk_scores') }} as customer_scores
    inner join previous_scoring
        on customer_scores.as_of_date = previous_scoring.previous_scored_date
),

drift as (
    select * from {{ ref('model_drift') }}
    where as_of_date = {{ as_of_date() }}
),

quality as (
    select * from {{ ref('stg_quality__validation_results') }}
),

plan_progress as (
    select * from {{ ref('collection_plan_progress') }}
    where as_of_date = {{ as_of_date() }}
),

receipt_anomalies as (
    select * from {{ ref('fct_receipt_anomalies') }}
    where as_of_date = {{ as_of_date() }}
),

exposure as (
    select * from {{ ref('credit_exposure') }}
),

utilisation_flags as (
    select * from {{ ref('credit_utilisation_thresholds') }}
),

buckets as (
    select * from {{ ref('aging_buckets') }}
),

prevention_stage as (
    select stage_list.min_days_past_due
    from {{ ref('collection_stages') }} as stage_list
    where
        stage_list.stage_order = (
            select min(first_stage.stage_order) from {{ ref('collection_stages') }} as first_stage
        )
),

promises as (
    select * from {{ ref('int_promises_evaluated') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
    where as_of_date = {{ as_of_date() }}
),

customer_owners as (
    select * from {{ ref('int_collection_customer_owners') }}
),

late_payments as (
    select * from {{ ref('int_collection_late_payments') }}
    where is_red_alert
),

worklist_items as (
    select * from {{ ref('collection_worklist_items') }}
    where as_of_date = {{ as_of_date() }}
),

worklist_rows as (
    select distinct
        customer_id,
        action_code
    from worklist_items
),

-- The customers of the previous run: a customer absent from it is new to the pipeline.
previous_customers as (
    select distinct dim_customers.customer_id
    from {{ ref('dim_customers') }} as dim_customers
    inner join previous_run
        on dim_customers.as_of_date = previous_run.previous_as_of_date
),

-- The first publication of the alerts: no earlier as_of_date in the alert history.
publications as (
    {% if is_incremental() %}
        select count(*) = 0 as is_first_publication
        from {{ this }}
        where as_of_date < {{ as_of_date() }}
    {% else %}
        select true as is_first_publication
    {% endif %}
),

default_owners as (
    select * from {{ ref('collection_owners') }}
    where region = '*'
),

risk_levels as (
    select * from {{ ref('risk_levels') }}
),

risk_phrases as (
    select * from {{ ref('message_phrases') }}
    where phrase_type = 'risk_level'
),

-- open disputes (a partial dispute with its disputed amount)
disputes as (
    select * from {{ ref('int_open_items_enriched') }}
    where is_disputed
),

items as (
    select
        open_items.*,
        coalesce(invoice_scores.risk_level, 'unscored') as risk_level,
        {{ risk_level_order('invoice_scores.risk_level') }} as risk_level_order
    from open_items
    left join invoice_scores
        on open_items.invoice_id = invoice_scores.invoice_id
),

{% set invoice_values = {
    'invoice_id': 'items.invoice_id', 'amount': 'items.open_amount_rc', 'currency': 'items.reporting_currency',
    'due_date': 'items.due_date', 'days_past_due': 'items.days_past_due', 'risk_level': 'items.risk_level',
} %}

-- The candidates in two unions (invoice events, then party events), each short enough to parse.
invoice_candidates as (
    -- prevention: due within the prevention stage's days, at prevention_min_risk_level or worse
    select
        'due_soon' as alert_type,
        items.risk_level as alert_level,
        0 as level_order,
        'due_soon|' || items.invoice_id || '|' || cast(items.due_date as {{ dbt.type_string() }}) as event_key,
        items.customer_id,
        items.customer_name,
        {{ alert_candidate_columns(dict(
            invoice_values,
            condition_started='items.days_past_due - gap.days_since_previous_run < prevention_stage.min_days_past_due'
        )) }}
    from items
    cross join params
    cross join prevention_stage
    cross join gap
    where
        items.days_past_due between prevention_stage.min_days_past_due and 0
        and (
            params.prevention_min_risk_level = 'all'
            or items.risk_level_order >= {{ risk_level_order('params.prevention_min_risk_level') }}
        )

    union all

    -- response: became overdue since the previous run
    select
        'newly_overdue' as alert_type,
        '*' as alert_level,
        0 as level_order,
        'newly_overdue|' || items.invoice_id || '|' || cast(items.due_date as {{ dbt.type_string() }}) as event_key,
        items.customer_id,
        items.customer_name,
        {{ alert_candidate_columns(invoice_values) }}
    from items
    cross join gap
    where items.days_past_due between 1 and gap.days_since_previous_run

    union all

    -- monitoring: crossed into a worse aging bucket (31-60 and beyond) since the previous run
    select
        'aging_escalation' as alert_type,
        buckets.aging_bucket as alert_level,
        buckets.bucket_order as level_order,
        'aging_escalation|' || items.invoice_id || '|' || cast(items.due_date as {{ dbt.type_string() }}) as event_key,
        items.customer_id,
        items.customer_name,
        {{ alert_candidate_columns(dict(
            invoice_values, level_label_en='buckets.label_en', level_label_zh='buckets.label_zh'
        )) }}
    from items
    cross join gap
    inner join buckets
        on
            buckets.bucket_order >= 2
            and items.days_past_due >= buckets.min_days_past_due
            and items.days_past_due - gap.days_since_previous_run < buckets.min_days_past_due

    union all

    -- escalation: a dispute open longer than dispute_sla_days since the previous run
    select
        'dispute_sla' as alert_type,
        '*' as alert_level,
        0 as level_order,
        'dispute_sla|'
        || disputes.invoice_id
        || '|'
        || cast(disputes.dispute_opened_date as {{ dbt.type_string() }}) as event_key,
        disputes.customer_id,
        disputes.customer_name,
        {{ alert_candidate_columns({
            'invoice_id': 'disputes.invoice_id', 'amount': 'disputes.disputed_amount',
            'currency': 'disputes.currency', 'due_date': 'disputes.due_date',
            'days_past_due': 'disputes.days_past_due', 'window_days': 'params.dispute_sla_days',
        }) }}
    from disputes
    cross join gap
    cross join params
    where
        {{ as_of_date() }} - disputes.dispute_opened_date > params.dispute_sla_days
        and {{ as_of_date() }} - disputes.dispute_opened_date - gap.days_since_previous_run <= params.dispute_sla_days

    union all

    -- escalation: cross_department_days past due, sales and finance together, legal informed
    select
        'overdue_cross_department' as alert_type,
        '*' as alert_level,
        0 as level_order,
        'overdue_cross_department|'
        || items.invoice_id
        || '|'
        || cast(items.due_date as {{ dbt.type_string() }}) as event_key,
        items.customer_id,
        items.customer_name,
        {{ alert_candidate_columns(invoice_values) }}
    from items
    cross join gap
    cross join params
    where
        items.days_past_due >= params.cross_department_days
        and items.days_past_due - gap.days_since_previous_run < params.cross_department_days

),

party_candidates as (
    -- credit: utilisation at 80 / 90 / 100 % (credit_utilisation_thresholds) of a customer or group
    select
        'credit_utilisation' as alert_type,
        exposure.utilisation_flag as alert_level,
        utilisation_flags.flag_order as level_order,
        'credit_utilisation|' || exposure.exposure_level || '|' || exposure.party_id as event_key,
        exposure.party_id as customer_id,
        exposure.party_name as customer_name,
        {{ alert_candidate_columns({'amount': 'exposure.exposure_rc', 'currency': 'exposure.reporting_currency',
                      'utilisation_pct': 'exposure.utilisation_pct',
                      'level_label_en': 'utilisation_flags.label_en',
                      'level_label_zh': 'utilisation_flags.label_zh',
                      'condition_started': 'false'}) }}
    from exposure
    inner join utilisation_flags
        on exposure.utilisation_flag = utilisation_flags.utilisation_flag
    where utilisation_flags.flag_order >= 1

    union all

    -- response: a promise whose tolerance ran out unpaid since the previous run
    select
        'promise_broken' as alert_type,
        '*' as alert_level,
        0 as level_order,
        'promise_broken|' || promises.promise_id as event_key,
        promises.customer_id,
        customers.customer_name,
        {{ alert_candidate_columns({'invoice_id': 'promises.invoice_id',
                      'amount': 'promises.promised_amount - promises.paid_amount',
                      'currency': "'" ~ var('reporting_currency') ~ "'",
                      'due_date': 'promises.promised_date'}) }}
    from promises
    cross join params
    cross join previous_run
    left join customers
        on promises.customer_id = customers.customer_id
    where
        promises.promise_status = 'broken'
        and {{ add_days('promises.promised_date', 'params.promise_tolerance_days') }} < {{ as_of_date() }}
        and {{ add_days('promises.promised_date', 'params.promise_tolerance_days') }}
        >= previous_run.previous_as_of_date

    union all

    -- monitoring: the customer's risk level rose to high or extreme since the previous scoring
    select
        'risk_raised' as alert_type,
        customer_scores.risk_level as alert_level,
        {{ risk_level_order('customer_scores.risk_level') }} as level_order,
        'risk_raised|' || customer_scores.customer_id as event_key,
        customer_scores.customer_id,
        customers.customer_name,
        {{ alert_candidate_columns({'amount': 'customer_scores.open_amount_rc',
                                    'currency': "'" ~ var('reporting_currency') ~ "'",
                      'risk_level': 'customer_scores.risk_level',
                      'condition_started': 'previous_customer_scores.customer_id is not null'}) }}
    from customer_scores
    cross join previous_scoring
    left join previous_customer_scores
        on customer_scores.customer_id = previous_customer_scores.customer_id
    left join customers
        on customer_scores.customer_id = customers.customer_id
    where
        previous_scoring.previous_scored_date is not null
        and customer_scores.risk_level in ('high', 'extreme')
        and {{ risk_level_order('customer_scores.risk_level') }}
        > {{ risk_level_order('previous_customer_scores.risk_level') }}

    union all

    -- red alert: more than late_payment_max_share of the customer's payments of the last
    -- late_payment_window_days were late (int_collection_late_payments)
    select
        'late_payments' as alert_type,
        '*' as alert_level,
        0 as level_order,
        'late_payments|' || late_payments.customer_id as event_key,
        late_payments.customer_id,
        customers.customer_name,
        {{ alert_candidate_columns({'payments': 'late_payments.payments',
                      'late_payments': 'late_payments.late_payments',
                      'late_share_pct': '100 * late_payments.late_share',
                      'max_share_pct': '100 * params.late_payment_max_share',
                      'window_days': 'params.late_payment_window_days',
                      'condition_started': 'false'}) }}
    from late_payments
    cross join params
    left join customers
        on late_payments.customer_id = customers.customer_id

    union all

    -- model: a feature or the score of one target's model drifted from its training population
    -- (PSI above the alert level)
    select
        'score_drift' as alert_type,
        '*' as alert_level,
        0 as level_order,
        'score_drift|' || drift.target || '|' || drift.feature as event_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as customer_name,
        {{ alert_candidate_columns({'feature': 'drift.feature', 'psi': 'drift.psi'}) }}
    from drift
    where drift.is_alert

    union all

    -- data quality: a warning-level check failed on this as-of date's extraction (rows quarantined)
    select
        'data_quality' as alert_type,
        '*' as alert_level,
        0 as level_order,
        'data_quality|'
        || quality.table_name
        || '|'
        || quality.rule
        || '|'
        || coalesce(quality.column_name, '') as event_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as customer_name,
        {{ alert_candidate_columns({'table_name': 'quality.table_name', 'rule': 'quality.rule',
                                    'column_name': 'quality.column_name',
                      'unexpected_count': 'quality.unexpected_count'}) }}
    from quality
    where
        substr(quality.batch_id, 1, 12) = '{{ as_of_date_text() }}__'
        and not quality.success
        and quality.severity <> 'critical'

    union all

    -- plan: the month ends with collections below collection_plan_min_share of its plan
    -- (policy 003 §4.4: 80 %); judged once, on the month's last day
    select
        'collection_plan_shortfall' as alert_type,
        '*' as alert_level,
        0 as level_order,
        'collection_plan_shortfall|' || cast(plan_progress.plan_month_start as {{ dbt.type_string() }}) as event_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as customer_name,
        {{ alert_candidate_columns({'amount': 'plan_progress.collected_month_to_date_rc',
                      'currency': "'" ~ var('reporting_currency') ~ "'",
                      'planned_amount': 'plan_progress.planned_collections_rc',
                      'plan_share_pct': '100 * plan_progress.plan_share',
                      'min_share_pct': '100 * plan_progress.collection_plan_min_share',
                      'plan_month': 'substr(cast(plan_progress.plan_month_start as ' ~ dbt.type_string() ~ '), 1, 7)',
                      'condition_started': 'true'}) }}
    from plan_progress
    where plan_progress.plan_status = 'below_plan'

    union all

    -- finance: a receipt that breaks the customer's habit (fct_receipt_anomalies, policy 003 §7.3);
    -- a candidate only while its first flag is recent, so with the repeat rule it alerts once
    select
        'receipt_anomaly' as alert_type,
        '*' as alert_level,
        0 as level_order,
        'receipt_anomaly|' || receipt_anomalies.payment_id as event_key,
        receipt_anomalies.customer_id,
        receipt_anomalies.customer_name,
        {{ alert_candidate_columns({'amount': 'receipt_anomalies.payment_amount',
                      'currency': 'receipt_anomalies.currency',
                      'payment_id': 'receipt_anomalies.payment_id',
                      'payment_date': 'receipt_anomalies.payment_date',
                      'reasons_en': 'receipt_anomalies.reasons_en',
                      'reasons_zh': 'receipt_anomalies.reasons_zh',
                      'condition_started': 'receipt_anomalies.flagged_since > previous_run.previous_as_of_date'}) }}
    from receipt_anomalies
    cross join params
    cross join previous_run
    where
        receipt_anomalies.flagged_since
        > {{ add_days(as_of_date(), '-1 * params.alert_repeat_after_days') }}
),

candidates as (
    select * from invoice_candidates
    union all
    select * from party_candidates
),

{% if is_incremental() %}
already_alerted as (
    select
        history.event_key,
        max(history.level_order) as level_order
    from {{ this }} as history
    cross join params
    where
        history.as_of_date < {{ as_of_date() }}
        and history.as_of_date >= {{ add_days(as_of_date(), '-1 * params.alert_repeat_after_days') }}
    group by history.event_key
),
{% endif %}

new_events as (
    select candidates.*
    from candidates
    {% if is_incremental() %}
        left join already_alerted
            on candidates.event_key = already_alerted.event_key
        where already_alerted.event_key is null or candidates.level_order > already_alerted.level_order
    {% endif %}
),

ruled as (
    select
        new_events.*,
        rules.category,
        rules.severity,
        rules.owner_role,
        rules.notify_roles,
        rules.rule_version,
        rules.message_en as rule_template_en,
        rules.message_zh as rule_template_zh,
        row_number() over (
            partition by new_events.event_key, new_events.alert_level
            order by case when rules.alert_level = '*' then 1 else 0 end
        ) as rule_rank
    from new_events
    inner join rules
        on
            new_events.alert_type = rules.alert_type
            and rules.alert_level in ('*', new_events.alert_level)
),

-- The words a message states: the amount with thousands separators, the risk level in each language.
{% set late_payment_values = {
    'payments': 'ruled.payments', 'late_payments': 'ruled.late_payments', 'late_share_pct': 'ruled.late_share_pct',
    'max_share_pct': 'ruled.max_share_pct', 'window_days': 'ruled.window_days',
    'planned_amount': format_amount('ruled.planned_amount'), 'plan_share_pct': 'ruled.plan_share_pct',
    'min_share_pct': 'ruled.min_share_pct', 'plan_month': 'ruled.plan_month',
    'payment_id': 'ruled.payment_id', 'payment_date': 'ruled.payment_date',
} %}

-- The red alert's and the plan shortfall's placeholders are filled first (two shorter replace
-- chains than one long one).
worded as (
    select
        ruled.*,
        {{ fill_template('ruled.rule_template_en', late_payment_values) }} as template_en,
        {{ fill_template('ruled.rule_template_zh', late_payment_values) }} as template_zh,
        {{ format_amount('ruled.amount') }} as amount_text,
        coalesce(risk_levels.label_en, risk_phrases.label_en, ruled.risk_level) as risk_level_en,
        coalesce(risk_levels.label_zh, risk_phrases.label_zh, ruled.risk_level) as risk_level_zh
    from ruled
    left join risk_levels
        on ruled.risk_level = risk_levels.risk_level
    left join risk_phrases
        on ruled.risk_level = risk_phrases.code
    where ruled.rule_rank = 1
),

{% set message_values = {
    'customer_name': 'worded.customer_name', 'invoice_id': 'worded.invoice_id', 'amount': 'worded.amount_text',
    'currency': 'worded.currency', 'due_date': 'worded.due_date', 'days_past_due': 'worded.days_past_due',
    'utilisation_pct': 'worded.utilisation_pct',
    'level_label_en': 'worded.level_label_en', 'level_label_zh': 'worded.level_label_zh', 'feature': 'worded.feature',
    'psi': 'worded.psi', 'table_name': 'worded.table_name', 'rule': 'worded.rule', 'column_name': 'worded.column_name',
    'unexpected_count': 'worded.unexpected_count',
} %}
{% set message_values_en = dict(message_values) %}
{% do message_values_en.update({'risk_level': 'worded.risk_level_en', 'reasons': 'worded.reasons_en'}) %}
{% set message_values_zh = dict(message_values) %}
{% do message_values_zh.update({'risk_level': 'worded.risk_level_zh', 'reasons': 'worded.reasons_zh'}) %}

final as (
    select
        -- ids
        md5(
            worded.event_key || '|' || worded.alert_level || '|' || cast({{ as_of_date() }} as {{ dbt.type_string() }})
        ) as alert_id,
        {{ as_of_date() }} as as_of_date,
        worded.event_key,
        worded.customer_id,
        worded.invoice_id,
        -- attributes
        worded.alert_type,
        worded.alert_level,
        cast(worded.level_order as integer) as level_order,
        worded.category,
        worded.severity,
        worded.customer_name,
        worded.owner_role,
        coalesce(customer_owners.owner_id, default_owners.person_id) as owner_id,
        coalesce(customer_owners.owner_name, default_owners.person_name) as owner_name,
        worded.notify_roles,
        cast(worded.rule_version as integer) as rule_version,
        {{ fill_template('worded.template_en', message_values_en) }} as message_en,
        {{ fill_template('worded.template_zh', message_values_zh) }} as message_zh,
        -- amounts
        worded.amount,
        worded.currency,
        worded.days_past_due,
        worded.utilisation_pct,
        worded.psi,
        -- dates
        worded.due_date,
        -- status and worklist link (appended: the BI contract keeps earlier columns in place)
        case
            when
                not coalesce(worded.condition_started, true)
                and (
                    publications.is_first_publication
                    or (worded.customer_id is not null and previous_customers.customer_id is null)
                )
                then 'backlog'
            else 'new'
        end as alert_status,
        worklist_rows.action_code as worklist_action_code,
        worklist_covered.invoice_id is not null as is_on_worklist
    from worded
    left join customer_owners
        on
            worded.customer_id = customer_owners.customer_id
            and worded.owner_role = customer_owners.owner_role
    left join default_owners
        on worded.owner_role = default_owners.owner_role
    cross join publications
    left join previous_customers
        on worded.customer_id = previous_customers.customer_id
    left join worklist_rows
        on worded.customer_id = worklist_rows.customer_id
    left join worklist_items as worklist_covered
        on
            worded.customer_id = worklist_covered.customer_id
            and worded.invoice_id = worklist_covered.invoice_id
)

select * from final
