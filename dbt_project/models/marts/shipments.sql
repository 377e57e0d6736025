{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='shipment_date',
        on_schema_change='fail',
        pre_hook="{{ clear_run_window('shipment_date', var('outcome_lookback_days')) }}",
        tags=['daily'],
    )
}}

with

shipments as (
    select * from {{ ref('int_shipments_outcomes') }}
    {% if is_incremental() %}
        where {{ in_run_window('shipment_date', var('outcome_lookback_days')) }}
    {% endif %}
),

final as (
    select
        cast(shipment_id as varchar) as shipment_id,
        cast(order_id as varchar) as order_id,
        cast(shipment_date as date) as shipment_date,
        cast(node_id as varchar) as node_id,
        cast(carrier_id as varchar) as carrier_id,
        cast(service_level as varchar) as service_level,
        cast(zone as bigint) as zone,
        cast(tracking_status as varchar) as tracking_status,
        ship_by_at,
        shipped_at,
        delivered_at,
        cast(promised_date as date) as promised_date,
        cast(delivered_date as date) as delivered_date,
        cast(quoted_transit_days as bigint) as quoted_transit_days,
        cast(transit_days as bigint) as transit_days,
        cast(node_delay_days as bigint) as node_delay_days,
        cast(carrier_delay_days as bigint) as carrier_delay_days,
        cast(promise_gap_days as bigint) as promise_gap_days,
        cast(promise_drift_days as bigint) as promise_drift_days,
        cast(is_shipped as boolean) as is_shipped,
        cast(is_delivered as boolean) as is_delivered,
        cast(is_lost as boolean) as is_lost,
        cast(is_on_time as boolean) as is_on_time,
        cast(is_in_full as boolean) as is_in_full,
        cast(is_item_correct as boolean) as is_item_correct,
        cast(is_quantity_correct as boolean) as is_quantity_correct,
        cast(is_address_correct as boolean) as is_address_correct,
        cast(is_condition_ok as boolean) as is_condition_ok
    from shipments
)

select * from final
