-- agg_ar_aging for the as-of date being built must reconcile:
--   1. on every row, the bucket amounts sum to total_open_ar_rc, overdue is
--      part of it, and net = total - unapplied cash - unapplied credit notes;
--   2. every scope type partitions the company: its rows sum to the company row;
--   3. the company's total_open_ar_rc = documents - applications (receipts and
--      credit notes) - write-offs, per open debit document, converted with a
--      rate looked up here from stg_erp__fx_rates (latest on or before the
--      document date), not through the models' rate ranges.
-- Returns one row per broken check.
{%- set codes = aging_bucket_codes() %}
with

aging as (
    select
        *,
        {% for code in codes -%}
            {{ code }}_amount_rc{{ ' + ' if not loop.last }}
        {%- endfor %} as bucket_sum
    from {{ ref('agg_ar_aging') }}
    where as_of_date = {{ as_of_date() }}
),

row_checks as (
    select
        'row totals' as check_name,
        scope_type,
        scope_id,
        total_open_ar_rc as expected,
        bucket_sum as actual
    from aging
    where
        abs(total_open_ar_rc - bucket_sum) > 0.005
        or overdue_amount_rc > total_open_ar_rc
        or abs(net_open_ar_rc - (total_open_ar_rc - unapplied_cash_rc - unapplied_credit_notes_rc)) > 0.005
),

company as (
    select * from aging
    where scope_type = 'company'
),

scope_totals as (
    select
        scope_type,
        sum(total_open_ar_rc) as total_open_ar_rc,
        sum(overdue_amount_rc) as overdue_amount_rc,
        sum(unapplied_cash_rc + unapplied_credit_notes_rc) as unapplied_rc,
        sum(open_invoice_count) as open_invoice_count
    from aging
    group by scope_type
),

partition_checks as (
    select
        'scope partitions company' as check_name,
        scope_totals.scope_type,
        'all' as scope_id,
        company.total_open_ar_rc as expected,
        scope_totals.total_open_ar_rc as actual
    from scope_totals
    cross join company
    where
        abs(scope_totals.total_open_ar_rc - company.total_open_ar_rc) > 0.005
        or abs(scope_totals.overdue_amount_rc - company.overdue_amount_rc) > 0.005
        or abs(scope_totals.unapplied_rc - (company.unapplied_cash_rc + company.unapplied_credit_notes_rc)) > 0.005
        or scope_totals.open_invoice_count != company.open_invoice_count
),

applied as (
    select
        invoice_id,
        sum(amount_applied) as amount
    from {{ ref('int_payment_applications_unified') }}
    group by invoice_id
),

written_off as (
    select
        invoice_id,
        sum(writeoff_amount) as amount
    from {{ ref('stg_erp__writeoffs') }}
    where writeoff_date <= {{ as_of_date() }}
    group by invoice_id
),

ledger_open as (
    select
        documents.invoice_id,
        documents.currency,
        documents.invoice_date,
        documents.document_amount - coalesce(applied.amount, 0) - coalesce(written_off.amount, 0) as open_amount
    from {{ ref('stg_erp__invoices') }} as documents
    left join applied on documents.invoice_id = applied.invoice_id
    left join written_off on documents.invoice_id = written_off.invoice_id
    where
        documents.document_type in ('invoice', 'debit_note')
        and documents.invoice_date <= {{ as_of_date() }}
),

-- only documents still open count, so only they need a rate (a range join
-- over every settled foreign-currency document was most of this test's time)
open_documents as (
    select * from ledger_open
    where open_amount > 0
),

ledger_rates as (
    select
        open_documents.invoice_id,
        max(rates.rate_date) as rate_date
    from open_documents
    inner join {{ ref('stg_erp__fx_rates') }} as rates
        on
            open_documents.currency = rates.currency
            and open_documents.invoice_date >= rates.rate_date
    where open_documents.currency != '{{ var("reporting_currency") }}'
    group by open_documents.invoice_id
),

ledger_total as (
    select
        sum(
            round(
                open_documents.open_amount
                * case
                    when open_documents.currency = '{{ var("reporting_currency") }}' then 1
                    else rates.rate_to_reporting
                end,
                2
            )
        ) as total_open_ar_rc
    from open_documents
    left join ledger_rates on open_documents.invoice_id = ledger_rates.invoice_id
    left join {{ ref('stg_erp__fx_rates') }} as rates
        on
            open_documents.currency = rates.currency
            and ledger_rates.rate_date = rates.rate_date
),

ledger_checks as (
    select
        'company equals ledger' as check_name,
        'company' as scope_type,
        'company' as scope_id,
        coalesce(ledger_total.total_open_ar_rc, 0) as expected,
        coalesce(company.total_open_ar_rc, 0) as actual
    from ledger_total
    left join company on 1 = 1
    where abs(coalesce(ledger_total.total_open_ar_rc, 0) - coalesce(company.total_open_ar_rc, 0)) > 0.005
)

select * from row_checks
union all
select * from partition_checks
union all
select * from ledger_checks
