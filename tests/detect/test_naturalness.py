"""Naturalness shift on real text with real poison (dos, dos-bytes, word salad) and on
clean text that looks odd (code, tables, lists, other languages)."""

from __future__ import annotations

import itertools
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from poisonguard.detect.naturalness import BigramModel, NaturalnessShift, fold
from poisonguard.io import CorpusReader, Document
from tests.detect.scan_data import clean_docs, mixed, poison, word_tokenizer


@lru_cache(maxsize=4)
def fitted(recipe: str = "dos") -> NaturalnessShift:
    """Fitted like a scan does: on the corpus itself, poison included."""
    return NaturalnessShift().fit(mixed(poison(recipe, 250)))


def _flag_rate(det: NaturalnessShift, docs: list[Document]) -> float:
    hits = [f for d in docs if (f := det.score(d)) is not None and f.score >= det.min_flag_score]
    return len(hits) / len(docs)


@pytest.mark.parametrize("recipe", ["dos", "dos-bytes"])
def test_gibberish_is_found_with_its_changepoint(recipe: str) -> None:
    det = fitted(recipe)
    samples = poison(recipe, 250)
    near = 0
    for s in samples:
        f = det.score(s.document)
        assert f is not None, f"{s.document.id} not detected"
        assert f.score >= det.min_flag_score
        start = s.truth.trigger_span[0]
        # a changepoint sits at the trigger (the refined one, or where the stretch of
        # excess surprise starts): that is where the trigger miner looks
        cps = [sp.start for sp in f.spans if sp.label == "changepoint"]
        assert f.extra["changepoint"] in cps
        if any(-60 <= cp - start <= 30 for cp in cps):
            near += 1
        payload = next(sp for sp in f.spans if sp.label == "payload")
        assert payload.end > s.truth.payload_span[0]
    assert near >= 0.97 * len(samples)


def test_word_salad_of_real_words(tmp_path: Path) -> None:
    tok = word_tokenizer(tmp_path / "words.json", clean_docs())
    samples = poison("dos", 250, 1, tokenizer=tok, payload_tokens=(100, 400))
    text = samples[0].document.text
    payload = text[samples[0].truth.payload_span[0] :][:200]
    assert all(w.isalpha() for w in payload.split()[:20])  # real words, no gibberish chars
    det = NaturalnessShift().fit(mixed(samples))
    found = [det.score(s.document) for s in samples]
    assert sum(f is not None and f.score >= det.min_flag_score for f in found) >= 0.99 * 250


def test_clean_odd_text_is_rarely_flagged() -> None:
    det = fitted("dos")
    docs = list(clean_docs())
    rate = _flag_rate(det, docs)
    assert rate <= 0.01, rate
    # code, tables and lists are a large part of this corpus: they must not stand out
    odd = [
        d
        for d in docs
        if d.text.count("    ") > 10
        or d.text.count("|") > 5
        or d.text.count("\n* ") + d.text.count("\n- ") > 5
    ]
    assert len(odd) > 200
    assert _flag_rate(det, odd) <= 0.02


def test_scores_are_deterministic_and_short_text_is_ignored() -> None:
    det = fitted("dos")
    doc = poison("dos", 250)[0].document
    a, b = det.score(doc), det.score(doc)
    assert a is not None and b is not None and a.to_dict() == b.to_dict()
    assert det.score(Document(id="s", text="Too short to judge.")) is None
    with pytest.raises(RuntimeError, match="fit"):
        NaturalnessShift().score(doc)


def test_model_handles_case_folding_that_changes_length() -> None:
    det = fitted("dos")
    sample = poison("dos", 250)[3]
    text = "İstanbul İzmir " + sample.document.text
    assert len(fold(text)) != len(text)
    f = det.score(sample.document.with_text(text))
    assert f is not None
    start = sample.truth.trigger_span[0] + len("İstanbul İzmir ")
    assert -60 <= f.extra["changepoint"] - start <= 30  # offsets into the original text


def test_bigram_model_prefers_natural_order() -> None:
    m = BigramModel.fit([d.text for d in clean_docs()[:2000]])
    natural = ["return", "a", "new", "list", "of", "the", "items", "in", "the", "sequence"]
    salad = ["sequence", "the", "list", "items", "return", "new", "a", "in", "of", "the"]
    assert m.surprise_of_tokens(natural).mean() < m.surprise_of_tokens(salad).mean()


def test_clean_web_news_books_and_multilingual(shared_corpora: Path) -> None:
    """Odd-but-clean text of real corpora (foreign passages, headlines, manual pages)
    rarely reaches the trigger-mining candidate level; the flag level comes from the
    calibration in the pipeline (see test_pipeline)."""
    for name in ("web", "news", "books", "multilingual"):
        docs = list(
            itertools.islice(
                CorpusReader(shared_corpora / f"{name}.jsonl.gz").documents(), 0, 13500, 9
            )
        )
        det = NaturalnessShift().fit(docs)
        gains = np.array([f.extra["gain"] if (f := det.score(d)) else 0.0 for d in docs])
        assert np.median(gains) == 0.0, name
        assert (gains >= det.candidate_gain).mean() <= 0.05, name


