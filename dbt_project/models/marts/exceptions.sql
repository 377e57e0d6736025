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

with

exceptions as (
    select * from {{ ref('int_exceptions_lifecycle') }}
    {% if is_incremental() %}
        where {{ in_run_window('opened_date', var('outcome_lookback_days')) }}
    {% endif %}
),

final as (
    select
        cast(exception_id as varchar) as exception_id,
        cast(order_id as varchar) as order_id,
        cast(opened_date as date) as opened_date,
        opened_at,
        resolved_at,
        cast(node_id as varchar) as node_id,
        cast(exception_type as varchar) as exception_type,
        cast(exception_class as varchar) as exception_class,
        cast(resolution as varchar) as resolution,
        cast(manual_touches as bigint) as manual_touches,
        cast(is_open as boolean) as is_open,
        cast(age_minutes as double) as age_minutes,
        cast(aging_bucket as varchar) as aging_bucket,
        cast(is_resolved_within_15m as boolean) as is_resolved_within_15m,
        cast(is_recurrence as boolean) as is_recurrence
    from exceptions
)

select * from final
