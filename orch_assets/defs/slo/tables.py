"""The tables the SLO domain writes into the warehouse's schema main, for the scorecard.

Column names are a contract with the Streamlit app: the columns it reads come first, in the
order it lists them, and any extra ones after. Every timestamp is UTC with a time zone, every
other column a plain SQL type.
"""

from __future__ import annotations

from orch_assets.defs.slo.warehouse import Table

SLO_BURNDOWN = Table(
    name="slo_burndown",
    create_sql="""
        create or replace table main.slo_burndown (
            slo varchar not null,
            segment varchar not null,
            evaluated_at timestamptz not null,
            "window" varchar not null,
            target double not null,
            good double not null,
            total double not null,
            bad double not null,
            allowed_bad double not null,
            budget_remaining double not null,
            burn_rate double not null
        )
    """,
    insert_sql="insert into main.slo_burndown by name select * from frame",
)

SLO_ALERT_EPISODES = Table(
    name="slo_alert_episodes",
    create_sql="""
        create or replace table main.slo_alert_episodes (
            episode_id varchar primary key,
            slo varchar not null,
            segment varchar not null,
            severity varchar not null,
            long_window varchar not null,
            short_window varchar not null,
            factor double not null,
            started_at timestamptz not null,
            resolved_at timestamptz,
            peak_burn_rate double not null,
            summary varchar not null
        )
    """,
    insert_sql="insert into main.slo_alert_episodes by name select * from frame",
)

ROLLBACK_FIRINGS = Table(
    name="rollback_firings",
    create_sql="""
        create or replace table main.rollback_firings (
            firing_id varchar primary key,
            rule varchar not null,
            segment varchar not null,
            rule_set_version varchar not null,
            started_at timestamptz not null,
            fired_at timestamptz not null,
            ended_at timestamptz,
            observed double not null,
            threshold double not null,
            baseline double,
            summary varchar not null,
            unit varchar not null
        )
    """,
    insert_sql="insert into main.rollback_firings by name select * from frame",
)

ROLLOUT_IMPACT = Table(
    name="rollout_impact",
    create_sql="""
        create or replace table main.rollout_impact (
            metric varchar primary key,
            estimate double,
            ci_low double,
            ci_high double,
            is_rate boolean not null,
            unit varchar not null,
            description varchar not null,
            confidence double not null,
            resamples bigint not null,
            min_volume bigint not null,
            withheld boolean not null,
            rule_set_version varchar,
            released_on date
        )
    """,
    insert_sql="insert into main.rollout_impact by name select * from frame",
)

ROLLOUT_IMPACT_CELLS = Table(
    name="rollout_impact_cells",
    create_sql="""
        create or replace table main.rollout_impact_cells (
            metric varchar not null,
            cohort varchar not null,
            period varchar not null,
            orders bigint not null,
            days bigint not null,
            mean double,
            ci_low double,
            ci_high double,
            ci_method varchar not null,
            too_small boolean not null
        )
    """,
    insert_sql="insert into main.rollout_impact_cells by name select * from frame",
)

SLO_TABLES = (
    SLO_BURNDOWN,
    SLO_ALERT_EPISODES,
    ROLLBACK_FIRINGS,
    ROLLOUT_IMPACT,
    ROLLOUT_IMPACT_CELLS,
)
