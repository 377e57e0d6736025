-- One row per exception with its age, aging bucket and whether it recurs: the
-- same type at the same node opened again within seven days of an earlier one.

with

exceptions as (
    select * from {{ ref('stg_lake__exceptions') }}
),

export_time as (
    select max(occurred_at) as as_of_at
    from {{ ref('stg_lake__order_events') }}
),

sequenced as (
    select
        exceptions.*,
        export_time.as_of_at,
        lag(exceptions.opened_at) over (
            partition by exceptions.exception_type, exceptions.node_id
            order by exceptions.opened_at, exceptions.exception_id
        ) as previous_opened_at
    from exceptions
    cross join export_time
),

aged as (
    select
        *,
        resolved_at is null as is_open,
        {{ seconds_between('opened_at', 'coalesce(resolved_at, as_of_at)') }}
        / 60.0
            as age_minutes
    from sequenced
),

final as (
    select
        *,
        case
            when age_minutes < 15 then '0_under_15m'
            when age_minutes < 60 then '1_15m_to_1h'
            when age_minutes < 240 then '2_1h_to_4h'
            when age_minutes < 1440 then '3_4h_to_24h'
            else '4_over_24h'
        end as aging_bucket,
        not is_open and age_minutes <= 15 as is_resolved_within_15m,
        node_id is not null
        and previous_opened_at is not null
        and previous_opened_at >= {{ dbt.dateadd('day', -7, 'opened_at') }}
            as is_recurrence
    from aged
)

select * from final
