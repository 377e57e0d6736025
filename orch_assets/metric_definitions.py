"""Metric definitions as the dbt semantic layer declares them: checks, docs and the lock.

Every metric carries its metadata in `config.meta` (owner, version, unit, direction, the
decision it drives, and an SLO target where it has one). Each metric's definition is hashed:
its own YAML, the semantic models and measures it reads, and the SQL (and seeds) of every
model upstream of them. `metrics.lock.json` holds the hash and version last accepted; a hash
that moved without a raised version and a changelog line is a silent change of meaning, and
the check names the metric and the command that accepts it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

REQUIRED_META = ("owner", "version", "unit", "direction", "decision")
DIRECTIONS = ("higher", "lower")
LOCK_FILE = "metrics.lock.json"
CHANGELOG = "CHANGELOG.md"
METRICS_DOC = Path("docs") / "metrics.md"
LOCK_COMMAND = "orch metrics lock"
_REF = re.compile(r"ref\(\s*['\"]([\w]+)['\"]\s*(?:,\s*v\s*=\s*(\d+))?\s*\)")
_CONFIG_BLOCK = re.compile(r"\{\{\s*config\(.*?\)\s*\}\}", re.DOTALL)
_COMMENTS = re.compile(r"--[^\n]*|\{#.*?#\}", re.DOTALL)


def normalized_sql(sql: str) -> str:
    """The select logic alone: no config block, no comments, whitespace collapsed.

    How a model is stored (materialization, hooks) and how it is explained (comments) do not
    change what a metric computes, so neither moves its definition hash.
    """
    text = _COMMENTS.sub(" ", _CONFIG_BLOCK.sub(" ", sql))
    return " ".join(text.split())


class MetricDefinitionError(ValueError):
    """A metric definition that breaks the project's rules."""


@dataclass(frozen=True)
class Problem:
    """One definition problem: the metric, what is wrong, and how to fix it."""

    metric: str
    rule: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"metric": self.metric, "rule": self.rule, "message": self.message}


