{#
    Schemas are named exactly as configured (raw, staging, intermediate, marts,
    reference): BI tools and the publisher rely on `marts` being `marts`, not
    `main_marts`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
