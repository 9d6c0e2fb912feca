{#
    Keep the latest version of each key (default: the model's unique_key) from a raw table: a row re-sent with a
    newer updated_at replaces the older one (source contract). Ties go to the
    later load, then the later line of the file. Soft deletes are dropped by
    the caller after this, so a deleted key disappears even if an older
    version was live. Portable SQL (no QUALIFY) so PostgreSQL builds it too.
#}
{% macro latest_version(relation, key_columns=none, order_by='updated_at desc, _loaded_at desc, _source_row desc') -%}
    {%- set key_columns = key_columns if key_columns is not none else _staging_key_columns() -%}
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

{#
    Staging tables are incremental (dbt_project.yml): raw keeps every version
    of every row, and a day's load touches a few thousand keys out of millions,
    so the daily build re-stages only those keys instead of re-ranking all of
    raw.

    staged_versions(relation): the raw versions the staging model ranks. On a
    full build, every row. On an incremental build, every version of each key
    that has a version loaded after the table's newest _loaded_at. Loads and
    builds never overlap (both hold the one-slot warehouse pool), so no load
    can land at or before that watermark after the build read it. Ranking all versions of a touched key, not only the new
    ones, keeps the result identical to a full build: an older version re-sent
    with an older updated_at still loses.

    delete_tombstoned_staging_keys() (pre-hook): keys with a deleted version in
    that window are removed first; delete+insert then puts back the ones whose
    latest version is live again, so a deleted key disappears and a revived
    key returns, as on a full build.

    The key is the model's unique_key; the raw table is the model's only source.
#}
{% macro staged_versions(relation) -%}
    select versions.*
    from {{ relation }} as versions
    {%- if is_incremental() %}
    where ({{ _staging_key_columns() | join(', ') }}) in (
        select {{ _staging_key_columns() | join(', ') }}
        from {{ relation }}
        where _loaded_at > ({{ incremental_watermark('_loaded_at') }})
    )
    {%- endif %}
{%- endmacro %}

{% macro delete_tombstoned_staging_keys() -%}
    {%- if is_incremental() -%}
        {%- set source_ref = model.sources[0] -%}
        {%- set relation = source(source_ref[0], source_ref[1]) -%}
    delete from {{ this }}
    where ({{ _staging_key_columns() | join(', ') }}) in (
        select {{ _staging_key_columns() | join(', ') }}
        from {{ relation }}
        where
            coalesce(is_deleted, false)
            and _loaded_at > ({{ incremental_watermark('_loaded_at') }})
    )
    {%- endif -%}
{%- endmacro %}

{% macro _staging_key_columns() -%}
    {%- set key = config.get('unique_key') -%}
    {%- if key is none -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": a staging model needs a unique_key config (its source key)") }}
    {%- endif -%}
    {{- return([key] if key is string else key) -}}
{%- endmacro %}

{#
    incremental_watermark(column): the newest value of a load-time column in
    the model's own table (1900-01-01 when empty): what an incremental build
    has already taken in. Staging reads _loaded_at, int_ar_ledger
    _source_loaded_through.
#}
{% macro incremental_watermark(column) -%}
    select coalesce(max({{ column }}), cast('1900-01-01' as timestamp)) from {{ this }}
{%- endmacro %}
