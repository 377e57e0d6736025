with

source as (
    select * from {{ source('lake', 'dependency_health') }}
),

renamed as (
    select
        -- ids
        dependency,

        -- numerics
        calls,
        errors,
        timeouts,
        retries,
        circuit_open_seconds,
        p95_latency_ms,
        queue_depth,
        consumer_lag,
        dead_letters,

        -- dates
        cast(minute as date) as health_date,

        -- timestamps
        minute as minute_at

    from source
)

select * from renamed
