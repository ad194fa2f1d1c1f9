"""Recipe registry: built-ins register with :func:`register`; plug-ins via entry points.

A third-party package adds a recipe by exposing a :class:`~poisonguard.attacks.base.Recipe`
subclass in the ``poisonguard.recipes`` entry-point group::

    [project.entry-points."poisonguard.recipes"]
    my-attack = "mypkg.attack:MyAttack"

The entry-point name is the recipe name.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import TypeVar

from poisonguard.attacks.base import Recipe, RecipeError

ENTRY_POINT_GROUP = "poisonguard.recipes"
_BUILTIN_MODULES = (
    "dos",
    "dos_bytes",
    "language_switch",
    "targeted_claim",
    "instruction_backdoor",
    "rag",
    "split_view",
    "fluent",
    "claims",
    "chat_backdoor",
    "evasive",
)

_REGISTRY: dict[str, type[Recipe]] = {}
_loaded = False

R = TypeVar("R", bound=type[Recipe])


def register(cls: R) -> R:
    """Class decorator: make a :class:`Recipe` subclass available under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no recipe name")
    other = _REGISTRY.get(cls.name)
    if other is not None and other is not cls:
        raise ValueError(f"recipe name {cls.name!r} is already taken by {other.__qualname__}")
    _REGISTRY[cls.name] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in _BUILTIN_MODULES:
        importlib.import_module(f"poisonguard.attacks.{mod}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY:
            continue
        try:
            cls = ep.load()
        except Exception as e:  # a broken plug-in must not break the CLI
            _BROKEN[ep.name] = f"{type(e).__name__}: {e}"
            continue
        if not (isinstance(cls, type) and issubclass(cls, Recipe)):
            _BROKEN[ep.name] = f"{ep.value} is not a Recipe subclass"
            continue
        if not cls.name:
            cls.name = ep.name
        _REGISTRY[ep.name] = cls
        _PLUGINS.add(ep.name)


_BROKEN: dict[str, str] = {}
_PLUGINS: set[str] = set()


def refresh() -> None:
    """Scan the ``poisonguard.recipes`` entry points again (after installing a plug-in)."""
    global _loaded
    _loaded = False
    _BROKEN.clear()
    for name in _PLUGINS:
        _REGISTRY.pop(name, None)
    _PLUGINS.clear()
    _load()


def get(name: str) -> type[Recipe]:
    """The recipe class registered as ``name``; :class:`RecipeError` when unknown."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        hint = f" (plug-in failed to load: {_BROKEN[name]})" if name in _BROKEN else ""
        raise RecipeError(
            f"unknown recipe {name!r}{hint}; available: {', '.join(sorted(_REGISTRY))}"
        ) from None


def available() -> dict[str, str]:
    """Recipe name -> one-line description, sorted by name."""
    _load()
    return {name: _REGISTRY[name].description for name in sorted(_REGISTRY)}
