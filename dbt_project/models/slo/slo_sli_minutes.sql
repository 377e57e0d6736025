{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='minute_date',
        on_schema_change='fail',
        pre_hook="{{ clear_run_window('minute_date', 1) }}",
        tags=['daily'],
    )
}}

-- Minute SLI counts of the SLOs in slos/slos.yaml, per customer region and for
-- the whole network (segment 'all'): the frame the burn-rate evaluation reads.
-- Only minutes with events have a row. Counting follows each SLO's description:
--
-- promise_latency: every order, at the minute it was created; good when its
--   promise took at most the SLO threshold.
-- auto_routing: orders a ship-from node was chosen for (a node_selected event;
--   orders canceled before routing have none), at the minute they were
--   created; good when the rules routed them (routing_method auto).
-- exception_resolution: exceptions of class recoverable, operator or
--   hard_failure, at the minute their deadline falls (opened_at plus the
--   threshold); good when resolved by then. An exception whose deadline lies
--   after the export is not counted yet, since its outcome is not known.
--
-- The thresholds must equal spec.indicator.threshold.atMost in slos/slos.yaml;
-- tests/slo_pipeline checks the counts against the file.

{%- set promise_threshold_ms = 300 %}
{%- set resolution_threshold_minutes = 15 %}
{#- A run also recounts the day before its window: routing events can land a
    day after their order, and a deadline can cross midnight. The pre_hook
    clears the same days; keep the two in step. #}
{%- set lookback_days = 1 %}

with

orders as (
    select * from {{ ref('stg_lake__orders') }}
    {% if is_incremental() %}
        where {{ in_run_window('order_date', lookback_days) }}
    {% endif %}
),

order_events as (
    select * from {{ ref('stg_lake__order_events') }}
    {% if is_incremental() %}
        where {{ in_run_window('event_date', lookback_days) }}
    {% endif %}
),

exceptions as (
    select * from {{ ref('stg_lake__exceptions') }}
    {% if is_incremental() %}
        where {{ in_run_window('opened_date', lookback_days + 1) }}
    {% endif %}
),

order_regions as (
    -- Exceptions can open days after their order: every order, unfiltered.
    select
        order_id,
        customer_region
    from {{ ref('stg_lake__orders') }}
),

routed_orders as (
    select distinct order_id
    from order_events
    where event_type = 'node_selected'
),

counted_exceptions as (
    select *
    from exceptions
    where exception_class in ('recoverable', 'operator', 'hard_failure')
),

export_time as (
    select max(occurred_at) as exported_at
    from {{ ref('stg_lake__order_events') }}
),

promise_events as (
    select
        'promise_latency' as slo,
        customer_region as segment,
        {{ dbt.date_trunc('minute', 'created_at') }} as minute_at,
        case
            when promise_latency_ms <= {{ promise_threshold_ms }} then 1
            else 0
        end as is_good
    from orders
),

routing_events as (
    select
        'auto_routing' as slo,
        orders.customer_region as segment,
        {{ dbt.date_trunc('minute', 'orders.created_at') }} as minute_at,
        case when orders.routing_method = 'auto' then 1 else 0 end as is_good
    from orders
    inner join routed_orders
        on orders.order_id = routed_orders.order_id
),

exception_deadlines as (
    select
        order_regions.customer_region as segment,
        counted_exceptions.resolved_at,
        {{
            dbt.dateadd(
                'minute',
                resolution_threshold_minutes,
                'counted_exceptions.opened_at'
            )
        }} as deadline_at
    from counted_exceptions
    left join order_regions
        on counted_exceptions.order_id = order_regions.order_id
),

resolution_events as (
    select
        'exception_resolution' as slo,
        exception_deadlines.segment,
        {{ dbt.date_trunc('minute', 'exception_deadlines.deadline_at') }}
            as minute_at,
        case
            when
                exception_deadlines.resolved_at
                <= exception_deadlines.deadline_at
                then 1
            else 0
        end as is_good
    from exception_deadlines
    cross join export_time
    where exception_deadlines.deadline_at <= export_time.exported_at
),

events as (
    select * from promise_events
    union all
    select * from routing_events
    union all
    select * from resolution_events
),

by_region as (
    select
        slo,
        coalesce(segment, 'unknown') as segment,
        minute_at,
        sum(is_good) as good,
        count(*) as total
    from events
    group by slo, coalesce(segment, 'unknown'), minute_at
),

network as (
    select
        slo,
        'all' as segment,
        minute_at,
        sum(good) as good,
        sum(total) as total
    from by_region
    group by slo, minute_at
),

segments as (
    select * from by_region
    union all
    select * from network
),

final as (
    select
        cast(slo as varchar) as slo,
        cast(segment as varchar) as segment,
        minute_at,
        cast(minute_at as date) as minute_date,
        cast(good as bigint) as good,
        cast(total as bigint) as total
    from segments
    {% if is_incremental() %}
        where {{ in_run_window('cast(minute_at as date)', lookback_days) }}
    {% endif %}
)

select * from final
