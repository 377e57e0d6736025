{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='minute_date',
        on_schema_change='fail',
        pre_hook="{{ clear_run_window('minute_date') }}",
        tags=['daily'],
    )
}}

-- p95 promise latency per customer region and minute, with the routing rule
-- set in force there: the input of the promise_latency_p95 rollback rule.
--
-- A region takes well under one order a minute, so a minute's own p95 would be
-- one or two orders. Each minute's reading is instead the p95 over the
-- trailing four hours of promises, ending with that minute, and is written only
-- when those hours hold at least 60 promises: below that the p95 is the second
-- or third slowest promise, and one unlucky pair of slow promises would read as
-- a breach. Quiet minutes have no row, which the rule reads as no evidence.

{%- set trailing_minutes = 240 %}
{%- set min_promises = 60 %}

with

orders as (
    -- The trailing window of a run's first minutes reaches into the day before.
    select * from {{ ref('stg_lake__orders') }}
    {% if is_incremental() %}
        where {{ in_run_window('order_date', 1) }}
    {% endif %}
),

rule_sets as (
    select * from {{ ref('int_rule_sets_in_force') }}
),

export_time as (
    select max(occurred_at) as exported_at
    from {{ ref('stg_lake__order_events') }}
),

offsets as (
    {{ dbt.generate_series(trailing_minutes) }}
),

promises as (
    select
        customer_region as segment,
        promise_latency_ms,
        {{ dbt.date_trunc('minute', 'created_at') }} as created_minute_at
    from orders
    where promise_latency_ms is not null
),

-- Every promise counts in each of the minutes whose trailing window holds it.
trailing_promises as (
    select
        promises.segment,
        promises.promise_latency_ms,
        {{
            dbt.dateadd(
                'minute',
                'offsets.generated_number - 1',
                'promises.created_minute_at'
            )
        }} as minute_at
    from promises
    cross join offsets
),

readings as (
    select
        trailing_promises.segment,
        trailing_promises.minute_at,
        count(*) as promises,
        {{ percentile('trailing_promises.promise_latency_ms', 0.95) }}
            as p95_latency_ms
    from trailing_promises
    cross join export_time
    where trailing_promises.minute_at <= export_time.exported_at
    group by trailing_promises.segment, trailing_promises.minute_at
    having count(*) >= {{ min_promises }}
),

versioned as (
    select
        readings.segment,
        readings.minute_at,
        readings.promises,
        readings.p95_latency_ms,
        cast(readings.minute_at as date) as minute_date,
        coalesce(rule_sets.rule_set_version, 'unknown') as rule_set_version
    from readings
    left join rule_sets
        on
            readings.segment = rule_sets.region
            and cast(readings.minute_at as date) >= rule_sets.effective_date
            and (
                rule_sets.superseded_date is null
                or cast(readings.minute_at as date) < rule_sets.superseded_date
            )
),

final as (
    select
        cast(segment as varchar) as segment,
        minute_at,
        cast(minute_date as date) as minute_date,
        cast(rule_set_version as varchar) as rule_set_version,
        cast(promises as bigint) as promises,
        cast(p95_latency_ms as double) as p95_latency_ms
    from versioned
    {% if is_incremental() %}
        where {{ in_run_window('minute_date') }}
    {% endif %}
)

select * from final
