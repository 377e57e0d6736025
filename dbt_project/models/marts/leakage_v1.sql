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

-- Version 1 attribution: every reason code has one root cause and one decision
-- point, as the attribution rules seed lists them. Late deliveries are all the
-- promise's fault.

with

entries as (
    select * from {{ ref('int_ledger_entries_attributed') }}
    {% if is_incremental() %}
        where {{ in_run_window('booked_date') }}
    {% endif %}
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
        cast(decision_point as varchar) as decision_point,
        cast(amount as decimal(18, 2)) as amount,
        cast(currency as varchar) as currency
    from entries
)

select * from final
