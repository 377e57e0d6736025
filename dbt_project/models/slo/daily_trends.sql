{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='trend_date',
        on_schema_change='fail',
        pre_hook="{{ clear_run_window('trend_date', var('outcome_lookback_days')) }}",
        tags=['daily'],
    )
}}

-- One row per day and segment (each customer region, and 'all' for the
-- network) with the headline daily KPIs and the change annotations to mark on
-- that day's point of every trend chart.
--
-- An annotation marks each day it is active: from its start day to the day of
-- its end, or its start day alone when it has no end (a release, a rule-set
-- change). A change scoped to regions ('regions:southeast,west') marks those
-- regions' rows and 'all'; any other scope (the network, a carrier, a node)
-- marks every row, since a carrier or a node serves every region.
--
-- NOTE: on Spark, dbt's listagg ignores its order by, so the three lists are
-- not guaranteed to line up there; one list of change_id: label pairs, or an
-- array of structs, would keep them together on every engine.

with

orders as (
    select * from {{ ref('orders') }}
    {% if is_incremental() %}
        where {{ in_run_window('order_date', var('outcome_lookback_days')) }}
    {% endif %}
),

exceptions as (
    select * from {{ ref('exceptions') }}
    {% if is_incremental() %}
        where {{ in_run_window('opened_date', var('outcome_lookback_days')) }}
    {% endif %}
),

leakage as (
    select * from {{ ref('leakage', v=2) }}
    {% if is_incremental() %}
        where {{ in_run_window('booked_date', var('outcome_lookback_days')) }}
    {% endif %}
),

change_annotations as (
    select * from {{ ref('change_annotations') }}
),

order_regions as (
    select
        order_id,
        customer_region
    from {{ ref('orders') }}
),

-- Each fact once under its region and once under 'all'.
segmented_orders as (
    select
        orders.*,
        coalesce(orders.customer_region, 'unknown') as segment
    from orders
    union all
    select
        orders.*,
        'all' as segment
    from orders
),

order_kpis as (
    select
        order_date as trend_date,
        segment,
        count(*) as orders,
        sum(case when has_final_outcome then 1 else 0 end) as outcome_orders,
        sum(case when has_final_outcome and is_otif then 1 else 0 end)
            as otif_orders,
        sum(case when shipment_count > 0 then 1 else 0 end) as shipped_orders,
        sum(case when is_split then 1 else 0 end) as split_orders,
        sum(case when not is_payment_failure then 1 else 0 end)
            as routable_orders,
        sum(case when is_canceled and not is_payment_failure then 1 else 0 end)
            as canceled_orders,
        sum(
            case
                when is_auto_routed and not is_payment_failure then 1 else 0
            end
        ) as auto_routed_orders,
        {{ percentile('promise_latency_ms', 0.95) }} as promise_latency_p95_ms
    from segmented_orders
    group by order_date, segment
),

located_exceptions as (
    select
        exceptions.opened_date,
        exceptions.is_resolved_within_15m,
        coalesce(order_regions.customer_region, 'unknown') as customer_region
    from exceptions
    left join order_regions
        on exceptions.order_id = order_regions.order_id
),

segmented_exceptions as (
    select
        opened_date,
        is_resolved_within_15m,
        customer_region as segment
    from located_exceptions
    union all
    select
        opened_date,
        is_resolved_within_15m,
        'all' as segment
    from located_exceptions
),

exception_kpis as (
    select
        opened_date as trend_date,
        segment,
        count(*) as exceptions_opened,
        sum(case when is_resolved_within_15m then 1 else 0 end)
            as exceptions_resolved_within_15m
    from segmented_exceptions
    group by opened_date, segment
),

segmented_leakage as (
    select
        booked_date,
        amount,
        coalesce(customer_region, 'unknown') as segment
    from leakage
    union all
    select
        booked_date,
        amount,
        'all' as segment
    from leakage
),

leakage_kpis as (
    select
        booked_date as trend_date,
        segment,
        sum(amount) as leakage_amount
    from segmented_leakage
    group by booked_date, segment
),

