{#
    How receipts and credit notes are matched to the documents they clear.
    'source': the ERP's own erp_payment_applications. 'fifo': the table is
    empty (absent at the source), so int_payment_applications_unified applies
    them oldest-due-first. The var `payment_application_method` is 'auto'
    (default: source when the table has any row, whatever its date, so the
    method does not flip between backfilled dates) or forces one method.
#}
{% macro payment_application_method() -%}
    {%- set configured = var('payment_application_method', 'auto') | string | trim -%}
    {%- if configured not in ['auto', 'source', 'fifo'] -%}
        {{ exceptions.raise_compiler_error(
            "dbt var payment_application_method=" ~ configured ~ " must be one of auto, source, fifo") }}
    {%- endif -%}
    {%- if configured != 'auto' -%}
        {{ return(configured) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return('source') }}
    {%- endif -%}
    {%- set applications = ref('stg_erp__payment_applications') -%}
    {#- Not built yet (compiling alone, e.g. a linter): the table's answer is unknown; assume source. -#}
    {%- if load_relation(applications) is none -%}
        {{ return('source') }}
    {%- endif -%}
    {%- set found = run_query('select count(*) from (select 1 from ' ~ applications ~ ' limit 1) as any_row') -%}
    {{ return('source' if found.columns[0].values()[0] | int > 0 else 'fifo') }}
{%- endmacro %}


{#
    on-run-end: the run says which application method it used (also logged
    when the model is built), so a reader of the logs knows whether open
    balances rest on the ERP's applications or on the FIFO fallback.
#}
{% macro report_payment_application_method(results) -%}
    {%- if execute -%}
        {%- for result in results
            if result.node.name == 'int_payment_applications_unified'
            and result.node.resource_type == 'model'
            and result.status == 'success' -%}
            {%- set found = run_query(
                'select application_method, count(*) from ' ~ result.node.relation_name
                ~ ' group by application_method') -%}
            {%- for row in found.rows -%}
                {{ log('Payment applications: ' ~ row[1] ~ ' rows by method ' ~ row[0]
                    ~ (' (receipts and credit notes applied oldest-due-first: erp_payment_applications is empty or var payment_application_method = fifo)'
                       if row[0] == 'fifo' else ' (from erp_payment_applications)'), info=True) }}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
