-- One row per order with its final outcome as of the export.
--
-- Right-censoring: an order whose promised date has passed without every
-- shipment delivered is late, not missing, so OTIF's denominator (orders with a
-- final outcome) counts it. Orders still inside their promise and undelivered
-- have no outcome yet. Orders canceled because payment failed never entered
-- fulfilment and are left out of service metrics.

with

orders as (
    select * from {{ ref('stg_lake__orders') }}
),

lines as (
    select * from {{ ref('stg_lake__order_lines') }}
),

shipments as (
    select * from {{ ref('int_shipments_outcomes') }}
),

events as (
    select * from {{ ref('stg_lake__order_events') }}
),

exceptions as (
    select * from {{ ref('stg_lake__exceptions') }}
),

cohorts as (
    select * from {{ ref('rollout_cohorts') }}
),

value_bands as (
    select * from {{ ref('value_bands') }}
),

export_time as (
    select cast(max(occurred_at) as date) as as_of_date
    from events
),

releases as (
    -- The latest rule-set release splits history into before and after.
    select max(effective_date) as release_date
    from cohorts
),

region_cohorts as (
    select distinct
        region,
        cohort
    from cohorts
),

ranked_lines as (
    select
        order_id,
        node_id,
        shipment_id,
        sku_class,
        row_number() over (
            partition by order_id order by line_value desc, line_no asc
        ) as value_rank,
        row_number() over (partition by order_id order by line_no) as line_rank
    from lines
),

order_lines_summary as (
    select
        order_id,
        count(*) as line_count,
        max(case when value_rank = 1 then sku_class end) as sku_class,
        max(case when line_rank = 1 then node_id end) as node_id,
        max(case when line_rank = 1 then shipment_id end) as primary_shipment_id
    from ranked_lines
    group by order_id
),

shipment_summary as (
    select
        order_id,
        count(*) as shipment_count,
        sum({{ as_int('is_delivered') }}) as delivered_shipments,
        sum({{ as_int('is_in_full') }}) as in_full_shipments,
        sum({{ as_int('is_lost') }}) as lost_shipments,
        max(delivered_date) as last_delivered_date,
        max(node_delay_days) as node_delay_days,
        max(carrier_delay_days) as carrier_delay_days,
        max(promise_gap_days) as promise_gap_days
    from shipments
    group by order_id
),

primary_carriers as (
    select
        shipment_id,
        carrier_id
    from shipments
),

cancellations as (
    select
        order_id,
        max(case when event_type = 'canceled' then 1 else 0 end) as is_canceled,
        max(
            case
                when
                    event_status = 'error'
                    and exception_reason = 'payment_declined'
                    then 'payment_failure'
                when
                    event_status = 'error'
                    and exception_reason = 'inventory_mismatch'
                    then 'stockout'
            end
        ) as cancel_reason
    from events
    group by order_id
),

exception_summary as (
    select
        order_id,
        count(*) as exception_count,
        sum(manual_touches) as exception_touches
    from exceptions
    group by order_id
),

joined as (
    select
        orders.*,
        region_cohorts.cohort,
        value_bands.value_band,
        order_lines_summary.line_count,
        order_lines_summary.sku_class,
        order_lines_summary.node_id,
        primary_carriers.carrier_id,
        shipment_summary.last_delivered_date,
        shipment_summary.node_delay_days,
        shipment_summary.carrier_delay_days,
        shipment_summary.promise_gap_days,
        cancellations.cancel_reason,
        export_time.as_of_date,
        coalesce(shipment_summary.shipment_count, 0) as shipment_count,
        coalesce(shipment_summary.delivered_shipments, 0)
            as delivered_shipments,
        coalesce(shipment_summary.in_full_shipments, 0) as in_full_shipments,
        coalesce(shipment_summary.lost_shipments, 0) as lost_shipments,
        coalesce(cancellations.is_canceled, 0) = 1 as is_canceled,
        coalesce(exception_summary.exception_count, 0) as exception_count,
        coalesce(exception_summary.exception_touches, 0) as exception_touches,
        orders.order_date >= releases.release_date as is_post_release
    from orders
    cross join export_time
    cross join releases
    left join region_cohorts
        on orders.customer_region = region_cohorts.region
    left join value_bands
        on
            orders.order_value >= value_bands.min_value
            and orders.order_value < value_bands.max_value
    left join order_lines_summary
        on orders.order_id = order_lines_summary.order_id
    left join primary_carriers
        on
            order_lines_summary.primary_shipment_id
            = primary_carriers.shipment_id
    left join shipment_summary
        on orders.order_id = shipment_summary.order_id
    left join cancellations
        on orders.order_id = cancellations.order_id
    left join exception_summary
        on orders.order_id = exception_summary.order_id
),

outcomes as (
    select
        *,
        shipment_count > 0
        and delivered_shipments = shipment_count as is_delivered,
        shipment_count > 1 as is_split,
        coalesce(cancel_reason, '') = 'payment_failure' as is_payment_failure,
        {{ dbt.datediff('promised_date', 'last_delivered_date', 'day') }}
            as promise_drift_days
    from joined
),

final as (
    select
        *,
        not is_payment_failure
        and (is_delivered or is_canceled or promised_date < as_of_date)
            as has_final_outcome,
        is_delivered and last_delivered_date <= promised_date as is_on_time,
        is_delivered and in_full_shipments = shipment_count as is_in_full,
        not is_payment_failure
        and not is_canceled
        and (
            (is_delivered and last_delivered_date > promised_date)
            or (not is_delivered and promised_date < as_of_date)
        ) as is_late
    from outcomes
)

select
    *,
    is_on_time and is_in_full as is_otif,
    -- Perfect means nothing went wrong anywhere: on time, in full, and no
    -- exception raised.
    is_on_time and is_in_full and exception_count = 0 as is_perfect_order
from final