annotation_days as (
    select
        change_id,
        change_kind,
        description,
        scope,
        starts_date,
        coalesce(
            cast({{ dbt.dateadd('second', -1, 'ends_at') }} as date),
            starts_date
        ) as last_date
    from change_annotations
),

annotated as (
    select
        order_kpis.trend_date,
        order_kpis.segment,
        annotation_days.change_id,
        annotation_days.change_kind,
        annotation_days.description,
        annotation_days.starts_date
    from order_kpis
    inner join annotation_days
        on
            order_kpis.trend_date >= annotation_days.starts_date
            and order_kpis.trend_date <= annotation_days.last_date
    where
        order_kpis.segment = 'all'
        or annotation_days.scope not like 'regions:%'
        or {{
            dbt.concat([
                "','",
                dbt.replace('annotation_days.scope', "'regions:'", "''"),
                "','",
            ])
        }} like {{ dbt.concat(["'%,'", 'order_kpis.segment', "',%'"]) }}
),

annotation_kpis as (
    select
        trend_date,
        segment,
        count(*) as annotation_count,
        sum(case when starts_date = trend_date then 1 else 0 end)
            as annotations_starting,
        {{ dbt.listagg('change_id', "' | '", 'order by change_id') }}
            as annotation_ids,
        {{ dbt.listagg('change_kind', "' | '", 'order by change_id') }}
            as annotation_kinds,
        {{ dbt.listagg('description', "' | '", 'order by change_id') }}
            as annotation_labels
    from annotated
    group by trend_date, segment
),

final as (
    select
        cast(order_kpis.trend_date as date) as trend_date,
        cast(order_kpis.segment as varchar) as segment,
        cast(order_kpis.orders as bigint) as orders,
        cast(order_kpis.outcome_orders as bigint) as outcome_orders,
        cast(order_kpis.otif_orders as bigint) as otif_orders,
        cast(
            order_kpis.otif_orders
            / nullif(cast(order_kpis.outcome_orders as double), 0)
            as double
        ) as otif_rate,
        cast(order_kpis.shipped_orders as bigint) as shipped_orders,
        cast(order_kpis.split_orders as bigint) as split_orders,
        cast(
            order_kpis.split_orders
            / nullif(cast(order_kpis.shipped_orders as double), 0)
            as double
        ) as split_shipment_rate,
        cast(order_kpis.routable_orders as bigint) as routable_orders,
        cast(order_kpis.canceled_orders as bigint) as canceled_orders,
        cast(
            order_kpis.canceled_orders
            / nullif(cast(order_kpis.routable_orders as double), 0)
            as double
        ) as cancellation_rate,
        cast(order_kpis.auto_routed_orders as bigint) as auto_routed_orders,
        cast(order_kpis.promise_latency_p95_ms as double)
            as promise_latency_p95_ms,
        cast(coalesce(leakage_kpis.leakage_amount, 0) as decimal(18, 2))
            as leakage_amount,
        cast(coalesce(exception_kpis.exceptions_opened, 0) as bigint)
            as exceptions_opened,
        cast(
            coalesce(exception_kpis.exceptions_resolved_within_15m, 0)
            as bigint
        ) as exceptions_resolved_within_15m,
        cast(coalesce(annotation_kpis.annotation_count, 0) as bigint)
            as annotation_count,
        cast(coalesce(annotation_kpis.annotations_starting, 0) as bigint)
            as annotations_starting,
        cast(annotation_kpis.annotation_ids as varchar) as annotation_ids,
        cast(annotation_kpis.annotation_kinds as varchar) as annotation_kinds,
        cast(annotation_kpis.annotation_labels as varchar)
            as annotation_labels
    from order_kpis
    left join exception_kpis
        on
            order_kpis.trend_date = exception_kpis.trend_date
            and order_kpis.segment = exception_kpis.segment
    left join leakage_kpis
        on
            order_kpis.trend_date = leakage_kpis.trend_date
            and order_kpis.segment = leakage_kpis.segment
    left join annotation_kpis
        on
            order_kpis.trend_date = annotation_kpis.trend_date
            and order_kpis.segment = annotation_kpis.segment
)

select * from final
