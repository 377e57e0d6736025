with

source as (
    select * from {{ source('lake', 'shipments') }}
),

renamed as (
    select
        -- ids
        shipment_id,
        order_id,
        node_id,
        carrier_id,

        -- strings
        service_level,
        tracking_status,

        -- numerics
        zone,
        quoted_transit_days,
        lines_shipped,
        units_shipped,

        -- booleans
        is_item_correct,
        is_quantity_correct,
        is_address_correct,
        is_condition_ok,

        -- dates
        cast(created_at as date) as shipment_date,
        cast(ship_by_at as date) as ship_by_date,
        cast(shipped_at as date) as shipped_date,
        cast(delivered_at as date) as delivered_date,

        -- timestamps
        created_at,
        ship_by_at,
        shipped_at,
        delivered_at

    from source
)

select * from renamed
