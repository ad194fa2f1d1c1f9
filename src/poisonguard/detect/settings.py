"""Per-detector settings: a detector's constructor parameters, read and set as text.

Every registered detector is a class whose ``__init__`` takes keyword parameters and stores
each unchanged (the scikit-learn-like contract of
:class:`~poisonguard.detect.base.CorpusDetector`); those parameters, less the private ones
(``_prev`` and the like: a previous round's state), are its **settings**.  A scan takes them
as ``options={detector: {parameter: value}}`` (:func:`poisonguard.scan`); the command line
writes each as ``DETECTOR.PARAM=VALUE`` (``poisonguard scan --set``), turned into a typed
value here by the parameter's type — its annotation, else the type of its default:

* ``bool``: ``true``/``false``, ``1``/``0``, ``yes``/``no`` (any case);
* ``int`` and ``float`` as Python reads them (``inf`` for a float; a float parameter takes an
  integer too);
* ``str`` as written;
* lists, tuples and dicts as JSON (``[4, 6]``, ``{"a": 1}``);
* ``none`` for ``None``, where the parameter takes ``None``.

Nothing here builds a detector or reads a corpus: settings are checked from the registry and
the class signatures, so a wrong one fails before a scan starts.  A value of the right type
can still be out of a detector's range; its constructor says so when the scan builds it
(before the corpus is read, too).
"""

from __future__ import annotations

import difflib
import inspect
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from poisonguard.detect.profiles import PROFILES
from poisonguard.detect.registry import Registered, registered, runs_by_default

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")
_LIST_HEADS = ("list", "Sequence", "Iterable", "Collection", "MutableSequence")
_DICT_HEADS = ("dict", "Mapping", "MutableMapping")
_EXPECTED = {
    "bool": "true or false",
    "int": "an integer",
    "float": "a number",
    "str": "text",
    "list": "a JSON list",
    "tuple": "a JSON list",
    "dict": "a JSON object",
}


class SettingError(ValueError):
    """A setting that cannot be used (the message says why, in one line)."""


@dataclass(frozen=True, slots=True)
class Param:
    """One setting of a detector.

    Attributes:
        name: the constructor's keyword.
        default: the constructor's default (a scan may give some another value: the
            ``k`` of ``--min-trigger-docs`` becomes ``min_docs``, its seed ``seed``).
        type: ``bool``, ``int``, ``float``, ``str``, ``list``, ``tuple`` or ``dict``; None:
            an object no text can stand for (a fitted model), not settable as text.
        nullable: the parameter takes ``None`` (written ``none``).
        annotation: the constructor's annotation as written (``""`` when none).
    """

    name: str
    default: Any
    type: str | None
    nullable: bool
    annotation: str

    @property
    def expected(self) -> str:
        """What a value must be, in words (``a number``, ``true or false or none``)."""
        if self.type is None:
            objs = [p for p in _split_union(self.annotation) if p != "None"]
            return f"a {' | '.join(objs) or 'Python'} object"
        what = _EXPECTED[self.type]
        return f"{what} or none" if self.nullable else what


def _split_union(annotation: str) -> list[str]:
    """The members of ``A | B | None`` at bracket depth 0 (``Sequence[str | X]`` is one)."""
    parts, depth, cur = [], 0, ""
    for ch in annotation:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "|" and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return [p for p in parts if p]


def _type_of(annotation: str, default: Any) -> tuple[str | None, bool]:
    """(type, nullable) of a parameter from its annotation, else its default."""
    parts = _split_union(annotation)
    if len(parts) == 1 and parts[0].startswith(("Optional[", "typing.Optional[")):
        parts = [parts[0].split("[", 1)[1][:-1], "None"]
    nullable = default is None or "None" in parts
    rest = [p for p in parts if p != "None"]
    if len(rest) == 1:
        head = rest[0].split("[", 1)[0].rsplit(".", 1)[-1]
        if head in _EXPECTED and head not in ("list", "tuple", "dict"):
            return head, nullable
        if head in _LIST_HEADS:
            return "list", nullable
        if head == "tuple":
            return "tuple", nullable
        if head in _DICT_HEADS:
            return "dict", nullable
        if rest[0][:1].isupper() or default is None:
            return None, nullable  # a class: a model, a loaded indicator set
    for t in (bool, int, float, str, tuple, list, dict):
        if isinstance(default, t):
            return t.__name__, nullable
    return None, nullable


def params_of(entry: Registered) -> dict[str, Param]:
    """The settings of a registered detector, in the constructor's order (empty when the
    registry does not know its class)."""
    if entry.cls is None:
        return {}
    out: dict[str, Param] = {}
    for p in inspect.signature(entry.cls).parameters.values():
        if p.name.startswith("_"):
            continue
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        ann = p.annotation
        if ann is inspect.Parameter.empty:
            ann = ""
        elif not isinstance(ann, str):
            ann = inspect.formatannotation(ann)
        default = None if p.default is inspect.Parameter.empty else p.default
        kind, nullable = _type_of(ann, default)
        out[p.name] = Param(p.name, default, kind, nullable, ann)
    return out


