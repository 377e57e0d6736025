"""The dbt metric layer as Dagster assets: daily-partitioned marts and the rest."""
