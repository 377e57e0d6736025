"""Reading the SLO and rollback-rule files: YAML text, durations, and one-line errors.

Both files are checked by pydantic models. Whatever is wrong, the loader raises one
`ConfigFileError` whose message names the file, the field path (as written in the file, so
`spec.objectives.0.target`, not a Python attribute) and what is allowed there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, ValidationError

DURATION_PATTERN = re.compile(r"^([1-9][0-9]*)(m|h|d|w)$")
_UNIT_MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
# Written back in days at most: SLO windows are spoken of as 7d and 30d, not 1w.
_WRITTEN_UNITS = ("d", "h", "m")
DURATION_HELP = "a whole number followed by m, h, d or w, as in 5m, 1h or 30d"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
NAME_HELP = "a name in lowercase letters, digits and underscores, starting with a letter"
# Error kinds whose message here already states the value, or names a field, not a value.
_MESSAGES_WITH_VALUE = (
    "model_type",
    "value_error",
    "extra_forbidden",
    "union_tag_invalid",
    "union_tag_not_found",
)


class ConfigFileError(ValueError):
    """An SLO or rollback-rule file that cannot be used; the message names the file and field."""


class StrictModel(BaseModel):
    """A frozen model that rejects fields it does not define."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_duration(value: object) -> dt.timedelta:
    """Read a duration such as `5m`, `1h`, `30d` or `2w` (whole minutes and up).

    Args:
        value: The text from the file, or a timedelta already built in code.

    Returns:
        The duration as a timedelta.

    Raises:
        ValueError: The value is not such a duration, or is not a whole number of minutes.
    """
    if isinstance(value, dt.timedelta):
        if value <= dt.timedelta(0) or value % dt.timedelta(minutes=1):
            raise ValueError(f"duration {value} is not a positive whole number of minutes")
        return value
    match = DURATION_PATTERN.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"duration {value!r} is not {DURATION_HELP}")
    return dt.timedelta(minutes=int(match.group(1)) * _UNIT_MINUTES[match.group(2)])


def format_duration(value: dt.timedelta) -> str:
    """Write a duration in the largest unit that divides it, as the files do (`14m`, `6h`)."""
    total = whole_minutes(value)
    # Minutes divide every whole number of minutes, so a unit is always found.
    unit = next(unit for unit in _WRITTEN_UNITS if total % _UNIT_MINUTES[unit] == 0)
    return f"{total // _UNIT_MINUTES[unit]}{unit}"


def whole_minutes(value: dt.timedelta) -> int:
    """The number of whole minutes in a duration."""
    return int(value // dt.timedelta(minutes=1))


Duration = Annotated[
    dt.timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]


def read_yaml_documents(path: Path, what: str) -> list[Any]:
    """Read every YAML document in a file.

    Args:
        path: The file to read.
        what: What the file holds, for messages ("SLO file").

    Returns:
        The parsed documents, empty ones dropped.

    Raises:
        ConfigFileError: The file is missing, not UTF-8, or not valid YAML.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(f"{path}: no such {what}. Pass the path of a YAML file.") from None
    except UnicodeDecodeError as error:
        raise ConfigFileError(
            f"{path}: not UTF-8 text at byte {error.start}. Save it as UTF-8."
        ) from None
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigFileError(f"{path}: malformed YAML{where}: {problem}.") from None
    if not documents:
        raise ConfigFileError(f"{path}: the {what} is empty.")
    return documents


def describe_validation_error(
    path: Path, error: ValidationError, model: type[BaseModel], where: str = ""
) -> str:
    """Turn pydantic's first complaint into one line naming the file, field and what is allowed.

    Args:
        path: The file the data came from.
        error: What pydantic raised.
        model: The model the data was validated against, to list the fields a mapping takes.
        where: Text placed before the field, such as "document 2 (auto_routing),".

    Returns:
        The message.
    """
    first = error.errors()[0]
    loc = tuple(first["loc"])
    kind = first["type"]
    context = first.get("ctx", {})
    message = first["msg"].removeprefix("Value error, ")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        # The tag itself is wrong or missing: point at it, not at the mapping holding it.
        tag_field = str(context.get("discriminator", "kind")).strip("'")
        allowed = ", ".join(repr(tag) for m in _walk(model, loc)[1] for tag in _tags(m, tag_field))
        loc = (*loc, tag_field)
        if "tag" in context:
            message = f"{context['tag']!r} is not allowed; allowed: {allowed}"
        else:
            message = f"required field is missing; allowed: {allowed}"
    if kind == "extra_forbidden":
        field_path, owners = _walk(model, loc[:-1])
        field_path = [*field_path, str(loc[-1])]
        allowed = ", ".join(_field_names(owners)) or "see the file's documentation"
        message = f"not a field here; allowed: {allowed}"
    else:
        field_path = _walk(model, loc)[0]
    if kind == "missing":
        needed = ", ".join(_field_names(_walk(model, loc[:-1])[1], required_only=True))
        message = "required field is missing" + (f"; required here: {needed}" if needed else "")
    elif kind == "string_pattern_mismatch" and context.get("pattern") == NAME_PATTERN:
        message = f"{first['input']!r} is not {NAME_HELP}"
    elif "input" in first and kind not in _MESSAGES_WITH_VALUE:
        # Pydantic's own messages leave out the value, which is what the reader must find.
        given = first["input"]
        if not isinstance(given, dict | list):
            message = f"{message} (got {given!r})"
    location = ".".join(field_path)
    parts = [f"{path}:"]
    if where:
        parts.append(where)
    if location:
        parts.append(f"field {location}:")
    parts.append(message)
    more = len(error.errors()) - 1
    if more:
        parts.append(f"({more} more problem{'s' if more > 1 else ''} after this one)")
    return " ".join(parts)


def _walk(model: type[BaseModel], loc: Sequence[Any]) -> tuple[list[str], list[type[BaseModel]]]:
    """Follow a pydantic error location through the models.

    Returns the location as the file spells it (union tags dropped) and the models that may
    own its last step: one, several for an undecided union, none where the location leaves
    the models (a list of plain values).
    """
    shown: list[str] = []
    candidates: list[type[BaseModel]] = [model]
    for part in loc:
        if isinstance(part, int):
            shown.append(str(part))
            continue
        owner = next((m for m in candidates if part in _annotations(m)), None)
        if owner is not None:
            shown.append(str(part))
            candidates = list(_models_in(_annotations(owner)[part]))
            continue
        # A discriminated union puts the chosen tag in the location; narrow to that model.
        tagged = [m for m in candidates if any(part in _tags(m, name) for name in _annotations(m))]
        if not tagged:
            shown.append(str(part))
        candidates = tagged
    return shown, candidates


def _annotations(model: type[BaseModel]) -> dict[str, Any]:
    """Field annotations keyed by the name the file uses (the alias where there is one)."""
    return {(info.alias or name): info.annotation for name, info in model.model_fields.items()}


def _field_names(models: list[type[BaseModel]], required_only: bool = False) -> list[str]:
    """The fields of the one model that owns a location; none when it is ambiguous."""
    if len(models) != 1:
        return []
    return [
        info.alias or name
        for name, info in models[0].model_fields.items()
        if info.is_required() or not required_only
    ]


def _tags(model: type[BaseModel], field: str) -> tuple[Any, ...]:
    """The literal values a field allows, as a discriminated union's tag field does."""
    annotation = _annotations(model).get(field)
    return get_args(annotation) if get_origin(annotation) is Literal else ()


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in get_args(annotation):
        yield from _models_in(arg)
