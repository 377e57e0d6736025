with

source as (
    select * from {{ source('lake', 'finance_ledger') }}
),

renamed as (
    select
        -- ids
        entry_id,
        order_id,
        shipment_id,

        -- strings
        entry_type,
        reason_code,
        currency,

        -- numerics
        amount,

        -- dates
        cast(booked_at as date) as booked_date,

        -- timestamps
        booked_at

    from source
)

select * from renamed
