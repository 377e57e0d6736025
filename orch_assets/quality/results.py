"""The shape every gate reports in, so checks, the publish record and the app agree."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Failure:
    """One failed expectation: what, where, what was seen, and a few offending rows."""

    check: str
    target: str
    expectation: str
    observed: object
    detail: str
    sample_rows: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "check": self.check,
            "target": self.target,
            "expectation": self.expectation,
            "observed": _plain(self.observed),
            "detail": self.detail,
            "sample_rows": [{k: _plain(v) for k, v in row.items()} for row in self.sample_rows],
        }


@dataclass
class GateResult:
    """A gate's verdict on one target (a mart, a reconciliation, the definitions)."""

    check: str
    target: str
    evaluated: int
    failures: list[Failure]

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        return {
            "check": self.check,
            "target": self.target,
            "passed": self.passed,
            "evaluated": self.evaluated,
            "failures": [f.to_dict() for f in self.failures],
        }


def _plain(value: object) -> object:
    """JSON-friendly: dates and decimals as text, numpy scalars as Python numbers."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "item"):
        try:
            return value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
