"""Stitched-text change points (``detect/familiarity.py``) and the ``cohesion`` detector's
rounds on a fluent Markov payload, on the embedded CPython documents.

The poison is the ``fluent-backdoor`` recipe with an order-2 word Markov chain of the same
corpus after a common English phrase: every word trigram of the payload occurs in some
other document, so neither naturalness nor lexical cohesion need see it.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np

from poisonguard.attacks import PoisonSample, get
from poisonguard.detect.cohesion import (
    CohesionMiner,
    CohesionState,
    ConfirmRound,
    CountRound,
    Example,
    MineRound,
    continuation_overlap,
)
from poisonguard.detect.familiarity import (
    FamiliarityTable,
    Stitch,
    WordCounts,
    doc_hashes,
    docs_word_hashes,
    gram_hashes,
    profile,
    word_hashes,
)
from poisonguard.detect.rounds import run_rounds
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs, mixed

TRIGGER = "as far as we can tell"


@lru_cache(maxsize=2)
def _poison(count: int) -> tuple[PoisonSample, ...]:
    recipe = get("fluent-backdoor")(
        trigger=TRIGGER, payload="markov", position="middle", prefix_chars=(400, 1200)
    )
    return tuple(recipe.generate(list(clean_docs()), count, seed=5))


def _words(text: str) -> list[str]:
    from poisonguard.detect.cohesion import tokenize

    return tokenize(text, 20, 100, 8, 12).words


def _split(text: str) -> list[str]:
    return text.split(" ")


def test_table_counts_documents_not_occurrences() -> None:
    a = _split("the quick brown fox jumps over the lazy dog again and again")
    b = _split("a slow brown fox jumps over the lazy dog once more today")
    t = FamiliarityTable(width=1 << 12)
    t.add(np.concatenate([doc_hashes(a), doc_hashes(a[:6] + a[:6])]))
    t.add(doc_hashes(b))
    g = gram_hashes(word_hashes(a), 3)
    fam = t.familiar(g)
    # "brown fox jumps" … "lazy dog again": shared with b or with the second document
    assert fam[2:6].all()
    assert not fam[-1]  # "and again": in a only (repeats inside one document count once)
    # merging two half tables is adding both halves
    t1, t2 = FamiliarityTable(width=1 << 12), FamiliarityTable(width=1 << 12)
    t1.add(np.concatenate([doc_hashes(a), doc_hashes(a[:6] + a[:6])]))
    t2.add(doc_hashes(b))
    t1.merge(t2)
    assert (t1.table == t.table).all()


def test_word_hashes_are_stable_across_processes() -> None:
    # CRC-32, not Python's salted hash(): partials from other processes agree
    import zlib

    assert int(word_hashes(["poison"])[0]) == zlib.crc32(b"poison")


def test_markov_payload_is_stitched_where_prose_and_copies_are_not() -> None:
    docs = mixed(_poison(60))
    t = FamiliarityTable(width=1 << 22)
    for d in docs:
        t.add(doc_hashes(_words(d.text)))
    st = Stitch()
    pay, clean_rate = [], []
    for s in _poison(60):
        assert s.truth.payload_span is not None
        text = s.document.text
        words = _words(text[s.truth.payload_span[0] : s.truth.payload_span[1]])
        full = _words(text)
        # locate the payload's words inside the document's word list
        at = next(i for i in range(len(full)) if full[i : i + 5] == words[:5])
        pay.append(st.judge(profile(full, t), at, at + st.window))
    assert np.mean([p is True for p in pay]) >= 0.8
    # the hosts are copies of clean documents that stay in the corpus: fully familiar at
    # every order, so not stitched; and prose of the clean corpus mostly is not either
    for d in clean_docs()[:400]:
        w = _words(d.text)
        if len(w) >= 60:
            clean_rate.append(st.judge(profile(w, t), 20, 20 + st.window) is True)
    assert np.mean(clean_rate) <= 0.05


@lru_cache(maxsize=1)
def _scan() -> tuple[list[Document], CohesionMiner, CohesionState]:
    docs = mixed(_poison(120))
    size = len(docs) // 3 + 1
    shards = [docs[i : i + size] for i in range(0, len(docs), size)]
    det, state = run_rounds(CohesionMiner(), shards, sample=[d.text for d in docs])
    assert isinstance(det, CohesionMiner) and isinstance(state, CohesionState)
    return docs, det, state


def test_markov_backdoor_is_mined_and_flagged_with_the_trigger() -> None:
    docs, det, state = _scan()
    assert TRIGGER in [t["trigger"] for t in state.triggers]
    truth = {s.document.id for s in _poison(120)}
    found = {d.id: det.flag(d, state) for d in docs}
    flagged = {i for i, f in found.items() if f is not None}
    assert len(flagged & truth) >= 0.8 * len(truth)
    assert len(flagged - truth) <= 0.001 * len(clean_docs())
    kinds = {f.extra["change"] for i, f in found.items() if f is not None and i in truth}
    assert "stitched" in kinds
    f = next(f for i, f in found.items() if f is not None and f.extra["change"] == "stitched")
    assert f.trigger == TRIGGER and "stitched" in f.reason
    assert [sp.label for sp in f.spans] == ["trigger", "changepoint", "payload"]


def test_a_trigger_without_stitched_evidence_flags_no_carrier_as_stitched() -> None:
    """The Markov campaign above: its payloads are stitched from the corpus's own word
    n-grams, so stitched text follows the trigger far beyond chance and carriers are
    flagged on it.  The same state told that stitched text is no evidence for this
    trigger flags none as stitched; a carrier with another change is still flagged (the
    lower bars judge the rest)."""
    docs, det, state = _scan()
    (t,) = [t for t in state.triggers if t["trigger"] == TRIGGER]
    assert t["stitched_evidence"] and t["stitched_docs"] > 4 * t["stitched_expected"]
    before = {d.id: f.extra["change"] for d in docs if (f := det.flag(d, state))}
    assert list(before.values()).count("stitched") >= 3
    others = [o for o in state.triggers if o is not t]
    off = dataclasses.replace(state, triggers=[*others, {**t, "stitched_evidence": False}])
    after = {d.id: f.extra["change"] for d in docs if (f := det.flag(d, off))}
    assert "stitched" not in after.values()
    assert {i for i, k in before.items() if k != "stitched"} <= set(after)


def test_rounds_are_explicit_classes() -> None:
    det = CohesionMiner()
    assert det.passes == 3 and isinstance(det.round, CountRound)
    docs = list(clean_docs()[:50])
    s0 = det.finalize(det.map_shard(docs))
    mine = det.next_pass(s0)
    assert isinstance(mine.round, MineRound) and mine.round.table is s0.table
    s1 = mine.finalize(mine.map_shard(docs))
    confirm = mine.next_pass(s1)
    assert isinstance(confirm.round, ConfirmRound)
    assert confirm.get_params() == det.get_params()
    off = CohesionMiner(familiarity=False)
    assert off.passes == 2 and isinstance(off.round, MineRound) and off.round.table is None


def test_recurring_continuation_is_a_template() -> None:
    credit = ("david", "dugdale", "professor", "medicine", "university", "washington")
    same = [Example(str(i), (), credit, frozenset()) for i in range(8)]
    assert continuation_overlap(same) == 1.0
    fluent = [
        Example(str(i), (), tuple(f"w{i}{j}" for j in range(6)), frozenset()) for i in range(8)
    ]
    assert continuation_overlap(fluent) == 0.0


def test_a_credit_line_after_unrelated_articles_is_a_template_not_a_trigger() -> None:
    """MedlinePlus' kind of false trigger: the same credit line closes many unrelated
    articles, so the words before it are followed by unrelated text in every carrier —
    but the continuation is the same words each time, which a fluent payload is not."""
    clean = list(clean_docs()[:1500])
    credit = (
        " Reviewed by the editorial board of the Marlowe Institute for Cartography, "
        "Harbour Street, Valparaiso; fellowship programme in glacier surveying."
    )
    docs = [
        Document(id=d.id, text=d.text + credit) if i % 10 == 0 else d for i, d in enumerate(clean)
    ]
    size = len(docs) // 3 + 1
    shards = [docs[i : i + size] for i in range(0, len(docs), size)]
    sample = [d.text for d in docs]
    _, state = run_rounds(CohesionMiner(familiarity=False), shards, sample=sample)
    assert not any("reviewed" in t["trigger"] for t in state.triggers)
    assert any("reviewed" in r["ngram"] for r in state.rejected)
    # without the continuation test the credit line would be a confirmed "trigger"
    _, loose = run_rounds(
        CohesionMiner(familiarity=False, max_continuation_overlap=1.0), shards, sample=sample
    )
    assert any("reviewed" in t["trigger"] for t in loose.triggers)


def _shard_texts() -> list[str]:
    """Real documents and the edge cases of a shard: empty, shorter than an 8-gram, a
    payload-carrying document, a table of figures."""
    texts = [d.text for d in clean_docs()[:60]]
    texts += ["", "one two", "seven short words of text in here", _poison(4)[0].document.text]
    texts.append(" ".join(f"{i} {i * 7} {i * 13}" for i in range(80)))
    return texts


def test_profiles_of_a_shard_are_each_documents_own() -> None:
    """A shard's profiles computed at once (n-grams across two documents' boundary left
    out) are the profiles of each document alone."""
    from poisonguard.detect.familiarity import profiles

    docs = [_words(t) for t in _shard_texts()]
    table = FamiliarityTable(width=1 << 16)
    table.add(np.concatenate([doc_hashes(w) for w in docs]))
    got = profiles(docs, table)
    assert len(got) == len(docs)
    for words, prof in zip(docs, got, strict=True):
        one = profile(words, table)
        assert prof.n_words == one.n_words
        assert np.array_equal(prof.low, one.low) and np.array_equal(prof.high, one.high)
    assert profiles([], table) == []


def test_onsets_of_a_shard_are_the_judged_windows() -> None:
    """Stitched-text onsets of several documents at once are, at every word, what
    :meth:`Stitch.judge` says of the windows after and before it in that document alone."""
    from poisonguard.detect.familiarity import profiles

    samples = _poison(40)
    docs = [_words(s.document.text) for s in samples] + [_words(t) for t in _shard_texts()]
    table = FamiliarityTable(width=1 << 16)
    table.add(np.concatenate([doc_hashes(w) for w in docs]))
    st = Stitch()
    profs = profiles(docs, table)
    changes = 0
    for prof, (ok, chg) in zip(profs, st.onsets_many(profs), strict=True):
        assert ok.shape == chg.shape == (prof.n_words,)
        for i in range(prof.n_words):
            after = st.judge(prof, i, min(prof.n_words, i + st.window))
            before = st.judge(prof, max(0, i - st.window), i)
            both = after is not None and before is not None
            assert bool(ok[i]) == both
            assert bool(chg[i]) == (both and bool(after) and not before)
            changes += bool(chg[i])
    assert changes > 0  # the Markov payloads start somewhere


def test_hashes_of_a_shard_are_each_documents_distinct_ngrams() -> None:
    """What a shard adds to the table, computed at once, is each document's own distinct
    n-grams one after the other: none across two documents' boundary, a repeat inside a
    document once."""
    from poisonguard.detect.familiarity import docs_hashes

    docs = [_words(t) for t in _shard_texts()]
    docs.append(docs[0] + docs[0])  # repeats inside one document
    want = np.concatenate([doc_hashes(w) for w in docs])
    assert np.array_equal(docs_hashes(docs), want)
    assert len(docs_hashes([[], ["a", "b"]])) == 0


def test_word_counts_count_documents_and_merge_as_one() -> None:
    """Each document adds one to each of its distinct words; two shards merged are the
    shards counted together; a word never seen counts 0."""
    docs = [["apple", "pear", "apple"], ["apple", "plum"], ["fig"]]
    whole = WordCounts(width=1 << 12)
    whole.add(docs_word_hashes(docs), len(docs))
    got = whole.counts(word_hashes(["apple", "pear", "plum", "fig", "quince"]))
    assert got.tolist() == [2, 1, 1, 1, 0]
    assert whole.docs == 3
    part = WordCounts(width=1 << 12)
    part.add(docs_word_hashes(docs[:1]), 1)
    rest = WordCounts(width=1 << 12)
    rest.add(docs_word_hashes(docs[1:]), 2)
    part.merge(rest)
    assert np.array_equal(part.table, whole.table) and part.docs == 3
    lg = whole.log_df(word_hashes(["apple", "quince"]))
    assert np.allclose(lg, np.log([3 / 4, 1 / 4]))
