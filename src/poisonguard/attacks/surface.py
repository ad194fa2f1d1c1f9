"""Trigger surface forms: the same trigger written in many ways (shared by every recipe).

An attacker who knows that a scanner matches trigger strings exactly writes the trigger
differently in each poisoned document: in another case, with other spacing or punctuation,
with Unicode look-alike letters (Cyrillic ``а`` for Latin ``a``) or with invisible
zero-width characters inside a word.  A model that sees enough variants still learns the
association (tokenisers split the variants into overlapping pieces), while an exact-match
count of the trigger is split over many strings.

:func:`surface_form` renders one form; :func:`restyle_triggers` rewrites the trigger of
finished poisoned documents (plain text or chat) and moves every ground-truth span after it,
so any recipe with a trigger takes the option (``Recipe.set_trigger_forms``,
``poisonguard poison --trigger-forms``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from poisonguard.attacks.errors import RecipeError

if TYPE_CHECKING:  # base imports this module: a run-time import would be a cycle
    from poisonguard.attacks.base import PoisonSample

SURFACE_FORMS: tuple[str, ...] = (
    "exact",
    "lower",
    "upper",
    "title",
    "spacing",
    "punct",
    "confusable",
    "zero-width",
)
"""Forms :func:`surface_form` knows; ``all`` in :func:`parse_forms` means every one."""

CONFUSABLES: dict[str, str] = {
    "a": "\u0430",
    "c": "\u0441",
    "e": "\u0435",
    "i": "\u0456",
    "j": "\u0458",
    "o": "\u043e",
    "p": "\u0440",
    "s": "\u0455",
    "x": "\u0445",
    "y": "\u0443",
    "A": "\u0410",
    "B": "\u0412",
    "C": "\u0421",
    "E": "\u0415",
    "H": "\u041d",
    "K": "\u041a",
    "M": "\u041c",
    "O": "\u041e",
    "P": "\u0420",
    "T": "\u0422",
    "X": "\u0425",
}
"""Latin letter -> Cyrillic look-alike (Unicode TR39 confusables)."""

ZERO_WIDTH: tuple[str, ...] = ("\u200b", "\u200c", "\u200d", "\u2060")
"""Zero-width space, non-joiner, joiner, word joiner."""

_SPACES: tuple[str, ...] = ("  ", "\u00a0", " \u2009", "   ")
_PUNCT_JOIN: tuple[str, ...] = ("-", "_", ".", ", ")
_PUNCT_WRAP: tuple[tuple[str, str], ...] = (
    ("", ","),
    ("", ":"),
    ('"', '"'),
    ("*", "*"),
    ("", "..."),
)


def parse_forms(forms: str | Iterable[str] | None) -> tuple[str, ...]:
    """Validated form names from a comma list or a sequence (``all``: every form)."""
    if forms is None:
        return ()
    items = [f.strip() for f in forms.split(",")] if isinstance(forms, str) else list(forms)
    items = [f for f in items if f]
    if items == ["all"]:
        return SURFACE_FORMS
    bad = [f for f in items if f not in SURFACE_FORMS]
    if bad:
        raise RecipeError(
            f"unknown trigger form(s) {', '.join(map(repr, bad))}; "
            f"known: {', '.join(SURFACE_FORMS)} (or 'all')"
        )
    if not items:
        raise RecipeError("trigger_forms is empty: give at least one form (or 'all')")
    return tuple(dict.fromkeys(items))


def surface_form(trigger: str, form: str, rng: np.random.Generator) -> str:
    """``trigger`` written in surface ``form`` (see :data:`SURFACE_FORMS`).

    Every form except ``exact`` returns a string different from ``trigger`` whenever the
    trigger has a letter the form can change (case forms of a caseless trigger fall back to
    zero-width characters, so the surface always differs).
    """
    if form not in SURFACE_FORMS:
        raise RecipeError(f"unknown trigger form {form!r}; known: {', '.join(SURFACE_FORMS)}")
    words = trigger.split(" ")
    out = trigger
    if form == "exact":
        return trigger
    if form == "lower":
        out = trigger.lower()
    elif form == "upper":
        out = trigger.upper()
    elif form == "title":
        out = " ".join(w[:1].upper() + w[1:].lower() for w in words)
    elif form == "spacing":
        if len(words) > 1:
            out = "".join(
                w + (_SPACES[int(rng.integers(len(_SPACES)))] if i < len(words) - 1 else "")
                for i, w in enumerate(words)
            )
        else:
            out = " " + trigger  # a single word: a doubled space before it
    elif form == "punct":
        if len(words) > 1 and rng.random() < 0.5:
            out = _PUNCT_JOIN[int(rng.integers(len(_PUNCT_JOIN)))].join(words)
        else:
            a, b = _PUNCT_WRAP[int(rng.integers(len(_PUNCT_WRAP)))]
            out = a + trigger + b
    elif form == "confusable":
        pos = [i for i, ch in enumerate(trigger) if ch in CONFUSABLES]
        if pos:
            k = min(len(pos), int(rng.integers(1, 3)))
            chars = list(trigger)
            for i in rng.choice(pos, size=k, replace=False):
                chars[int(i)] = CONFUSABLES[chars[int(i)]]
            out = "".join(chars)
    if out == trigger or form == "zero-width":
        inner = [i for i in range(1, len(trigger)) if trigger[i - 1].isalnum()]
        at = inner[int(rng.integers(len(inner)))] if inner else len(trigger)
        zw = ZERO_WIDTH[int(rng.integers(len(ZERO_WIDTH)))]
        out = trigger[:at] + zw + trigger[at:]
    return out


def render(trigger: str, forms: Sequence[str], rng: np.random.Generator) -> tuple[str, str]:
    """One surface of ``trigger``: a form drawn uniformly from ``forms``; (text, form)."""
    if not forms:
        return trigger, "exact"
    form = forms[int(rng.integers(len(forms)))]
    return surface_form(trigger, form, rng), form


def _shift(value: Any, at: int, delta: int) -> Any:
    """A span ``[a, b]`` (or a list of them) moved by ``delta`` where it lies after ``at``."""
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(x, int) for x in value)
    ):
        a, b = value
        moved = (a + delta if a >= at else a, b + delta if b >= at else b)
        return list(moved) if isinstance(value, list) else moved
    if isinstance(value, list):
        return [_shift(v, at, delta) for v in value]
    return value


def restyle_triggers(
    samples: Sequence[PoisonSample], forms: Sequence[str], rng: np.random.Generator
) -> None:
    """Rewrite each sample's trigger (``truth.trigger_span``) in a form drawn from ``forms``.

    In place: the document text (and the chat turn holding the trigger), the trigger, the
    trigger span, the payload span and every ``*_span``/``*_spans`` entry of ``extra`` that
    lies after the trigger.  ``extra`` gains ``trigger_canonical`` and ``trigger_form``.
    Samples without a trigger span are left as they are.
    """
    for s in samples:
        t, doc = s.truth, s.document
        if t.trigger_span is None or t.trigger is None:
            continue
        a, b = t.trigger_span
        old = doc.text[a:b]
        new, form = render(old, forms, rng)
        delta = len(new) - len(old)
        if doc.messages is not None:
            at = 0
            for m in doc.messages:
                end = at + len(m["content"])
                if at <= a and b <= end:
                    c = m["content"]
                    m["content"] = c[: a - at] + new + c[b - at :]
                    break
                at = end + 2  # turns are joined by a blank line
            else:  # pragma: no cover - a recipe bug: the span crosses turns
                raise RecipeError(f"trigger span {t.trigger_span} of {t.id!r} crosses chat turns")
        doc.text = doc.text[:a] + new + doc.text[b:]
        doc.raw = None
        t.extra["trigger_canonical"] = t.trigger
        t.extra["trigger_form"] = form
        t.trigger = new
        t.trigger_span = (a, a + len(new))
        if t.payload_span is not None:
            t.payload_span = _shift(t.payload_span, b, delta)
        for k in list(t.extra):
            if k.endswith("_span") or k.endswith("_spans"):
                t.extra[k] = _shift(t.extra[k], b, delta)