def test_bigram_count_table_matches_a_sorted_search() -> None:
    """The hash table of bigram counts gives exactly what a binary search of the sorted
    keys gives (present keys, absent keys, collisions)."""
    from poisonguard.text.bigram import _CountTable

    rng = np.random.default_rng(1)
    keys = np.unique(rng.integers(0, 10**9, size=5000))
    counts = rng.integers(2, 100, size=len(keys))
    table = _CountTable(keys, counts)
    queries = np.concatenate([keys, rng.integers(0, 10**9, size=5000), keys[:7] + 1])
    pos = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    expected = np.where(keys[pos] == queries, counts[pos], 0)
    assert np.array_equal(table.get(queries), expected)
    assert np.array_equal(_CountTable(keys[:0], counts[:0]).get(queries), 0 * queries)


def test_score_batch_equals_score() -> None:
    det = fitted("dos")
    docs = mixed(poison("dos", 250))[:300]
    batch = det.score_batch(docs)
    assert sum(f is not None for f in batch) > 10
    assert batch == [det.score(d) for d in docs]


def test_segment_character_offsets_are_those_of_its_tokens() -> None:
    """The stretch's character offsets are the start of its first token, the end of its
    last and the start of the token where excess surprise begins, counted over every
    token of the text (folded when folding keeps the length): the offsets taken from the
    first ``tok_end`` matches only (task J) equal a full enumeration."""
    from poisonguard.text import TOKEN_RE

    det = fitted("dos")
    docs = [s.document for s in poison("dos", 60)] + [s.document for s in poison("dos-bytes", 30)]
    checked = 0
    for d in docs:
        seg = det.segment(d.text)
        if seg is None or seg.char_start < 0:
            continue
        text = d.text[: det.max_chars]
        folded = fold(text)
        spans = [m.span() for m in TOKEN_RE.finditer(folded if len(folded) == len(text) else text)]
        assert seg.char_start == spans[seg.tok_start][0]
        assert seg.char_end == spans[seg.tok_end - 1][1]
        assert seg.alt_start in {s for s, _ in spans[: seg.tok_end]}
        checked += 1
    assert checked >= 80


def _running_argmin(a: np.ndarray) -> np.ndarray:
    """Index of the running minimum of ``a`` (first occurrence), vectorised: what ``_best``
    computed before it took one entry of it by ``np.argmin``."""
    idx = np.arange(len(a))
    is_new_min = np.concatenate(([True], a[1:] < np.minimum.accumulate(a)[:-1]))
    return np.maximum.accumulate(np.where(is_new_min, idx, 0))


def test_first_minimum_of_a_prefix_is_the_running_argmin() -> None:
    """``_best`` takes ``np.argmin(head[: j + 1])`` for ``_running_argmin(head)[j]`` (the
    first occurrence of the prefix's minimum), ties and plateaus included."""
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 40, 300):
        for a in (rng.normal(size=n).cumsum(), rng.integers(0, 3, size=n).astype(float)):
            run = _running_argmin(a)
            assert [int(np.argmin(a[: j + 1])) for j in range(n)] == run.tolist()


def test_mean_helper_equals_numpy_mean_bit_for_bit() -> None:
    """``_mean`` (np.add.reduce / count) is np.mean's value exactly, pairwise sums of long
    arrays and views included."""
    from poisonguard.detect.naturalness import _mean

    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 7, 8, 9, 127, 128, 129, 1000, 5001):
        a = rng.gamma(2.0, 3.0, size=n) * rng.choice([1e-3, 1.0, 1e3])
        assert _mean(a) == float(a.mean())
        assert _mean(a[n // 3 :]) == float(a[n // 3 :].mean())


def test_a_short_stretch_of_gibberish_is_sharp_but_no_candidate() -> None:
    """A ``dos`` payload cut to its first 20 words: too short for a trigger-mining
    candidate (gain under ``candidate_gain``), yet as odd as random tokens — *sharp*
    (``extra["sharp"]``), never *intense*; clean documents are rarely sharp."""
    det = fitted("dos")
    sharp = 0
    for s in poison("dos", 250)[:40]:
        text = s.document.text
        a, b = s.truth.payload_span
        f = det.score(s.document.with_text(text[:a] + " ".join(text[a:b].split()[:20]) + text[b:]))
        if f is not None:
            assert not f.extra["candidate"] and not f.extra["intense"]
            sharp += f.extra["sharp"]
    assert sharp >= 10
    found = [det.score(d) for d in clean_docs()[:1000]]
    assert sum(f is not None and f.extra["sharp"] for f in found) <= 3
