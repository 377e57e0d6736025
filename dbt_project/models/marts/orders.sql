{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_date',
        on_schema_change='fail',
        pre_hook="{{ clear_run_window('order_date', var('outcome_lookback_days')) }}",
        tags=['daily'],
    )
}}

with

orders as (
    select * from {{ ref('int_orders_outcomes') }}
    {% if is_incremental() %}
        where {{ in_run_window('order_date', var('outcome_lookback_days')) }}
    {% endif %}
),

final as (
    select
        cast(order_id as varchar) as order_id,
        cast(order_date as date) as order_date,
        created_at,
        cast(channel as varchar) as channel,
        cast(customer_region as varchar) as customer_region,
        cast(cohort as varchar) as cohort,
        cast(value_band as varchar) as value_band,
        cast(sku_class as varchar) as sku_class,
        cast(ship_to_zone as bigint) as ship_to_zone,
        cast(service_level as varchar) as service_level,
        cast(routing_method as varchar) as routing_method,
        cast(rule_set_version as varchar) as rule_set_version,
        cast(node_id as varchar) as node_id,
        cast(carrier_id as varchar) as carrier_id,
        cast(order_status as varchar) as order_status,
        cast(order_value as decimal(18, 2)) as order_value,
        cast(currency as varchar) as currency,
        cast(line_count as bigint) as line_count,
        cast(shipment_count as bigint) as shipment_count,
        cast(promise_latency_ms as bigint) as promise_latency_ms,
        cast(promised_date as date) as promised_date,
        cast(last_delivered_date as date) as last_delivered_date,
        cast(as_of_date as date) as as_of_date,
        cast(is_post_release as boolean) as is_post_release,
        cast(is_canceled as boolean) as is_canceled,
        cast(cancel_reason as varchar) as cancel_reason,
        cast(is_payment_failure as boolean) as is_payment_failure,
        cast(is_split as boolean) as is_split,
        cast(is_delivered as boolean) as is_delivered,
        cast(has_final_outcome as boolean) as has_final_outcome,
        cast(is_on_time as boolean) as is_on_time,
        cast(is_late as boolean) as is_late,
        cast(is_in_full as boolean) as is_in_full,
        cast(is_otif as boolean) as is_otif,
        cast(is_perfect_order as boolean) as is_perfect_order,
        cast(routing_method = 'auto' as boolean) as is_auto_routed,
        cast(routing_method = 'fallback' as boolean) as is_fallback_routed,
        cast(routing_method = 'manual' as boolean) as is_manual_routed,
        cast(promise_drift_days as bigint) as promise_drift_days,
        cast(node_delay_days as bigint) as node_delay_days,
        cast(carrier_delay_days as bigint) as carrier_delay_days,
        cast(promise_gap_days as bigint) as promise_gap_days,
        cast(exception_count as bigint) as exception_count,
        cast(exception_touches as bigint) as manual_touches
    from orders
)

select * from final
