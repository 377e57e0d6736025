-- One row per shipment with its delivery outcome and its promise drift split by
-- cause.
--
-- For a delivered shipment, drift (delivered date - promised date) is exactly
-- the sum of
--   node delay     shipped date - ship-by date (the node missed its cut-off)
--   carrier delay  transit days - quoted transit days (the carrier was slower)
--   promise gap    ship-by date + quoted days - promised date (the promise was
--                  optimistic)
-- so every day of drift is owned by one decision point.

with

shipments as (
    select
        *,
        {{ dbt.dateadd('day', 'quoted_transit_days', 'ship_by_date') }}
            as quoted_arrival_date
    from {{ ref('stg_lake__shipments') }}
),

orders as (
    select
        order_id,
        promised_date
    from {{ ref('stg_lake__orders') }}
),

measured as (
    select
        shipments.*,
        orders.promised_date,
        shipments.delivered_at is not null as is_delivered,
        shipments.shipped_at is not null as is_shipped,
        shipments.tracking_status = 'lost' as is_lost,
        {{ dbt.datediff(
            'shipments.ship_by_date', 'shipments.shipped_date', 'day'
        ) }} as node_delay_days,
        {{ dbt.datediff(
            'shipments.shipped_date', 'shipments.delivered_date', 'day'
        ) }} as transit_days,
        {{ dbt.datediff(
            'orders.promised_date', 'shipments.quoted_arrival_date', 'day'
        ) }} as promise_gap_days,
        {{ dbt.datediff(
            'orders.promised_date', 'shipments.delivered_date', 'day'
        ) }} as promise_drift_days
    from shipments
    left join orders
        on shipments.order_id = orders.order_id
),

final as (
    select
        *,
        transit_days - quoted_transit_days as carrier_delay_days,
        is_delivered and delivered_date <= promised_date as is_on_time,
        is_delivered
        and is_item_correct
        and is_quantity_correct
        and is_address_correct
        and coalesce(is_condition_ok, false) as is_in_full
    from measured
)

select * from final
