{#
    The model's feature columns, in the order the model sees them. Each is
    described (family, meaning, reason-code text in zh-CN and en) in
    seeds/ml_features.csv; the singular test assert_ml_features_described
    fails the build when the two lists differ.
#}
{% macro ml_feature_columns() -%}
    {{ return([
        'hist_paid_invoices', 'hist_avg_days_late', 'hist_share_late', 'hist_recent_avg_days_late',
        'hist_days_late_trend', 'hist_promises_broken', 'hist_promise_break_rate', 'hist_disputes',
        'hist_bad_debt_writeoffs', 'hist_last_payment_day_of_month',
        'cur_open_ar_rc', 'cur_overdue_ar_rc', 'cur_overdue_share', 'cur_credit_utilisation',
        'cur_overdue_invoices', 'cur_max_days_past_due', 'cur_avg_days_past_due', 'cur_open_disputes',
        'inv_amount_rc', 'inv_amount_vs_typical', 'inv_payment_terms_days', 'inv_due_day_of_month',
        'inv_due_on_weekend', 'inv_days_due_to_usual_pay_day',
        'rel_tenure_days', 'rel_account_tier', 'rel_invoices_before', 'rel_sales_365_rc', 'rel_orders_90',
        'rel_contacts_recent', 'rel_contact_success_rate', 'rel_days_since_last_contact',
    ]) }}
{%- endmacro %}

{#
    The running totals behind the features (int_ml_customer_events writes one
    column of daily changes per measure; int_ml_feature_points sums them up to
    each observation). first_invoice_epoch, last_contact_epoch and
    last_paid_epoch are kept apart: they take a running min / max.
#}
{% macro ml_summed_measures() -%}
    {{ return([
        'open_ar_rc', 'overdue_ar_rc', 'sales_365_rc', 'invoices', 'invoice_amount_rc',
        'paid_invoices', 'days_late_sum', 'late_invoices', 'recent_paid_invoices', 'recent_days_late_sum',
        'overdue_open_invoices', 'overdue_open_due_epoch_sum', 'bad_debt_writeoffs', 'promises_made',
        'promises_broken', 'disputes_opened', 'disputes_open', 'contacts_recent', 'contacts_reached_recent',
        'orders_90', 'credit_limit_rc',
    ]) }}
{%- endmacro %}