@dataclass
class SemanticProject:
    """The YAML and SQL of a dbt project, read without running dbt."""

    root: Path
    metrics: dict[str, dict]
    semantic_models: dict[str, dict]
    measure_owner: dict[str, str]
    model_sql: dict[str, str]
    seeds: dict[str, str]

    @classmethod
    def load(cls, root: Path) -> SemanticProject:
        metrics: dict[str, dict] = {}
        semantic_models: dict[str, dict] = {}
        for path in sorted((root / "models").rglob("*.yml")):
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for metric in document.get("metrics", []) or []:
                metrics[metric["name"]] = metric
            for model in document.get("semantic_models", []) or []:
                semantic_models[model["name"]] = model
        measure_owner = {
            measure["name"]: name
            for name, model in semantic_models.items()
            for measure in model.get("measures", []) or []
        }
        model_sql = {
            path.stem: path.read_text(encoding="utf-8")
            for path in sorted((root / "models").rglob("*.sql"))
        }
        seeds = {
            path.stem: path.read_text(encoding="utf-8")
            for path in sorted((root / "seeds").glob("*.csv"))
        }
        return cls(root, metrics, semantic_models, measure_owner, model_sql, seeds)

    def input_metrics(self, name: str) -> list[str]:
        params = self.metrics[name].get("type_params", {}) or {}
        inputs = []
        for key in ("numerator", "denominator"):
            if key in params:
                value = params[key]
                inputs.append(value["name"] if isinstance(value, dict) else value)
        for item in params.get("metrics", []) or []:
            inputs.append(item["name"] if isinstance(item, dict) else item)
        return inputs

    def measures_of(self, name: str, seen: set[str] | None = None) -> list[str]:
        seen = set() if seen is None else seen
        if name in seen or name not in self.metrics:
            return []
        seen.add(name)
        params = self.metrics[name].get("type_params", {}) or {}
        measure = params.get("measure")
        found = [measure["name"] if isinstance(measure, dict) else measure] if measure else []
        for metric in self.input_metrics(name):
            found += self.measures_of(metric, seen)
        return sorted(set(found))

    def upstream_sql(self, model_ref: str) -> dict[str, str]:
        """SQL of the model a `ref(...)` names and of everything upstream, seeds included."""
        sources: dict[str, str] = {}
        pending = [_ref_file(match) for match in _REF.finditer(model_ref)]
        while pending:
            name = pending.pop()
            if name in sources:
                continue
            if name in self.model_sql:
                sql = self.model_sql[name]
                sources[name] = normalized_sql(sql)
                pending += [_ref_file(match) for match in _REF.finditer(sql)]
                pending += [
                    f"{match.group(1)}_v{v}"
                    for match in _REF.finditer(sql)
                    if match.group(2) is None
                    for v in self._versions(match.group(1))
                ]
            elif name in self.seeds:
                sources[f"seed:{name}"] = self.seeds[name]
        return sources

    def _versions(self, name: str) -> list[str]:
        return [
            stem.removeprefix(f"{name}_v")
            for stem in self.model_sql
            if re.fullmatch(rf"{re.escape(name)}_v\d+", stem)
        ]

    def definition_hash(self, name: str) -> str:
        """Hash of what the metric computes: its YAML (less meta), measures and SQL."""
        metric = dict(self.metrics[name])
        config = dict(metric.get("config", {}) or {})
        config.pop("meta", None)
        metric["config"] = config
        # Wording is not meaning: labels and descriptions may change freely.
        for key in ("label", "description"):
            metric.pop(key, None)
        parts: dict[str, object] = {"metric": metric}
        for input_metric in self.input_metrics(name):
            if input_metric in self.metrics:
                parts[f"input:{input_metric}"] = self.definition_hash(input_metric)
        for measure in self.measures_of(name):
            owner = self.measure_owner.get(measure)
            if owner is None:
                continue
            model = self.semantic_models[owner]
            definition = next(m for m in model["measures"] if m["name"] == measure)
            parts[f"measure:{measure}"] = definition
            parts[f"model:{owner}"] = {
                key: model.get(key) for key in ("model", "entities", "dimensions", "defaults")
            }
            parts[f"sql:{owner}"] = self.upstream_sql(model["model"])
        canonical = json.dumps(parts, sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def version(self, name: str) -> int | None:
        meta = (self.metrics[name].get("config", {}) or {}).get("meta", {}) or {}
        version = meta.get("version")
        return version if isinstance(version, int) else None


def _ref_file(match: re.Match) -> str:
    name, version = match.group(1), match.group(2)
    return f"{name}_v{version}" if version else name


def metadata_problems(project: SemanticProject) -> list[Problem]:
    """Every metric has a label, a description and all of REQUIRED_META, well formed."""
    problems = []
    for name, metric in project.metrics.items():
        for key in ("label", "description"):
            if not str(metric.get(key) or "").strip():
                problems.append(
                    Problem(name, "metadata", f"metric {name} has no {key}; add `{key}:`")
                )
        meta = (metric.get("config", {}) or {}).get("meta", {}) or {}
        for key in REQUIRED_META:
            if meta.get(key) in (None, ""):
                problems.append(
                    Problem(
                        name,
                        "metadata",
                        f"metric {name} has no {key}; add `config.meta.{key}` to its YAML",
                    )
                )
        if "version" in meta and not (isinstance(meta["version"], int) and meta["version"] > 0):
            problems.append(
                Problem(
                    name,
                    "metadata",
                    f"metric {name} has version {meta['version']!r}; use a positive integer",
                )
            )
        if meta.get("direction") not in (None, "", *DIRECTIONS):
            problems.append(
                Problem(
                    name,
                    "metadata",
                    f"metric {name} has direction {meta['direction']!r}; use higher or lower",
                )
            )
        for input_metric in project.input_metrics(name):
            if input_metric not in project.metrics:
                problems.append(
                    Problem(
                        name,
                        "reference",
                        f"metric {name} is built from unknown metric {input_metric}; "
                        "define it or correct the name",
                    )
                )
    return problems


def read_lock(root: Path) -> dict[str, dict]:
    path = root / LOCK_FILE
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["metrics"]


def changelog_mentions(root: Path, metric: str, version: int) -> bool:
    path = root / CHANGELOG
    if not path.exists():
        return False
    pattern = re.compile(rf"^\s*[-*]\s*`?{re.escape(metric)}`?\s+v{version}\b", re.MULTILINE)
    return bool(pattern.search(path.read_text(encoding="utf-8")))


def lock_problems(project: SemanticProject) -> list[Problem]:
    """A moved definition needs a raised version, a changelog line and a refreshed lock."""
    lock = read_lock(project.root)
    problems = []
    for name in project.metrics:
        version = project.version(name)
        if version is None:
            continue
        current = project.definition_hash(name)
        locked = lock.get(name)
        if locked is None:
            problems.append(
                Problem(
                    name,
                    "lock",
                    f"metric {name} is not in {LOCK_FILE}; run `{LOCK_COMMAND}`"
                    + (
                        f" after adding a line `- {name} v{version}: ...` to {CHANGELOG}"
                        if version > 1
                        else ""
                    ),
                )
            )
            continue
        if current == locked["hash"] and version == locked["version"]:
            continue
        if version < locked["version"]:
            problems.append(
                Problem(
                    name,
                    "version",
                    f"metric {name} version went down from {locked['version']} to {version}; "
                    "versions only rise",
                )
            )
        elif version == locked["version"]:
            problems.append(
                Problem(
                    name,
                    "version",
                    f"the definition of metric {name} changed but its version is still "
                    f"{version}; raise config.meta.version to {version + 1}, add a line "
                    f"`- {name} v{version + 1}: <what changed and why>` to {CHANGELOG}, then "
                    f"run `{LOCK_COMMAND}`",
                )
            )
        elif not changelog_mentions(project.root, name, version):
            problems.append(
                Problem(
                    name,
                    "changelog",
                    f"metric {name} was raised to version {version} without a changelog "
                    f"line; add `- {name} v{version}: <what changed and why>` to {CHANGELOG}, "
                    f"then run `{LOCK_COMMAND}`",
                )
            )
        else:
            problems.append(
                Problem(
                    name,
                    "lock",
                    f"metric {name} version {version} is not locked yet; run `{LOCK_COMMAND}`",
                )
            )
    return problems


def write_lock(project: SemanticProject) -> Path:
    """Accept the current definitions: refuse while any metric lacks its changelog line."""
    problems = lock_problems(project)
    blocking = [p for p in problems if p.rule in ("version", "changelog")]
    # A metric new to the lock needs a changelog line too, unless it starts at version 1.
    blocking += [
        p
        for p in problems
        if p.rule == "lock"
        and p.metric not in read_lock(project.root)
        and (project.version(p.metric) or 0) > 1
        and not changelog_mentions(project.root, p.metric, project.version(p.metric) or 0)
    ]
    if blocking:
        raise MetricDefinitionError("\n".join(p.message for p in blocking))
    lock = {
        name: {"version": project.version(name), "hash": project.definition_hash(name)}
        for name in sorted(project.metrics)
        if project.version(name) is not None
    }
    path = project.root / LOCK_FILE
    path.write_text(json.dumps({"metrics": lock}, indent=2) + "\n", encoding="utf-8")
    return path


def render_metrics_doc(project: SemanticProject) -> str:
    lines = [
        "# Metric dictionary",
        "",
        "<!-- Generated by `orch metrics docs` from the dbt semantic layer YAML; edit the"
        " YAML, not this page. -->",
        "",
        "Every metric the scorecard shows, with its owner, version, unit, direction, the",
        "decision it drives and its SLO target where it has one. Definitions are versioned:",
        f"a change to what a metric computes raises its version and adds a line to"
        f" `dbt_project/{CHANGELOG}`.",
        "",
        "| metric | label | version | unit | better | owner | SLO target |",
        "| --- | --- | ---: | --- | --- | --- | ---: |",
    ]
    for name, metric in sorted(project.metrics.items()):
        meta = (metric.get("config", {}) or {}).get("meta", {}) or {}
        target = meta.get("slo_target", "")
        lines.append(
            f"| `{name}` | {metric.get('label', '')} | {meta.get('version', '')} | "
            f"{meta.get('unit', '')} | {meta.get('direction', '')} | {meta.get('owner', '')} | "
            f"{target} |"
        )
    lines.append("")
    for name, metric in sorted(project.metrics.items()):
        meta = (metric.get("config", {}) or {}).get("meta", {}) or {}
        lines += [
            f"## `{name}`: {metric.get('label', '')}",
            "",
            str(metric.get("description", "")).strip(),
            "",
            f"- type: {metric.get('type')}"
            + (
                f" of {', '.join(project.input_metrics(name))}"
                if project.input_metrics(name)
                else ""
            ),
            f"- measures: {', '.join(project.measures_of(name)) or 'none'}",
            f"- decision it drives: {meta.get('decision', '')}",
            "",
        ]
    return "\n".join(lines)


def write_metrics_doc(project: SemanticProject, repo_root: Path) -> Path:
    target = repo_root / METRICS_DOC
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_metrics_doc(project), encoding="utf-8")
    return target
