{#
    Keep the latest version of each key from a raw table: a row re-sent with a
    newer updated_at replaces the older one (source contract). Ties go to the
    later load, then the later line of the file. Soft deletes are dropped by
    the caller after this, so a deleted key disappears even if an older
    version was live. Portable SQL (no QUALIFY) so PostgreSQL builds it too.
#}
{% macro latest_version(relation, key_columns, order_by='updated_at desc, _loaded_at desc, _source_row desc') -%}
    select ranked.*
    from (
        select
            versions.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by {{ order_by }}
            ) as version_rank
        from {{ relation }} as versions
    ) as ranked
    where ranked.version_rank = 1
{%- endmacro %}
