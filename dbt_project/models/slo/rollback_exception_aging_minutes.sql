{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='minute_date',
        on_schema_change='fail',
        pre_hook="{{ clear_run_window('minute_date', var('outcome_lookback_days')) }}",
        tags=['daily'],
    )
}}

-- Open exceptions and their mean age per customer region and minute, with the
-- routing rule set in force there: the input of the exception_aging_doubled
-- rollback rule. One row per region and minute up to the export, including
-- minutes with nothing open (mean age empty there).
--
-- Counted classes match the exception_resolution SLO. An exception is open in
-- a minute when it opened before the minute's end and was not resolved by
-- then; its age is the time from opening to the minute's end.
--
-- Rather than expand every exception into each minute it stayed open (a stuck
-- one stays open for days), openings and resolutions are running sums over a
-- minute spine: open count = openings - resolutions so far, and the sum of ages
-- = open count x the minute's end - the sum of the open ones' opening times.
-- Exceptions opened before a run's window are folded into its first minute, so
-- the sums start from what was already open.

with

exceptions as (
    -- Every counted exception: one opened weeks ago may still be open.
    select * from {{ ref('stg_lake__exceptions') }}
    where exception_class in ('recoverable', 'operator', 'hard_failure')
),

order_regions as (
    select
        order_id,
        customer_region
    from {{ ref('stg_lake__orders') }}
),

rule_sets as (
    select * from {{ ref('int_rule_sets_in_force') }}
),

export_time as (
    select max(occurred_at) as exported_at
    from {{ ref('stg_lake__order_events') }}
),

run_days as (
    -- Resolutions arrive after their day, as the exceptions mart allows for.
    select distinct
        {{ dbt.date_trunc('day', 'created_at') }} as day_start_at
    from {{ ref('stg_lake__orders') }}
    {% if is_incremental() %}
        where {{ in_run_window('order_date', var('outcome_lookback_days')) }}
    {% endif %}
),

regions as (
    select distinct region as segment
    from rule_sets
),

minutes_of_day as (
    {{ dbt.generate_series(1440) }}
),

spine as (
    select
        regions.segment,
        {{
            dbt.dateadd(
                'minute',
                'minutes_of_day.generated_number - 1',
                'run_days.day_start_at'
            )
        }} as minute_at
    from run_days
    cross join minutes_of_day
    cross join regions
),

bounded_spine as (
    select spine.*
    from spine
    cross join export_time
    where spine.minute_at <= export_time.exported_at
),

first_minute as (
    select min(minute_at) as first_minute_at
    from bounded_spine
),

located as (
    select
        exceptions.opened_at,
        exceptions.resolved_at,
        coalesce(order_regions.customer_region, 'unknown') as segment,
        {{
            seconds_between(
                'first_minute.first_minute_at', 'exceptions.opened_at'
            )
        }} as opened_seconds
    from exceptions
    cross join first_minute
    left join order_regions
        on exceptions.order_id = order_regions.order_id
),

changes as (
    select
        segment,
        {{ dbt.date_trunc('minute', 'opened_at') }} as minute_at,
        1 as openings,
        0 as resolutions,
        opened_seconds as opened_seconds_in,
        0 as opened_seconds_out
    from located
    union all
    select
        segment,
        {{ dbt.date_trunc('minute', 'resolved_at') }} as minute_at,
        0 as openings,
        1 as resolutions,
        0 as opened_seconds_in,
        opened_seconds as opened_seconds_out
    from located
    where resolved_at is not null
),

folded as (
    select
        changes.segment,
        changes.openings,
        changes.resolutions,
        changes.opened_seconds_in,
        changes.opened_seconds_out,
        case
            when changes.minute_at < first_minute.first_minute_at
                then first_minute.first_minute_at
            else changes.minute_at
        end as minute_at
    from changes
    cross join first_minute
),

per_minute as (
    select
        segment,
        minute_at,
        sum(openings) as openings,
        sum(resolutions) as resolutions,
        sum(opened_seconds_in) as opened_seconds_in,
        sum(opened_seconds_out) as opened_seconds_out
    from folded
    group by segment, minute_at
),

running as (
    select
        bounded_spine.segment,
        bounded_spine.minute_at,
        sum(
            coalesce(per_minute.openings, 0)
            - coalesce(per_minute.resolutions, 0)
        ) over (
            partition by bounded_spine.segment
            order by bounded_spine.minute_at
            rows between unbounded preceding and current row
        ) as open_exceptions,
        sum(
            coalesce(per_minute.opened_seconds_in, 0)
            - coalesce(per_minute.opened_seconds_out, 0)
        ) over (
            partition by bounded_spine.segment
            order by bounded_spine.minute_at
            rows between unbounded preceding and current row
        ) as open_opened_seconds
    from bounded_spine
    left join per_minute
        on
            bounded_spine.segment = per_minute.segment
            and bounded_spine.minute_at = per_minute.minute_at
),

aged as (
    select
        running.segment,
        running.minute_at,
        running.open_exceptions,
        (
            running.open_exceptions
            * (
                {{
                    seconds_between(
                        'first_minute.first_minute_at', 'running.minute_at'
                    )
                }}
                + 60
            )
            - running.open_opened_seconds
        )
        / 60.0
        / nullif(running.open_exceptions, 0) as mean_open_age_minutes
    from running
    cross join first_minute
),

versioned as (
    select
        aged.segment,
        aged.minute_at,
        aged.open_exceptions,
        aged.mean_open_age_minutes,
        cast(aged.minute_at as date) as minute_date,
        coalesce(rule_sets.rule_set_version, 'unknown') as rule_set_version
    from aged
    left join rule_sets
        on
            aged.segment = rule_sets.region
            and cast(aged.minute_at as date) >= rule_sets.effective_date
            and (
                rule_sets.superseded_date is null
                or cast(aged.minute_at as date) < rule_sets.superseded_date
            )
),

final as (
    select
        cast(segment as varchar) as segment,
        minute_at,
        cast(minute_date as date) as minute_date,
        cast(rule_set_version as varchar) as rule_set_version,
        cast(open_exceptions as bigint) as open_exceptions,
        cast(mean_open_age_minutes as double) as mean_open_age_minutes
    from versioned
)

select * from final
