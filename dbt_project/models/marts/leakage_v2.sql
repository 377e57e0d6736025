{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='booked_date',
        on_schema_change='fail',
        pre_hook="{{ clear_run_window('booked_date') }}",
        tags=['daily'],
    )
}}

-- Version 2 attribution: a late delivery is charged to the decision point that
-- caused the most days of its drift: the node (shipped after its cut-off), the
-- carrier (slower than quoted) or the promise (optimistic from the start).
-- Other reason codes keep version 1's rules.

with

entries as (
    select * from {{ ref('int_ledger_entries_attributed') }}
    {% if is_incremental() %}
        where {{ in_run_window('booked_date') }}
    {% endif %}
),

delays as (
    select
        *,
        greatest(coalesce(node_delay_days, 0), 0) as node_days,
        greatest(coalesce(carrier_delay_days, 0), 0) as carrier_days,
        greatest(coalesce(promise_gap_days, 0), 0) as promise_days
    from entries
),

attributed as (
    select
        *,
        case
            when reason_code <> 'late_delivery' then decision_point
            when
                node_days >= carrier_days
                and node_days >= promise_days
                and node_days > 0
                then 'pick_pack'
            when
                carrier_days >= promise_days and carrier_days > 0
                then 'carrier'
            else 'promise'
        end as attributed_decision_point
    from delays
),

final as (
    select
        cast(entry_id as varchar) as entry_id,
        cast(booked_date as date) as booked_date,
        cast(order_id as varchar) as order_id,
        cast(shipment_id as varchar) as shipment_id,
        cast(node_id as varchar) as node_id,
        cast(carrier_id as varchar) as carrier_id,
        cast(customer_region as varchar) as customer_region,
        cast(channel as varchar) as channel,
        cast(value_band as varchar) as value_band,
        cast(entry_type as varchar) as entry_type,
        cast(reason_code as varchar) as reason_code,
        cast(root_cause as varchar) as root_cause,
        cast(attributed_decision_point as varchar) as decision_point,
        cast(amount as decimal(18, 2)) as amount,
        cast(currency as varchar) as currency
    from attributed
)

select * from final
