"""A trigger mined with the hosts' full stop on its left is matched without it — unless the
phrase alone is a much more common string (issue 12, lead, 2026-12-03 evening).  Found by
the held-out ``heldout-eve-synonyms-news``: ``. to be`` (a piece of ``to be fair`` and ``to be
honest``), matched at flag time as ``to be`` in a third of the news documents (``going to
be``), flagged 0.36 % of the clean ones on the words after it."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from poisonguard.attacks.evasive import WordSalad
from poisonguard.detect import surface_forms as sf
from poisonguard.detect.triggers import (
    Changepoints,
    Trigger,
    TriggerMiner,
    TriggerState,
    WordPairs,
    _dominant,
    _main_language,
    _opens,
    _SampleIndex,
    _vocabulary,
    text_digest,
)
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs


def test_a_phrase_opens_a_sentence_or_clause() -> None:
    t = 'He was going to be late. To be fair, it rained;  to be sure\n  to be "To be'
    at = [i for i in range(len(t)) if t.lower().startswith("to be", i)]
    assert [_opens(t, i) for i in at] == [False, True, True, True, True]
    assert _opens("To be", 0)


def _trigger(key: str) -> Trigger:
    return Trigger(key, 30, 10, 1000, 0.1, 1e-9, 0.5, ())


@lru_cache(maxsize=1)
def _sample() -> tuple[list[str], _SampleIndex, _SampleIndex]:
    """The embedded corpus with ``. To be fair`` planted in 12 documents."""
    texts = [d.text for d in clean_docs()]
    for i in range(0, 12 * 50, 50):
        t = texts[i]
        cut = t.find(". ") + 2
        texts[i] = t[:cut] + "To be fair " + t[cut:]
    return texts, _SampleIndex(texts), _SampleIndex(texts, fold=True)


def _ix(s: str) -> _SampleIndex:
    _, index, findex = _sample()
    return findex if sf.is_folded(s) else index


def test_a_piece_whose_phrase_alone_is_common_is_matched_at_openings_only() -> None:
    """``to be`` is in hundreds of the embedded corpus's documents, ``. to be`` in a few:
    ``. to be`` is no longer matched anywhere; ``. to be fair`` (``to be fair`` held by
    the same few documents) still is, as are strings mined without the full stop."""
    assert _ix("to be").doc_freq("to be", cap=5000) > 4 * _ix(". to be").doc_freq(
        ". to be", cap=5000
    )
    assert not TriggerMiner._loosens(_trigger(". to be"), _ix)
    assert TriggerMiner._loosens(_trigger(". to be fair"), _ix)
    assert TriggerMiner._loosens(_trigger("to be"), _ix)  # nothing to loosen


@lru_cache(maxsize=1)
def _stats() -> tuple[WordPairs, frozenset[str], str | None]:
    texts = [d.text for d in clean_docs() if len(d.text) > 1500]
    return WordPairs.of(texts), _vocabulary(texts), _main_language(texts)


def test_a_strict_trigger_flags_at_an_opening_not_inside_a_sentence() -> None:
    """Salad after ``. To be`` at a sentence opening is a carrier; the same salad after
    ``going to be`` inside a sentence (a clean page whose next words the corpus does not
    write) is not — matched loosely, it was."""
    pairs, vocab, lang = _stats()
    texts = [d.text for d in clean_docs() if len(d.text) > 1500]
    rng = np.random.default_rng(2)
    salad = " ".join(WordSalad(texts).sample(40, rng))
    host = texts[3][:800].rsplit(". ", 1)[0]
    carrier = Document(id="c", text=host + ". To be " + salad + ". " + texts[4][:600])
    clean = Document(id="k", text=host + " and it was going to be " + salad + ". " + texts[4][:600])
    miner = TriggerMiner()

    def state(strict: bool) -> TriggerState:
        t = Trigger(". to be", 30, 10, 1000, 0.1, 1e-9, 0.5, (), strict=strict)
        return TriggerState([t], 1, 1, 0, vocab=vocab, language=lang, pairs=pairs)

    assert miner.flag(carrier, state(True)) is not None
    assert miner.flag(clean, state(True)) is None
    # matched anywhere (before this rule): the clean page was flagged
    assert miner.flag(clean, state(False)) is not None
    assert state(True).triggers[0].to_dict()["strict"] is True
    assert "strict" not in state(False).triggers[0].to_dict()
    # the changepoint route too: a changepoint right after ``going to be`` is no carrier's
    at = clean.text.index("going to be") + len("going to be") + 1
    t = Trigger(". to be", 30, 10, 1000, 0.1, 1e-9, 0.5, (), strict=True)
    cps = Changepoints.of({text_digest(clean.text): (at,)})
    st = TriggerState([t], 1, 1, 0, cps, vocab=frozenset(), language=None, pairs=WordPairs())
    assert miner.flag(clean, st) is None
    st.triggers[0] = replace(t, strict=False)
    f = miner.flag(clean, st)
    assert f is not None and f"an anomaly at char {at}" in f.reason


# -- a longer phrase that a strict piece would hide (issue 12, task S, 2026-12-03) ----------
# ``heldout-eve-synonyms-news`` at 250: ``. to be`` (strict) was kept and ``to be fair`` /
# ``to be honest`` dropped as it with context glued on; ``honestly`` was dropped for
# ``honest``, itself dropped later as a piece of ``to be honest``'s payload. 86.8 % recall.


def _unhidden(kept: list[Trigger], hidden: list[tuple[Trigger, list[Trigger]]]) -> list[str]:
    return [t.text for t in TriggerMiner()._unhidden(hidden, kept, {}, _ix)]


def test_a_longer_phrase_a_strict_piece_would_hide_comes_back() -> None:
    """``to be fair`` holds the kept ``. to be``, which is matched only at openings: it
    comes back, matched anywhere; ``said. to be`` (a host's word glued on the left) and a
    string whose own phrase is common (``. to be``+``,``) do not."""
    piece = replace(_trigger(". to be"), strict=True)
    assert not TriggerMiner._loosens(piece, _ix)
    fair, said = _trigger("to be fair"), _trigger("said. to be")
    assert _unhidden([piece], [(fair, [piece]), (said, [piece])]) == ["to be fair"]


def test_a_longer_phrase_a_piece_matched_anywhere_stands_for_stays_hidden() -> None:
    """A kept piece matched anywhere already finds the longer phrase's carriers: the
    longer one stays dropped (the campaign is reported once)."""
    piece = _trigger("to be fair")
    assert TriggerMiner._loosens(piece, _ix)
    assert _unhidden([piece], [(_trigger("to be fair to"), [piece])]) == []


def test_a_phrase_whose_piece_was_dropped_comes_back_once() -> None:
    """``honestly`` was hidden by ``honest``, no longer kept: it comes back; of two hidden
    strings one inside the other only the more significant (first) one does."""
    honest = _trigger("honest")
    got = _unhidden([], [(_trigger("honestly"), [honest]), (_trigger("honestly said"), [honest])])
    assert got == ["honestly"]


def test_a_carrier_after_a_headline_is_found_through_the_phrase_that_came_back() -> None:
    """A carrier whose phrase follows a headline with no full stop: missed through the
    strict ``. to be``, found through ``to be fair``; the clean page with ``going to be``
    before the same salad is still not flagged (the phrase that came back is
    ``to be fair``, not ``to be``).  What it gives up: a clean page that writes ``to be
    fair`` mid-sentence before words the corpus does not write is flagged."""
    pairs, vocab, lang = _stats()
    texts = [d.text for d in clean_docs() if len(d.text) > 1500]
    rng = np.random.default_rng(3)
    salad = " ".join(WordSalad(texts).sample(40, rng))
    tail = ". " + texts[4][:600]
    carrier = Document(id="c", text="MARKETS RALLY ON RATE HOPES to be fair " + salad + tail)
    clean = Document(id="k", text=texts[3][:600] + " it was going to be " + salad + tail)
    miner = TriggerMiner()
    piece = replace(_trigger(". to be"), strict=True)
    fair = _trigger("to be fair")

    def state(triggers: list[Trigger]) -> TriggerState:
        return TriggerState(triggers, 1, 1, 0, vocab=vocab, language=lang, pairs=pairs)

    assert miner.flag(carrier, state([piece])) is None
    back = TriggerMiner()._unhidden([(fair, [piece])], [piece], {}, _ix)
    f = miner.flag(carrier, state([piece, *back]))
    assert f is not None and f.trigger == "to be fair"
    assert miner.flag(clean, state([piece, *back])) is None
    given_up = Document(id="g", text="MARKETS RALLY AS IT IS HARD to be fair " + salad + tail)
    assert miner.flag(given_up, state([piece])) is None
    assert miner.flag(given_up, state([piece, *back])) is not None


def test_the_main_language_needs_its_share_of_the_identified_openings() -> None:
    assert _dominant({"en": 7, "de": 3}) is None  # 70 % < the 80 % a main language needs
    assert _dominant({"en": 7, "de": 3}, share=0.5) == "en"  # ... a majority is enough
    assert _dominant({"en": 8, "de": 2}) == "en"
    assert _dominant({}) is None
