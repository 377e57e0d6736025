with

source as (
    select * from {{ source('lake', 'change_annotations') }}
),

renamed as (
    select
        -- ids
        change_id,

        -- strings
        kind as change_kind,
        scope,
        description,
        rule_set_version,

        -- dates
        cast(starts_at as date) as starts_date,

        -- timestamps
        starts_at,
        ends_at

    from source
)

select * from renamed
