"""How dbt resources become Dagster assets: groups by layer, sources under the lake assets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


class MetricLayerTranslator(DagsterDbtTranslator):
    """Sources resolve to the ingest assets (`lake/<feed>`); models group by their folder."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["lake", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        path = dbt_resource_props.get("fqn", [])
        # fqn is [project, folder, ..., name]; the first folder is the layer.
        return path[1] if len(path) > 2 else "metric_layer"
