-- The change calendar every trend is annotated with.

with

changes as (
    select * from {{ ref('stg_lake__change_annotations') }}
),

final as (
    select
        cast(change_id as varchar) as change_id,
        cast(change_kind as varchar) as change_kind,
        starts_at,
        ends_at,
        cast(starts_date as date) as starts_date,
        cast(scope as varchar) as scope,
        cast(description as varchar) as description,
        cast(rule_set_version as varchar) as rule_set_version
    from changes
)

select * from final
