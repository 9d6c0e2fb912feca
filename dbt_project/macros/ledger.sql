{#
    Pre-hook of int_ar_ledger (incremental by document). delete+insert
    replaces every row of each document the build re-derives; this removes
    what it cannot reach:
    - in FIFO mode, everything: the applications depend on the as-of date;
    - an application or write-off staged again, wherever it was before
      (it may have moved to another document);
    - movements whose source row is no longer staged: deleted documents,
      applications and write-offs (a tombstone removes the staging row).
    Staging keys are never null (not_null tests), so NOT IN is safe.
#}
{% macro delete_replaced_ledger_movements() -%}
    {%- if is_incremental() -%}
        {%- if payment_application_method() != 'source' %}
    delete from {{ this }}
        {%- else %}
    delete from {{ this }}
    where
        (
            movement_type in ('receipt_applied', 'credit_applied')
            and movement_id in (
                select application_id from {{ ref('stg_erp__payment_applications') }}
                where _loaded_at > ({{ incremental_watermark('_source_loaded_through') }})
            )
        )
        or (
            movement_type = 'writeoff'
            and movement_id in (
                select writeoff_id from {{ ref('stg_erp__writeoffs') }}
                where _loaded_at > ({{ incremental_watermark('_source_loaded_through') }})
            )
        )
        or invoice_id not in (select invoice_id from {{ ref('stg_erp__invoices') }})
        or (
            movement_type in ('receipt_applied', 'credit_applied')
            and movement_id not in (select application_id from {{ ref('stg_erp__payment_applications') }})
        )
        or (
            movement_type = 'writeoff'
            and movement_id not in (select writeoff_id from {{ ref('stg_erp__writeoffs') }})
        )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#
    The documents int_ar_ledger re-derives on an incremental build: those with
    the document, one of its applications or one of its write-offs staged
    after the ledger's newest _source_loaded_through, and those of a currency
    whose rate was staged again, dated on or after that rate (the rate ranges
    from it on changed). Reads the staging tables, not the model's CTEs: a
    CTE read twice is materialized by DuckDB, whole.
#}
{% macro ledger_documents_to_refresh() -%}
    select invoice_id from {{ ref('stg_erp__invoices') }}
    where _loaded_at > ({{ incremental_watermark('_source_loaded_through') }})
    union
    select invoice_id from {{ ref('stg_erp__payment_applications') }}
    where _loaded_at > ({{ incremental_watermark('_source_loaded_through') }})
    union
    select invoice_id from {{ ref('stg_erp__writeoffs') }}
    where _loaded_at > ({{ incremental_watermark('_source_loaded_through') }})
    union
    select restated.invoice_id
    from {{ ref('stg_erp__invoices') }} as restated
    inner join (
        select
            currency,
            min(rate_date) as first_rate_date
        from {{ ref('stg_erp__fx_rates') }}
        where _loaded_at > ({{ incremental_watermark('_source_loaded_through') }})
        group by currency
    ) as restated_rates
        on
            restated.currency = restated_rates.currency
            and restated.invoice_date >= restated_rates.first_rate_date
{%- endmacro %}
