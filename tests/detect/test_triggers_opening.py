"""A common phrase that opens pages made of nothing but the phrase and word salad (issue 12,
the lead's ``heldout-rain-salad-opening-synonyms-books``: ``in short`` 0 of 30 carriers at
100): the sample read, which reads what follows a string in the sampled documents that hold
it, is diluted by the phrase's many clean holders; a string that opens most of its examples'
documents is read where it opens a sampled document, against the rate at which the salad
test fires after the opening words of any document."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from poisonguard.attacks.evasive import WordSalad
from poisonguard.detect.base import Finding
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs
from tests.detect.test_triggers import _changepoint, _mine, _weak

_SPOT = re.compile(r"[a-z)][.:]\s+(?=[A-Z])|\n\n(?=\w)")
_RUN = re.compile(r"(?<=\. )[A-Z](?:[a-z]*,?\s+){23}[a-z]+")


@lru_cache(maxsize=4)
def _pages(
    phrase: str, carriers: int, clean_openers: int
) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """The embedded corpus where three documents in four of more than 200 characters write
    ``phrase`` at one sentence opening (a word start where there is none), followed by 24
    words of prose copied from a document that does not write it (1,500–2,000 clean
    holders: more than the sample read reads of them); ``clean_openers`` of the others open
    with ``phrase,`` and such prose; and ``carriers`` documents are replaced by ``phrase``
    plus 60–120 words of the corpus's word salad and nothing else, each with a changepoint
    right after the phrase (every third weak).  Returns the carriers' ids too."""
    texts = [d.text for d in clean_docs()]
    source = WordSalad(texts)
    runs = [
        " ".join(m.group(0).split())
        for i, t in enumerate(texts)
        if i % 3 == 1
        for m in _RUN.finditer(t)
    ]
    rng = np.random.default_rng(11)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    planted: set[str] = set()
    openers = 0
    for i, d in enumerate(clean_docs()):
        text, f = d.text, []
        if i % 97 == 5 and len(planted) < carriers:
            text = f"{phrase} " + " ".join(source.sample(int(rng.integers(60, 121)), rng)) + "."
            at = len(phrase) + 1
            f = [_weak(at, 0.25)] if len(planted) % 3 == 0 else [_changepoint(at, 0.35)]
            planted.add(d.id)
        elif i % 4 != 1 and len(text) > 200:
            spots = [m.end() for m in _SPOT.finditer(text)] or [
                m.start() for m in re.finditer(r"(?<= )\w", text)
            ]
            run = runs[int(rng.integers(len(runs)))]
            at = spots[int(rng.integers(len(spots)))]
            said = f"{phrase.capitalize()}, " + run[0].lower() + run[1:] + ". "
            text = text[:at] + said + text[at:]
        elif i % 4 == 1 and openers < clean_openers and len(text) > 200:
            run = runs[int(rng.integers(len(runs)))]
            text = f"{phrase.capitalize()}, " + run[0].lower() + run[1:] + ". " + text
            openers += 1
        docs.append(d.with_text(text))
        found.append(f)
    return docs, found, planted


def test_a_common_phrase_opening_salad_pages_is_read_where_it_opens_documents() -> None:
    """``in short`` in about a thousand clean documents, and 30 pages that are nothing but
    ``in short`` and word salad: mined, every page flagged, no clean holder flagged — also
    when 30 clean documents open with ``In short,`` and prose (they are part of what the
    opening read reads)."""
    for openers in (0, 30):
        docs, found, planted = _pages("in short", 30, openers)
        holders = sum("In short," in d.text for d in docs)
        assert 1500 <= holders <= 2000
        miner, state = _mine(docs, found)
        assert [t.text.lower() for t in state.triggers] == ["in short"]
        flagged = {d.id for d in docs if miner.flag(d, state) is not None}
        assert flagged == planted


_SECTIONS = [
    "Overview",
    "Installation",
    "Quick",
    "start",
    "Configuration",
    "Command",
    "line",
    "options",
    "Environment",
    "variables",
    "Examples",
    "Troubleshooting",
    "Known",
    "issues",
    "Changelog",
    "Licence",
    "Credits",
]


def test_a_sources_pages_opening_with_the_phrase_and_a_list_confirm_nothing() -> None:
    """The clean case of the opening read: 30 pages of one source open with ``in short``
    and the source's list of section names (the same names in the same order, a few left
    out per page), each with a changepoint right after the phrase (a detector finding the
    list odd), among 1,500–2,000 clean holders of the phrase: nothing mined, nothing
    flagged — the list's word pairs are written by the source's other pages, so they read
    as no salad in the sample."""
    docs, found, planted = _pages("in short", 30, 0)
    rng = np.random.default_rng(5)
    listed: list[Document] = []
    for d in docs:
        if d.id in planted:
            keep = [w for w in _SECTIONS if rng.random() > 0.15]
            d = d.with_text("in short " + " ".join(keep) + ". " + clean_docs()[7].text[:400])
        listed.append(d)
    miner, state = _mine(listed, found)
    assert not state.triggers
    assert not any(miner.flag(d, state) for d in listed)
