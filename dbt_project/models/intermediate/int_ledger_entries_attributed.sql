-- Ledger entries that are revenue leakage, with the node, carrier and order
-- context the attribution needs. Normal costs (base shipping) are not leakage
-- and stay out.

with

entries as (
    select * from {{ ref('stg_lake__ledger_entries') }}
),

rules as (
    select * from {{ ref('leakage_attribution_rules') }}
),

shipments as (
    select * from {{ ref('int_shipments_outcomes') }}
),

orders as (
    select * from {{ ref('int_orders_outcomes') }}
),

final as (
    select
        entries.entry_id,
        entries.booked_date,
        entries.booked_at,
        entries.order_id,
        entries.shipment_id,
        entries.entry_type,
        entries.reason_code,
        entries.amount,
        entries.currency,
        rules.root_cause,
        rules.decision_point,
        orders.customer_region,
        orders.channel,
        orders.value_band,
        -- The order's delay components, for rules that attribute by cause.
        orders.node_delay_days,
        orders.carrier_delay_days,
        orders.promise_gap_days,
        coalesce(shipments.node_id, orders.node_id) as node_id,
        coalesce(shipments.carrier_id, orders.carrier_id) as carrier_id
    from entries
    inner join rules
        on entries.reason_code = rules.reason_code
    left join shipments
        on entries.shipment_id = shipments.shipment_id
    left join orders
        on entries.order_id = orders.order_id
    where rules.is_leakage
)

select * from final
