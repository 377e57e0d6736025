{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='opened_date',
        on_schema_change='fail',
        pre_hook="{{ clear_run_window('opened_date', var('outcome_lookback_days')) }}",
        tags=['daily'],
    )
}}

-- Manual work in hours and dollars: every touch on an exception, priced by the
-- cost rates.

with

exceptions as (
    select * from {{ ref('stg_lake__exceptions') }}
    {% if is_incremental() %}
        where {{ in_run_window('opened_date', var('outcome_lookback_days')) }}
    {% endif %}
),

rates as (
    select
        max(case when rate_name = 'minutes_per_manual_touch' then value end)
            as minutes_per_touch,
        max(case when rate_name = 'labor_cost_per_hour' then value end)
            as cost_per_hour
    from {{ ref('cost_rates') }}
),

touches as (
    select
        opened_date,
        exception_class,
        sum(manual_touches) as manual_touches
    from exceptions
    group by opened_date, exception_class
),

final as (
    select
        cast(touches.opened_date as date) as opened_date,
        cast(touches.exception_class as varchar) as exception_class,
        cast(touches.manual_touches as bigint) as manual_touches,
        cast(touches.manual_touches * rates.minutes_per_touch / 60.0 as double)
            as labor_hours,
        cast(
            touches.manual_touches
            * rates.minutes_per_touch
            / 60.0
            * rates.cost_per_hour
            as decimal(18, 2)
        ) as labor_cost
    from touches
    cross join rates
)

select * from final
