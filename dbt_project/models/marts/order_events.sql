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

-- Every lifecycle event, for the diagnostic view of one order or one trace.

with

events as (
    select * from {{ ref('stg_lake__order_events') }}
    {% if is_incremental() %}
        where {{ in_run_window('event_date') }}
    {% endif %}
),

final as (
    select
        cast(event_id as varchar) as event_id,
        cast(order_id as varchar) as order_id,
        cast(trace_id as varchar) as trace_id,
        cast(event_date as date) as event_date,
        occurred_at,
        cast(event_type as varchar) as event_type,
        cast(event_status as varchar) as event_status,
        cast(source_system as varchar) as source_system,
        cast(node_id as varchar) as node_id,
        cast(shipment_id as varchar) as shipment_id,
        cast(exception_reason as varchar) as exception_reason,
        cast(latency_ms as bigint) as latency_ms
    from events
)

select * from final
