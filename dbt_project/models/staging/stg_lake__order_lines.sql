with

source as (
    select * from {{ source('lake', 'order_lines') }}
),

renamed as (
    select
        -- ids
        order_id,
        line_no,
        sku,
        node_id,
        shipment_id,

        -- strings
        sku_class,

        -- numerics
        quantity,
        unit_price,
        quantity * unit_price as line_value

    from source
)

select * from renamed
