-- The feature columns the model reads (macro ml_feature_columns) and the
-- described features (seeds/ml_features.csv) must be the same list: a
-- feature without a description has no reason-code text, and a described
-- feature that is not computed would fail training. One row per mismatch.
with

computed as (
    {%- for feature in ml_feature_columns() %}
        select '{{ feature }}' as feature
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

described as (
    select feature from {{ ref('ml_features') }}
)

select
    coalesce(computed.feature, described.feature) as feature,
    case
        when described.feature is null then 'computed but missing from seeds/ml_features.csv'
        else 'described in seeds/ml_features.csv but not computed (macro ml_feature_columns)'
    end as problem
from computed
full outer join described
    on computed.feature = described.feature
where computed.feature is null or described.feature is null
