with

source as (
    select * from {{ source('lake', 'order_events') }}
),

renamed as (
    select
        -- ids
        event_id,
        order_id,
        trace_id,
        node_id,
        shipment_id,

        -- strings
        event_type,
        status as event_status,
        source_system,
        exception_reason,

        -- numerics
        latency_ms,

        -- dates
        cast(occurred_at as date) as event_date,

        -- timestamps
        occurred_at

    from source
)

select * from renamed
