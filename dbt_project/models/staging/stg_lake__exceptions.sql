with

source as (
    select * from {{ source('lake', 'exceptions') }}
),

renamed as (
    select
        -- ids
        exception_id,
        order_id,
        node_id,

        -- strings
        exception_type,
        exception_class,
        resolution,

        -- numerics
        manual_touches,

        -- dates
        cast(opened_at as date) as opened_date,

        -- timestamps
        opened_at,
        resolved_at

    from source
)

select * from renamed
