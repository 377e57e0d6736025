{{ config(materialized='view', schema='intermediate') }}

-- Each region's routing rule sets with the days each was in force: from its
-- effective date up to the day before the next one took over.

with

rollout_cohorts as (
    select * from {{ ref('rollout_cohorts') }}
),

sequenced as (
    select
        region,
        cohort,
        rule_set_version,
        effective_date,
        lead(effective_date) over (
            partition by region order by effective_date
        ) as superseded_date
    from rollout_cohorts
),

final as (
    select
        cast(region as varchar) as region,
        cast(cohort as varchar) as cohort,
        cast(rule_set_version as varchar) as rule_set_version,
        cast(effective_date as date) as effective_date,
        cast(superseded_date as date) as superseded_date
    from sequenced
)

select * from final
