{#
    Masking of the CRM's personal data, in one place: what a collector sees of a
    contact in the worklist (docs/collections.md). regexp_replace with the 'g'
    flag and POSIX classes reads the same on DuckDB (RE2) and PostgreSQL (ARE).
#}

{# Separators between addresses or numbers typed into one field: ; , 、 ； ， and white space. #}
{% macro personal_data_separators() -%}
    ;,、；，[:space:]
{%- endmacro %}


{#
    A phone number field: the first 3 and last 4 characters kept, the rest
    starred (+8613800001111 -> +86*******1111); 4 characters or fewer all starred.
#}
{% macro mask_phone(column) -%}
    case
        when {{ column }} is null then null
        when length({{ column }}) <= 4 then repeat('*', length({{ column }}))
        else
            left({{ column }}, least(3, length({{ column }}) - 4))
            || repeat('*', greatest(length({{ column }}) - 7, 1))
            || right({{ column }}, 4)
    end
{%- endmacro %}


{#
    An e-mail field, which may hold several addresses (a@x.cn; b@gmail.com):
    each address keeps its first character and its domain
    (a***@x.cn; b***@gmail.com). Null when the field holds no address at all.
#}
{% macro mask_emails(column) -%}
    {%- set masked -%}
        regexp_replace(
            {{ column }}, '([^@{{ personal_data_separators() }}])[^@{{ personal_data_separators() }}]*@', '\1***@', 'g'
        )
    {%- endset -%}
    case
        when {{ column }} is null then null
        when {{ masked }} = {{ column }} then null
        else {{ mask_phone_numbers(masked) }}
    end
{%- endmacro %}


{#
    Free text from the CRM (a contact's name): every run of 7 or more digits,
    with an optional leading + and spaces or dashes inside, is a phone number
    and becomes *** (张三 13812345678 -> 张三 ***; +86 138-1234-5678 -> ***).
    Shorter numbers (a room, an extension) stay.
#}
{% macro mask_phone_numbers(column) -%}
    regexp_replace({{ column }}, '\+?[0-9]([ -]?[0-9]){6,}', '***', 'g')
{%- endmacro %}
