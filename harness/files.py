"""Read YAML fixture files into validated models, collecting every problem.

Device profiles, app profiles, campaigns and the catalog all load through here,
so every file reports problems the same way, all at once::

    device-profiles/bad.yaml: push.service: 'apn' is not one of apns, fcm, webpush
    (did you mean apns?).

A model can report problems that span several fields by raising
:func:`rule_problems` from a model validator; each becomes its own row.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, get_args

import yaml
from pydantic import BaseModel, BeforeValidator, PlainSerializer, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from .errors import ConfigError, Problem

M = TypeVar("M", bound=BaseModel)

DOCUMENT = "(document)"
RULES = "file_rules"
COMPANIONS = (".appium.yaml", ".appium.yml")

_UNITS = {
    "w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1),
    "m": timedelta(minutes=1), "s": timedelta(seconds=1),
}  # fmt: skip
_DURATION_TEXT = re.compile(r"(\d+)([smhdw])")
_EXPECTED = {
    "string_type": "text (in quotes)",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
}


# -- durations -----------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """Turn a duration such as ``0s``, ``90m``, ``12h``, ``2d`` or ``1w`` into time."""
    match = _DURATION_TEXT.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration; write a whole number and one unit "
            "of s, m, h, d or w, like 90m or 2d."
        )
    try:
        return int(match[1]) * _UNITS[match[2]]
    except OverflowError:
        raise ValueError(
            f"{text!r} is too long a duration; durations stay under 999999999 days"
        ) from None


def format_duration(delta: timedelta) -> str:
    """Write ``delta`` in the largest unit that divides it; the inverse of parsing."""
    seconds = delta.total_seconds()
    if seconds < 0 or seconds != int(seconds):
        raise ValueError(
            f"{delta} cannot be written as a duration; durations are whole, "
            "non-negative seconds."
        )
    for unit, size in _UNITS.items():
        count, rest = divmod(int(seconds), int(size.total_seconds()))
        if count and not rest:
            return f"{count}{unit}"
    return "0s"


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        format_duration(value)
        return value
    if isinstance(value, str):
        return parse_duration(value)
    raise ValueError(
        f"expected a duration such as 90m or 2d, got {describe(value)}; "
        "add a unit of s, m, h, d or w."
    )


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]


# -- loading -------------------------------------------------------------------


def shown(path: Path) -> str:
    """Return ``path`` relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# libyaml's parser where PyYAML was built with it: fixtures load on every World.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """YAML's safe loader, refusing a key repeated in one mapping.

    PyYAML keeps the last of repeated keys, so a typo'd duplicate would hide
    the first value (and any problem in it) without a word.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:
                continue  # an unhashable key: the base loader reports it
            if first is not key_node:
                raise yaml.constructor.ConstructorError(
                    f"key {key!r} first appears here",
                    first.start_mark,
                    f"key {key!r} appears again; keep one of them",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Return the YAML document at ``path`` and any problem reading it."""
    file = shown(path)
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_UniqueKeyLoader), []  # noqa: S506
    except (OSError, UnicodeDecodeError) as error:
        return None, [
            Problem(file, DOCUMENT, f"cannot be read ({error}); check the path.")
        ]
    except yaml.YAMLError as error:
        return None, [Problem(file, DOCUMENT, _yaml_message(error))]
    except RecursionError:
        return None, [
            Problem(file, DOCUMENT, "nests too deeply to read; flatten the YAML")
        ]


def parse_model(
    path: Path, model: type[M], what: str = "file"
) -> tuple[M | None, list[Problem]]:
    """Load one YAML file into ``model``; return it or the problems found.

    Validators see ``{"file": path, "file_stem": stem}`` as their context.
    """
    data, problems = read_yaml(path)
    if problems:
        return None, problems
    file = shown(path)
    if not isinstance(data, dict):
        found = "is empty" if data is None else f"holds {describe(data)}"
        return None, [
            Problem(
                file,
                DOCUMENT,
                f"the file {found}; a {what} is a "
                f"mapping of keys such as {_first_keys(model)}.",
            )
        ]
    try:
        context = {"file": path, "file_stem": path.stem}
        return model.model_validate(data, context=context), []
    except ValidationError as error:
        return None, problems_of(error, file, model)


def load_model(path: Path, model: type[M], what: str = "file") -> M:
    """Load one YAML file into ``model``, raising ConfigError with every problem."""
    loaded, problems = parse_model(path, model, what)
    if loaded is None:
        raise ConfigError(problems)
    return loaded


def load_directory(directory: Path, model: type[M], what: str = "file") -> dict[str, M]:
    """Load every ``*.yaml`` in ``directory`` by stem, raising once for all problems.

    A ``*.yml`` file is reported rather than silently skipped.
    """
    loaded: dict[str, M] = {}
    problems: list[Problem] = []
    if not directory.is_dir():
        raise ConfigError(
            [
                Problem(
                    shown(directory),
                    DOCUMENT,
                    "is not a directory; check the path or create it.",
                )
            ]
        )
    for path in sorted(directory.glob("*.y*ml")):
        if path.name.endswith(COMPANIONS):
            continue  # an app's action map sits beside it, loaded by its own model
        if path.suffix == ".yml":
            problems.append(
                Problem(
                    shown(path),
                    DOCUMENT,
                    "files here end in .yaml, "
                    f"so this one is skipped; rename it {path.stem}.yaml.",
                )
            )
            continue
        item, found = parse_model(path, model, what)
        problems.extend(found)
        if item is not None:
            loaded[path.stem] = item
    if problems:
        raise ConfigError(problems)
    return dict(sorted(loaded.items()))


# -- problems ------------------------------------------------------------------


def rule_problems(problems: Iterable[tuple[str, str]]) -> PydanticCustomError:
    """Return an error carrying cross-field problems as ``(key.path, message)``."""
    listed = list(problems)
    summary = "; ".join(f"{path}: {message}" for path, message in listed)
    return PydanticCustomError(
        RULES, "{summary}", {"summary": summary, "problems": listed}
    )


def problems_of(
    error: ValidationError, file: str, model: type[BaseModel]
) -> list[Problem]:
    """Translate pydantic's errors into ``Problem`` rows with dotted key paths."""
    problems = []
    for detail in error.errors():
        where = ".".join(str(part) for part in detail["loc"])
        if detail["type"] == RULES:
            for path, message in detail.get("ctx", {})["problems"]:
                full = f"{where}.{path}" if where else path
                problems.append(Problem(file, full, message))
        else:
            problems.append(Problem(file, where or DOCUMENT, _message(detail, model)))
    return problems


def describe(value: object) -> str:
    """Name a YAML value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _message(detail: ErrorDetails, model: type[BaseModel]) -> str:
    kind, value, ctx = detail["type"], detail["input"], detail.get("ctx", {})
    if kind == "missing":
        return "is required; add it."
    if kind == "extra_forbidden":
        return _unknown_key(detail["loc"], model)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", ctx["expected"])
        close = difflib.get_close_matches(str(value), choices, n=1)
        guess = f" (did you mean {close[0]}?)" if close else ""
        return f"{value!r} is not one of {', '.join(choices)}{guess}."
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "string_too_short":
        return "is empty; write some text."
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {describe(value)}."
    return f"{detail['msg']}; got {describe(value)}."


def _unknown_key(loc: tuple[int | str, ...], model: type[BaseModel]) -> str:
    section = _section_at(loc[:-1], model)
    allowed = list(section.model_fields) if section else []
    guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    keys = ", ".join(allowed)
    if guess:
        return f"unknown key; did you mean {guess[0]}? Allowed here: {keys}."
    return f"unknown key; allowed here: {keys}."


def _section_at(
    loc: tuple[int | str, ...], model: type[BaseModel]
) -> type[BaseModel] | None:
    section: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue  # a list index: the section already names the item type
        field = section.model_fields.get(part) if section else None
        section = _nested_section(field.annotation) if field else None
    return section


def _nested_section(annotation: Any, depth: int = 0) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if depth > 3:
        return None
    for candidate in get_args(annotation):
        nested = _nested_section(candidate, depth + 1)
        if nested is not None:
            return nested
    return None


def _yaml_message(error: yaml.YAMLError) -> str:
    if "nesting depth" in str(getattr(error, "problem", "")):
        return "nests too deeply to read; flatten the YAML"  # libyaml's limit
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        context = ""
        if error.context and error.context_mark is not None:
            start = error.context_mark
            context = f" ({error.context} at line {start.line + 1})"
        return (
            f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: "
            f"{error.problem}{context}; fix the syntax there."
        )
    return f"invalid YAML: {error}."


def _first_keys(model: type[BaseModel]) -> str:
    return ", ".join(list(model.model_fields)[:3])


class _Numbered(Protocol):
    id: int
    name: str


N = TypeVar("N", bound=_Numbered)


def load_numbered(
    directory: Path, model: type[N], what: str, *, id_rule: str = ""
) -> list[N]:
    """Load a folder of messages addressed by id or name, ordered by id.

    Ids and names (in any case) must be unique; ``id_rule`` says why, after the
    clash. Raises ConfigError listing every file problem and clash at once.
    """
    loaded = load_directory(directory, model, what)  # type: ignore[type-var]
    problems: list[Problem] = []
    ids: dict[int, str] = {}
    names: dict[str, str] = {}
    for stem, item in loaded.items():
        file = shown(directory / f"{stem}.yaml")
        other = ids.setdefault(item.id, stem)
        if other != stem:
            text = (
                f"{item.id} is also the id of {other}.yaml; {id_rule}give each its own."
            )
            problems.append(Problem(file, "id", text))
        other = names.setdefault(item.name.lower(), stem)
        if other != stem:
            text = (
                f"{item.name!r} is also the name of {other}.yaml (names match "
                "in any case); rename one."
            )
            problems.append(Problem(file, "name", text))
    if problems:
        raise ConfigError(problems)
    return sorted(loaded.values(), key=lambda item: item.id)
