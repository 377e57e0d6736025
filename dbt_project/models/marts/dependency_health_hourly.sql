{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='health_date',
        on_schema_change='fail',
        pre_hook="{{ clear_run_window('health_date') }}",
        tags=['daily'],
    )
}}

with

minutes as (
    select * from {{ ref('stg_lake__dependency_health') }}
    {% if is_incremental() %}
        where {{ in_run_window('health_date') }}
    {% endif %}
),

hourly as (
    select
        health_date,
        {{ dbt.date_trunc('hour', 'minute_at') }} as hour_at,
        dependency,
        sum(calls) as calls,
        sum(errors) as errors,
        sum(timeouts) as timeouts,
        sum(retries) as retries,
        sum(circuit_open_seconds) as circuit_open_seconds,
        max(p95_latency_ms) as max_p95_latency_ms,
        max(queue_depth) as max_queue_depth,
        max(consumer_lag) as max_consumer_lag,
        sum(dead_letters) as dead_letters
    from minutes
    group by health_date, {{ dbt.date_trunc('hour', 'minute_at') }}, dependency
),

final as (
    select
        cast(health_date as date) as health_date,
        hour_at,
        cast(dependency as varchar) as dependency,
        cast(calls as bigint) as calls,
        cast(errors as bigint) as errors,
        cast(timeouts as bigint) as timeouts,
        cast(retries as bigint) as retries,
        cast(errors / nullif(cast(calls as double), 0) as double) as error_rate,
        cast(timeouts / nullif(cast(calls as double), 0) as double)
            as timeout_rate,
        cast(retries / nullif(cast(calls as double), 0) as double)
            as retry_rate,
        cast(circuit_open_seconds as bigint) as circuit_open_seconds,
        cast(max_p95_latency_ms as bigint) as max_p95_latency_ms,
        cast(max_queue_depth as bigint) as max_queue_depth,
        cast(max_consumer_lag as bigint) as max_consumer_lag,
        cast(dead_letters as bigint) as dead_letters
    from hourly
)

select * from final