def job_of(entry: Registered) -> str:
    """The detector's job in one line: the first sentence of its class docstring."""
    doc = inspect.getdoc(entry.cls) if entry.cls is not None else None
    if not doc:
        return ""
    first = " ".join(doc.split("\n\n", 1)[0].split())
    first = re.sub(r"\s*\((see )?(the )?module( docstring)?\)", "", first)
    return first


def runs_in(entry: Registered) -> dict[str, str]:
    """Per corpus kind the detector is registered for: ``default`` (every scan of that
    kind), the name of the profile that adds it (``thorough``), or ``opt-in``
    (``--detector +NAME`` only)."""
    out: dict[str, str] = {}
    for kind in entry.kinds:
        if runs_by_default(entry, kind):
            out[kind] = "default"
            continue
        adds = profiles_adding(entry.name)
        out[kind] = adds[0] if adds else "opt-in"
    return out


def profile_options(name: str) -> dict[str, dict[str, Any]]:
    """The settings each profile gives detector ``name`` (``{"thorough": {...}}``)."""
    return {p.name: dict(p.options[name]) for p in PROFILES.values() if name in p.options}


def profiles_adding(name: str) -> list[str]:
    """The profiles that add detector ``name`` to a scan."""
    return [p.name for p in PROFILES.values() if name in p.add]


def coerce(detector: str, param: Param, text: str) -> Any:
    """``text`` as a value of ``param`` (:class:`SettingError` saying what it takes)."""
    raw = text.strip()
    where = f"{detector}.{param.name}"

    def bad(extra: str = "") -> SettingError:
        return SettingError(
            f"{where}={text}: expected {param.expected} "
            f"(default {show_value(param.default)}), not {text!r}{extra}"
        )

    if param.type is None:
        if param.nullable and raw.lower() == "none":
            return None
        raise SettingError(
            f"{where} takes {param.expected} and cannot be set from the command line "
            "(use the Python API: poisonguard.scan(..., options=...))"
        )
    if param.nullable and raw.lower() == "none":
        return None
    t = param.type
    if t == "bool":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise bad()
    if t == "int":
        try:
            return int(raw)
        except ValueError:
            raise bad() from None
    if t == "float":
        try:
            value = float(raw)
        except ValueError:
            raise bad() from None
        if math.isnan(value):
            raise bad()
        return value
    if t == "str":
        return text
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as e:
        raise bad(f" (JSON: {e.msg})") from None
    if t in ("list", "tuple"):
        if not isinstance(value, list):
            raise bad()
        return tuple(value) if t == "tuple" else value
    if not isinstance(value, dict):
        raise bad()
    return value


def show_value(value: Any) -> str:
    """A value as ``--set`` writes it (``true``, ``0.8``, ``none``, ``[4, 6]``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, tuple | list | dict):
        try:
            return json.dumps(list(value) if isinstance(value, tuple) else value)
        except TypeError:
            pass
    return f"<{type(value).__name__}>"


def parse_setting(
    text: str, entries: Mapping[str, Registered] | None = None
) -> tuple[str, str, Any]:
    """``(detector, parameter, value)`` of ``DETECTOR.PARAM=VALUE``; :class:`SettingError`
    for a malformed text, an unknown detector (naming the known ones), a private
    parameter, an unknown parameter (naming the detector's) or a value of the wrong type
    (naming the type)."""
    entries = registered() if entries is None else entries
    head, eq, value = text.partition("=")
    det, dot, param = head.strip().rpartition(".")
    if not eq or not dot or not det or not param:
        raise SettingError(
            f"{text!r} is not DETECTOR.PARAM=VALUE (e.g. cohesion.host_check_purity=0)"
        )
    if det not in entries:
        raise SettingError(f"{text}: unknown detector {det!r}; known: {', '.join(sorted(entries))}")
    if param.startswith("_"):
        raise SettingError(
            f"{text}: {param!r} is private to {det} (state one round hands the next), not a setting"
        )
    params = params_of(entries[det])
    if param not in params:
        near = difflib.get_close_matches(param, list(params), n=1)
        raise SettingError(
            f"{text}: {det} has no parameter {param!r}"
            + (f" (did you mean {near[0]!r}?)" if near else "")
            + "; its parameters: "
            + (", ".join(params) or "none")
        )
    return det, param, coerce(det, params[param], value)


def parse_settings(
    texts: Sequence[str], entries: Mapping[str, Registered] | None = None
) -> dict[str, dict[str, Any]]:
    """``{detector: {parameter: value}}`` of several ``DETECTOR.PARAM=VALUE`` texts (a
    parameter set twice: the last value)."""
    out: dict[str, dict[str, Any]] = {}
    for text in texts:
        det, param, value = parse_setting(text, entries)
        out.setdefault(det, {})[param] = value
    return out


def merge_options(
    *layers: Mapping[str, Mapping[str, Any]] | None,
) -> dict[str, dict[str, Any]]:
    """Per-detector options merged in order, a later layer's value winning per parameter."""
    out: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for det, opts in (layer or {}).items():
            out.setdefault(det, {}).update(opts)
    return out


__all__ = [
    "Param",
    "SettingError",
    "coerce",
    "job_of",
    "merge_options",
    "params_of",
    "parse_setting",
    "parse_settings",
    "profile_options",
    "profiles_adding",
    "runs_in",
    "show_value",
]
