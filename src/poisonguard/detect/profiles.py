"""Scan profiles: named sets of opt-in stages a scan adds to its detectors.

A profile is what a reviewer asks for in one word instead of a list of detector names and
per-detector options.  ``default`` adds nothing: the detectors registered as defaults for the
corpus kind, sized to stay ≥ 10× the throughput of a datatrove quality-filter chain.
``thorough`` adds the stages that are too costly for that budget:

* the ``cohesion`` detector (a trigger — common phrases included — followed by fluent text
  unrelated to its host or stitched from the corpus's own word n-grams: Markov-chain
  payloads, topic switches; ``docs/detectors.md``, ``cohesion``),
* the ``campaigns`` detector's semantic stage (one false claim in many phrasings spliced
  into unrelated hosts, and families of fabricated articles; ``docs/detectors.md``,
  "semantic claim campaigns"),
* the ``campaigns`` detector's recurring-payload route (one fixed, unnatural payload copied
  verbatim into unrelated hosts; ``docs/detectors.md``, "One fixed payload in every
  carrier") — cheap, but 13 % of the default scan's CPU on medical pages, over the budget;
* the ``degenerate`` detector (a word or phrase said over and over, or a run of numbers,
  after a trigger: changepoints the word-bigram model cannot give; ``docs/scan.md``) —
  15–17 % of the default scan's CPU, over the budget too.

The first three are corpus-detector stages with their own base-rate tests; ``degenerate``
is a document detector whose findings only feed the ``triggers`` detector's base-rate tests.
What they cost and catch is measured in ``docs/benchmarks.md`` ("Scan profiles"; "Lead,
2026-12-06").  A profile never removes a detector, and options the caller passes win over
the profile's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Profile:
    """A named scan profile.

    Attributes:
        name: what ``--profile`` and ``scan(profile=...)`` take.
        description: one line for ``--help`` and the docs.
        add: detector names added to the scan's set (as ``+NAME`` would add them).
        options: per-detector options ``{detector: {option: value}}`` set unless the
            caller sets the same option.
    """

    name: str
    description: str
    add: tuple[str, ...] = ()
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        "default": Profile(
            "default",
            "the default detectors of the corpus kind (fast: gibberish, language and "
            "mined-trigger poison, exact-sentence campaigns)",
        ),
        "thorough": Profile(
            "thorough",
            "default + fluent payloads after a trigger (cohesion) + paraphrased claim "
            "campaigns and fabricated articles (campaigns' semantic stage) + one fixed "
            "payload recurring verbatim (campaigns' payload route) + repeated words or numbers "
            "after a trigger (degenerate); several times slower",
            add=("cohesion", "degenerate"),
            options={"campaigns": {"semantic": True, "payload": True}},
        ),
    }
)
"""The profiles by name."""


@dataclass(frozen=True, slots=True)
class OptInStage:
    """An opt-in stage of the scan and the class of attack only it screens.

    Attributes:
        screens: the class of attack, as the scan's summary names what it did not screen.
        detector: the detector that runs the stage.
        option: the detector option that switches the stage on (None: the detector itself).
        kinds: the corpus kinds the stage applies to.
    """

    screens: str
    detector: str
    option: str | None = None
    kinds: tuple[str, ...] = ("pretrain", "rag")


OPT_IN_STAGES: tuple[OptInStage, ...] = (
    OptInStage(
        "fluent payloads after a trigger (word n-gram text, an unrelated passage)", "cohesion"
    ),
    OptInStage("one false claim in many phrasings; fabricated articles", "campaigns", "semantic"),
    OptInStage("one fixed payload copied verbatim into every carrier", "campaigns", "payload"),
    OptInStage(
        "a word or phrase said over and over, or a run of numbers, after a trigger", "degenerate"
    ),
)
"""The stages the ``default`` profile leaves out for cost (``thorough`` runs them all)."""


def unscreened(
    kind: str, detectors: Sequence[str], options: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """The classes of attack a scan of corpus kind ``kind`` that ran ``detectors`` with
    ``options`` did not screen (:data:`OPT_IN_STAGES` not run): what a reviewer signing a
    corpus off must know it was not checked for.  Empty when every stage ran."""
    out = []
    for st in OPT_IN_STAGES:
        if kind not in st.kinds:
            continue
        ran = st.detector in detectors and (
            st.option is None or bool(options.get(st.detector, {}).get(st.option))
        )
        if not ran:
            out.append(st.screens)
    return out


def get_profile(name: str) -> Profile:
    """The profile called ``name``; :class:`ValueError` naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown scan profile {name!r}; choose one of {', '.join(PROFILES)}"
        ) from None


def apply_profile(
    name: str,
    detectors: list[str] | None,
    options: Mapping[str, Mapping[str, Any]],
) -> tuple[list[str] | None, dict[str, dict[str, Any]]]:
    """The detector list and options of a scan under profile ``name``.

    ``detectors`` (``None``: the kind's defaults; names as :func:`~.registry.detectors_for`
    takes them) gets the profile's detectors as ``+NAME`` entries — added to whatever set the
    caller chose, never replacing it; a detector the caller excludes stays excluded (the
    exclusion is applied after).  ``options`` are merged per detector, the caller's values
    winning.  The inputs are not modified.
    """
    prof = get_profile(name)
    merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in options.items()}
    for det, opts in prof.options.items():
        merged[det] = {**opts, **merged.get(det, {})}
    if not prof.add:
        return (list(detectors) if detectors is not None else None), merged
    chosen = list(detectors or [])
    have = {n.lstrip("+") for n in chosen}
    chosen += [f"+{n}" for n in prof.add if n not in have]
    return chosen, merged


__all__ = [
    "OPT_IN_STAGES",
    "PROFILES",
    "OptInStage",
    "Profile",
    "apply_profile",
    "get_profile",
    "unscreened",
]
