-- The daily time spine MetricFlow joins metrics to.

with

days as (
    {{ dbt.date_spine(
        'day',
        "cast('2025-01-01' as date)",
        "cast('2028-01-01' as date)"
    ) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
