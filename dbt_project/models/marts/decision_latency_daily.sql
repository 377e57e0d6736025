{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_date',
        on_schema_change='fail',
        pre_hook="{{ clear_run_window('event_date') }}",
        tags=['daily'],
    )
}}

-- Latency percentiles per decision point, day and region: the calls the
-- orchestrator makes while it decides (promise, inventory lookup, routing,
-- carrier quote).

with

events as (
    select * from {{ ref('stg_lake__order_events') }}
    {% if is_incremental() %}
        where {{ in_run_window('event_date') }}
    {% endif %}
),

orders as (
    select
        order_id,
        customer_region
    from {{ ref('stg_lake__orders') }}
),

decisions as (
    select
        events.event_date,
        events.latency_ms,
        events.event_status,
        orders.customer_region,
        case events.event_type
            when 'promise_calculated' then 'promise'
            when 'inventory_reserved' then 'inventory_lookup'
            when 'node_selected' then 'routing'
            when 'ship_label_created' then 'carrier_quote'
        end as decision_point
    from events
    inner join orders
        on events.order_id = orders.order_id
    where
        events.event_type in (
            'promise_calculated',
            'inventory_reserved',
            'node_selected',
            'ship_label_created'
        )
),

final as (
    select
        cast(event_date as date) as event_date,
        cast(decision_point as varchar) as decision_point,
        cast(customer_region as varchar) as customer_region,
        cast(count(*) as bigint) as calls,
        cast(
            sum(
                case when event_status in ('error', 'timeout') then 1 else 0 end
            ) as bigint
        )
            as failed_calls,
        cast({{ percentile('latency_ms', 0.5) }} as double) as p50_latency_ms,
        cast({{ percentile('latency_ms', 0.95) }} as double) as p95_latency_ms,
        cast({{ percentile('latency_ms', 0.99) }} as double) as p99_latency_ms
    from decisions
    group by event_date, decision_point, customer_region
)

select * from final
