"""A trigger, a few host words (a spacer), then a short payload (issue 12, lead, 2026-12-07
twelfth session).  Found by the held-out ``heldout-blizzard-salad-end-synonyms2-spacer-
interleave5-books`` (three phrasings, five to nine host words, then salad in five chunks,
100 among 20,000 novels: 65 %): the payload's changepoints are weak and lie a few words
after the phrase, so ``frankly speaking`` was counted at three of its 33 carriers, never
read in the sample, and its carriers stayed clean; and the flag pass's spread test asked
the salad to start within the first 16 words after the trigger."""

from __future__ import annotations

import numpy as np
import pytest

import poisonguard.detect.triggers as triggers
from poisonguard.detect.base import Finding
from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import Context, TriggerMiner, _salad_after
from poisonguard.io import Document
from tests.detect.test_triggers import (
    _after_phrase,
    _mine,
    _salad_campaign,
    _salad_setting,
)

_HOST = "The mill closed in March, and "
_SPACER = "the workers of the valley gathered by the gate "
_PAYLOAD = "orbit lantern cobalt ferry velvet quarry mango ribbon"


def _weak_candidates(text: str) -> dict[str, Context]:
    """The candidates a weak changepoint at the payload's start gives."""
    out: dict[str, Context] = {}
    TriggerMiner()._aligned_candidates(Document("d", text), text.index(_PAYLOAD), out)
    return out


def test_a_phrase_a_few_host_words_before_a_weak_changepoint_is_counted() -> None:
    """``quite frankly`` ends 46 characters before the weak changepoint: counted (weak,
    an example only where salad follows), as its pieces of two words are; one word that
    far (``frankly``) is not — a word stands a few words before any changepoint of a
    corpus; nor is a phrase beyond ``_NEAR_BEFORE``."""
    text = _HOST + "quite frankly " + _SPACER + _PAYLOAD + " and the rest of the day."
    got = _weak_candidates(text)
    assert "quite frankly" in got and got["quite frankly"].weak
    assert "frankly" not in got and "quite" not in got
    # the words right at the changepoint are candidates, as before
    assert "by the gate" in got
    far = _HOST + "quite frankly " + _SPACER * 2 + _PAYLOAD
    assert "quite frankly" not in _weak_candidates(far)


def _spaced_campaign(salad: bool) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """Every 40th embedded document with ``All things considered``, the next four words of
    its own text (a spacer that differs from host to host), then 60 words of the corpus's
    word salad (``salad=False``: of another document's prose) and the host again; each
    carrier has a weak finding only, at the payload's start (never at the phrase)."""
    docs, found = _salad_campaign(
        opening=False, words=60, salad=salad, phrase="All things considered", spacer=4
    )
    return docs, found, {d.id for d, f in zip(docs, found, strict=True) if f}


def test_spaced_contexts_are_counted_apart() -> None:
    """A phrase a few host words before a weak changepoint is no part of the counts (their
    significance test is unchanged), and a document with nothing else before its weak
    changepoint is no anomalous document of the counts: a source's boilerplate sentence
    before its odd-looking list (a drug page's "... to carry with you in case of
    emergencies." before its brand names) was confirmed by the alignment test in 14 pages
    of the pooled corpus when such contexts were counted."""
    docs, found, _ = _spaced_campaign(salad=True)
    part = TriggerMiner().map_shard_findings(docs, found)
    assert part.near_counts.get("all things considered", 0) >= 10
    assert "all things considered" not in part.counts
    assert "all things considered" in part.near_contexts
    # (the screen's chance rate is read over every document with a spaced context)
    assert part.near_docs >= part.near_counts["all things considered"]


def test_a_phrase_a_spacer_before_salad_is_mined_by_the_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every carrier's finding is weak and lies four host words after the phrase: nothing
    is counted at the phrase, so before this rule it was never read.  Its spaced contexts,
    with salad after most of them, point it to the sample read, which confirms it: most
    carriers flagged.  The same campaign with prose after the spacer mines nothing; so does
    the salad one without spaced contexts."""
    docs, found, carriers = _spaced_campaign(salad=True)
    assert len(carriers) >= 12
    miner, state = _mine(docs, found)
    assert "all things considered" in [fold(t.text) for t in state.triggers]
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    # (the flag pass's salad tests after the phrase; measured: 14 of 16, no other document)
    assert flagged <= carriers and len(flagged) >= 0.8 * len(carriers)
    prose, found_prose, _ = _spaced_campaign(salad=False)
    _, state = _mine(prose, found_prose)
    assert "all things considered" not in [fold(t.text) for t in state.triggers]
    monkeypatch.setattr(triggers, "_NEAR_BEFORE", 0)
    _, state = _mine(docs, found)
    assert "all things considered" not in [fold(t.text) for t in state.triggers]


def test_without_the_rule_the_phrase_is_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triggers, "_NEAR_BEFORE", 0)
    text = _HOST + "quite frankly " + _SPACER + _PAYLOAD
    assert "quite frankly" not in _weak_candidates(text)


def test_salad_spread_after_a_spacer_of_host_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thin salad (two frequent words every eight host words) after a spacer of ten host
    words: the first two windows of 12 words are mostly host text, so the spread test
    with its head read on them alone misses most carriers; read on the first four windows
    (24 words) it takes them (measured: 15 of 19 against 9).  The host's prose alone
    stays clean either way."""
    hosts, pairs, _ = _salad_setting()
    frequent = ["the", "of", "and", "a", "to", "in", "is", "that", "it", "for"]

    def found(head_windows: int) -> tuple[int, int]:
        monkeypatch.setattr(triggers, "_SPREAD_HEAD_WINDOWS", head_windows)
        hits = clean = 0
        for h in hosts[1:20]:
            prose = h[600:].split()
            rng = np.random.default_rng(3)
            words = prose[200:210]  # the spacer
            for i in range(0, 144, 8):
                words += [frequent[k] for k in rng.integers(0, 10, 2)] + prose[i : i + 8]
            text, occ = _after_phrase(h, " ".join(words))
            off = {"max_cohesion": -np.inf}
            hits += _salad_after(text, occ, pairs, 1.1, 0.25, spread=True, **off)[0] is not None
            plain, _ = _after_phrase(h, " ".join(prose[200:360]))
            clean += _salad_after(plain, occ, pairs, 1.1, 0.25, spread=True, **off)[0] is not None
        return hits, clean

    four, clean4 = found(4)
    two, clean2 = found(2)
    assert four >= two + 3 and clean4 == clean2 == 0, (four, two, clean4, clean2)
