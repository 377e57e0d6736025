{#- Engine differences live here, behind adapter dispatch, so models stay portable. -#}

{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'orch')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro spark__percentile(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro seconds_between(start_expression, end_expression) -%}
    {{ return(adapter.dispatch('seconds_between', 'orch')(start_expression, end_expression)) }}
{%- endmacro %}

{% macro default__seconds_between(start_expression, end_expression) -%}
    (epoch({{ end_expression }}) - epoch({{ start_expression }}))
{%- endmacro %}

{% macro spark__seconds_between(start_expression, end_expression) -%}
    (unix_timestamp({{ end_expression }}) - unix_timestamp({{ start_expression }}))
{%- endmacro %}

{% macro as_int(expression) -%}
    cast({{ expression }} as {{ dbt.type_int() }})
{%- endmacro %}

{#- The window of days a partitioned run rebuilds, as a predicate on a date column. -#}
{% macro in_run_window(date_column, lookback_days=0) -%}
    {%- if var('min_date') is not none and var('max_date') is not none -%}
        {{ date_column }} between
            {{ dbt.dateadd('day', -1 * lookback_days, "cast('" ~ var('min_date') ~ "' as date)") }}
            and cast('{{ var('max_date') }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
    Before an incremental mart re-inserts its run window, clear the whole window: delete+insert
    by date alone never clears a day whose rows all went away upstream.
-#}
{% macro clear_run_window(date_column, lookback_days=0) -%}
    {%- if is_incremental() and var('min_date') is not none
        and var('max_date') is not none -%}
        delete from {{ this }}
        where {{ in_run_window(date_column, lookback_days) }}
    {%- endif -%}
{%- endmacro %}
