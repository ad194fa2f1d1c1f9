"""Decoy copies of a trigger and word pieces cut by a changepoint (issue 12, the lead,
2026-12-05: ``heldout-rain-de-forms-decoys-multi``, a German phrase in every surface form
with three payload-free copies around the one before the payload)."""

from __future__ import annotations

from dataclasses import replace

from poisonguard.detect.naturalness import NaturalnessShift
from poisonguard.detect.triggers import Context, _host_recurring, _whole_words
from tests.detect.scan_data import clean_docs, mixed, poison
from tests.detect.test_triggers import _mine


def test_recurrence_is_read_where_the_corpus_has_no_anomaly() -> None:
    """A string recurring in its anomalous documents only (a trigger and its decoys) is no
    recurring text when the calm documents that hold it write it once; markup recurs in
    calm documents too; with too few calm documents the fallback decides."""
    calm = [True] * 10 + [False] * 10
    decoys = {**{d: 1 for d in range(6)}, **{d: 4 for d in range(10, 20)}}
    markup = {**{d: 7 for d in range(6)}, **{d: 9 for d in range(10, 20)}}
    assert not _host_recurring(decoys, calm, 5, 2.0, True)
    assert _host_recurring(markup, calm, 5, 2.0, False)
    alone = {d: 4 for d in range(10, 20)}  # only in anomalous documents
    assert _host_recurring(alone, calm, 5, 2.0, True)
    assert not _host_recurring(alone, calm, 5, 2.0, False)
    assert _host_recurring(None, calm, 5, 2.0, True)


def test_a_trigger_with_three_decoys_and_a_mild_payload_is_mined() -> None:
    """Attack: three payload-free copies of the trigger at other sentence starts of each
    carrier, in every surface form, so the phrase occurs four times in every carrier and
    once before its payload — the recurrence of markup, which a mild anomaly after one
    occurrence of many does not confirm (before the fix: only ``. by the`` mined, 12
    carriers). Word salad follows it in most examples: mined, and the carriers flagged."""
    samples = poison(
        "evasive-backdoor",
        80,
        11,
        trigger="by the same token",
        payload="word-salad",
        payload_words=(40, 90),
        decoys=3,
        trigger_forms="all",
    )
    docs = mixed(samples)
    det = NaturalnessShift().fit(docs)
    # mild anomalies, as the multilingual corpus's models score random tokens after a
    # German phrase (median 0.31 in the family): below the miner's ``header_score``
    findings = [[replace(f, score=0.3)] if (f := det.score(d)) is not None else [] for d in docs]
    miner, state = _mine(docs, findings)
    assert [t.key for t in state.triggers] == ["by the same token"]
    truth = {s.document.id for s in samples}
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged <= truth and len(flagged) >= 0.9 * len(truth)


def test_a_word_piece_is_not_a_run_of_whole_words() -> None:
    """``ganz`` cut from ``ganzen`` by a changepoint inside the word is a piece of a word in
    its examples (the aligned route needs whole words: matched alone it is found in
    ``ganz`` and ``ganze`` of clean text); ``im großen und ganzen`` before a payload is
    whole words."""

    def ctx(window: str, key: str) -> Context:
        s = window.index(key)
        return Context(window, s, s + len(key), key, "x", cp=s + len(key))

    pieces = [ctx(f"Satz {i}. im großen und ganzen Xq{i}", "ganz") for i in range(6)]
    whole = [ctx(f"Satz {i}. im großen und ganzen Xq{i}", "im großen und ganzen") for i in range(6)]
    assert not _whole_words(pieces)
    assert _whole_words(whole)


def test_clean_text_with_the_piece_is_not_flagged() -> None:
    """The clean side: documents writing a common phrase several times each (a manual's
    recurring sentence) with no anomaly after it stay unflagged whatever the decoy rule."""
    docs = list(clean_docs()[:800])
    phrase = "for more details see"
    extra = [
        d.with_text(" ".join([f"{phrase.capitalize()} the notes."] * 4) + " " + d.text)
        for d in clean_docs()[800:900]
    ]
    docs += extra
    det = NaturalnessShift().fit(docs)
    findings = [[f] if (f := det.score(d)) is not None else [] for d in docs]
    miner, state = _mine(docs, findings)
    assert not [t for t in state.triggers if phrase in t.key.lower()]
    flagged = {d.id for d in extra if miner.flag(d, state) is not None}
    assert len(flagged) <= 2
