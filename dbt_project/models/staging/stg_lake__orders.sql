with

source as (
    select * from {{ source('lake', 'orders') }}
),

renamed as (
    select
        -- ids
        order_id,
        customer_id as customer_key,

        -- strings
        channel,
        customer_region,
        service_level,
        routing_method,
        rule_set_version,
        status as order_status,
        currency,

        -- numerics
        ship_to_zone,
        order_value,
        promise_latency_ms,

        -- dates
        promised_delivery_date as promised_date,
        cast(created_at as date) as order_date,

        -- timestamps
        created_at

    from source
)

select * from renamed
