"""``evasive-backdoor`` (night red team, issue 12): every knob does what it says, exactly."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from poisonguard.attacks import PoisonSample, RecipeError, get
from poisonguard.attacks.evasive import chunks, insertion_point
from poisonguard.attacks.fluent import sentence_starts
from poisonguard.io import Document, record_to_document

TRIGGER = "at the same time"


def _make(docs: list[Document], count: int = 12, seed: int = 3, **kw: object) -> list[PoisonSample]:
    return get("evasive-backdoor")(**kw).generate(docs, count, seed)


def _check_spans(samples: list[PoisonSample]) -> None:
    for s in samples:
        text, t = s.document.text, s.truth
        a, b = t.trigger_span
        assert text[a:b] == t.trigger
        p0, p1 = t.payload_span
        assert b <= p0 < p1 <= len(text)
        chunks_ = t.extra["payload_spans"]
        assert chunks_[0][0] == p0 and chunks_[-1][1] == p1
        for x, y in chunks_:
            assert text[x:y].strip() == text[x:y] and text[x:y]
        assert record_to_document(s.document.to_record(), default_id="x").text == text


def test_default_is_sentence_start_then_payload(docs: list[Document]) -> None:
    samples = _make(docs)
    _check_spans(samples)
    for s in samples:
        a, b = s.truth.trigger_span
        p0 = s.truth.payload_span[0]
        assert p0 == b + 1  # no spacer: the payload follows right after one space
        assert a in sentence_starts(s.document.text) or a > 0


def test_deterministic_and_seed_sensitive(docs: list[Document]) -> None:
    kw = {"spacer_words": (2, 5), "interleave": 3, "decoys": 2}
    a, b, c = _make(docs, **kw), _make(docs, **kw), _make(docs, seed=4, **kw)
    assert [s.truth.to_dict() for s in a] == [s.truth.to_dict() for s in b]
    assert [s.document.text for s in a] != [s.document.text for s in c]


def test_spacer_puts_host_words_between_trigger_and_payload(docs: list[Document]) -> None:
    samples = _make(docs, spacer_words=(4, 10))
    _check_spans(samples)
    for s in samples:
        t, text = s.truth, s.document.text
        x, y = t.extra["spacer_span"]
        assert x == t.trigger_span[1] + 1 and t.payload_span[0] == y + 1
        words = text[x:y].split()
        assert 1 <= len(words) <= 10
        assert " ".join(words) in " ".join(docs_text(docs, s.truth.source_id).split())
        assert t.payload_span[0] - t.trigger_span[1] > 8  # past the alignment window


def docs_text(docs: list[Document], doc_id: str | None) -> str:
    return next(d.text for d in docs if d.id == doc_id)


def test_glued_trigger_sits_inside_a_word(docs: list[Document]) -> None:
    samples = _make(docs, trigger="vorpalix", placement="glued")
    _check_spans(samples)
    for s in samples:
        text, (a, b) = s.document.text, s.truth.trigger_span
        assert text[a - 1].isalpha()  # glued to the letters of a host word
        assert s.truth.payload_span[0] == b  # and the payload to the trigger


def test_clause_trigger_is_not_at_a_sentence_start(docs: list[Document]) -> None:
    samples = _make(docs, placement="clause")
    _check_spans(samples)
    inside = 0
    for s in samples:
        src = docs_text(docs, s.truth.source_id)
        a = s.truth.trigger_span[0]
        inside += a not in sentence_starts(s.document.text) and src[:a].rstrip() != ""
    assert inside >= len(samples) - 1


def test_opening_trigger_starts_the_document(docs: list[Document]) -> None:
    samples = _make(docs, placement="opening")
    _check_spans(samples)
    assert all(s.truth.trigger_span[0] == 0 for s in samples)


def test_interleave_alternates_payload_chunks_and_host_sentences(docs: list[Document]) -> None:
    samples = _make(docs, payload="word-salad", payload_words=(60, 90), interleave=5)
    _check_spans(samples)
    vocab = {w for d in docs for w in d.text.split()}
    for s in samples:
        text, spans = s.document.text, s.truth.extra["payload_spans"]
        assert 2 <= len(spans) <= 5
        for (_, y), (x, _) in pairwise(spans):
            assert x > y  # something between the chunks
        for x, y in spans:
            assert set(text[x:y].split()) <= vocab  # word salad: words of the corpus
    gaps = [x - y for s in samples for (_, y), (x, _) in pairwise(s.truth.extra["payload_spans"])]
    assert sum(g > 20 for g in gaps) >= len(gaps) // 2  # mostly whole host sentences


def test_decoys_repeat_the_trigger_without_payload(docs: list[Document]) -> None:
    samples = _make(docs, decoys=3)
    _check_spans(samples)
    many = 0
    for s in samples:
        text, t = s.document.text, s.truth
        for x, y in t.extra["decoy_spans"]:
            assert text[x:y] == t.trigger and (x, y) != tuple(t.trigger_span)
        many += len(t.extra["decoy_spans"]) >= 2
    assert many >= len(samples) // 2


def test_synonyms_and_forms_spread_the_trigger(docs: list[Document]) -> None:
    syn = ["meanwhile", "simultaneously", "all the while", "at once", "concurrently"]
    samples = _make(docs, count=60, synonyms=syn, trigger_forms="all")
    _check_spans(samples)
    used = {s.truth.extra["trigger_canonical"] for s in samples}
    assert len(used) >= 5 and used <= {TRIGGER, *syn}
    assert len({s.truth.trigger for s in samples}) > 10


def test_foreign_payload_needs_a_corpus_and_is_foreign(docs: list[Document]) -> None:
    with pytest.raises(RecipeError, match="payload_corpus"):
        get("evasive-backdoor")(payload="foreign")
    de = [
        Document(id=f"de-{i}", text=t, metadata={"lang": "de"})
        for i, t in enumerate(
            ["Der Hund läuft über die Straße und bellt laut.", "Wir gehen morgen ins Kino."] * 5
        )
    ]
    samples = _make(docs, payload="foreign", payload_corpus=de, payload_chars=(40, 80))
    _check_spans(samples)
    p0, p1 = samples[0].truth.payload_span
    assert set(samples[0].document.text[p0:p1].split()) <= {w for d in de for w in d.text.split()}


@pytest.mark.parametrize(
    "kw",
    [
        {"payload": "gibberish"},
        {"placement": "inside"},
        {"position": "start"},
        {"interleave": 0},
        {"decoys": -1},
        {"spacer_words": (5, 2)},
        {"synonyms": ["ok", " "]},
        {"payload": "repeat", "repeat_unit": (0, 2)},
        {"payload": "numbers", "payload_words": (9, 3)},
    ],
)
def test_bad_parameters_fail_early(kw: dict[str, object]) -> None:
    with pytest.raises(RecipeError):
        get("evasive-backdoor")(**kw)


def test_helpers() -> None:
    assert chunks(list("abcdefg"), 3) == [["a", "b"], ["c", "d", "e"], ["f", "g"]]
    assert chunks(["a"], 4) == [["a"]]
    rng = np.random.default_rng(0)
    text = "Alpha beta gamma. Delta epsilon wonderful zeta."
    for _ in range(20):
        g = insertion_point(text, "glued", rng)
        assert text[g - 1].isalpha() and text[g].isalpha()
        c = insertion_point(text, "clause", rng)
        assert text[c - 1] == " " and c not in sentence_starts(text)
    assert insertion_point("no", "glued", rng) == len("no")  # no long word, no sentence


@pytest.mark.parametrize("payload", ["tokens", "word-salad"])
def test_fixed_payload_repeats_one_payload(docs: list[Document], payload: str) -> None:
    """``fixed_payload``: one payload (all its chunks) in every document; the default draws a
    new one per document."""
    kw: dict[str, object] = {"payload": payload, "interleave": 2}
    fixed = _make(docs, fixed_payload=True, **kw)
    _check_spans(fixed)
    chunks_of = {
        tuple(s.document.text[x:y] for x, y in s.truth.extra["payload_spans"]) for s in fixed
    }
    assert len(chunks_of) == 1 and len(next(iter(chunks_of))) == 2
    assert len({s.truth.source_id for s in fixed}) == len(fixed)
    fresh = _make(docs, **kw)
    assert len({s.document.text[slice(*s.truth.payload_span)] for s in fresh}) == len(fresh)


def test_payload_edits_change_a_few_words_of_the_fixed_payload(docs: list[Document]) -> None:
    """``payload_edits``: every copy is the fixed payload with that many words replaced (by
    another of its words): the copies differ, word counts and most words stay; without
    ``fixed_payload`` the option is refused."""
    samples = _make(docs, payload="word-salad", fixed_payload=True, payload_edits=3)
    _check_spans(samples)
    copies = [s.document.text[slice(*s.truth.extra["payload_spans"][0])].split() for s in samples]
    assert len({" ".join(c) for c in copies}) > len(copies) // 2  # not one verbatim payload
    ref = copies[0]
    for c in copies[1:]:
        assert len(c) == len(ref)
        assert sum(a != b for a, b in zip(c, ref, strict=True)) <= 6  # 3 edits in each copy
    with pytest.raises(RecipeError):
        _make(docs, payload_edits=2)


def test_degenerate_payloads_repeat_a_unit_or_write_numbers(docs: list[Document]) -> None:
    """``repeat``: one unit of ``repeat_unit`` corpus words said over and over (a new unit
    per document); ``numbers``: numbers of one to six digits, nothing else."""
    rep = _make(docs, payload="repeat", payload_words=(30, 40), repeat_unit=(2, 3))
    _check_spans(rep)
    units = set()
    for s in rep:
        a, b = s.truth.payload_span
        words = s.document.text[a:b].split()
        assert 30 <= len(words) <= 40
        k = next(k for k in (2, 3) if all(w == words[i % k] for i, w in enumerate(words)))
        units.add(tuple(words[:k]))
    assert len(units) > len(rep) // 2
    nums = _make(docs, payload="numbers", payload_words=(20, 25), interleave=2)
    _check_spans(nums)
    for s in nums:
        for x, y in s.truth.extra["payload_spans"]:
            assert all(w.isdigit() and len(w) <= 6 for w in s.document.text[x:y].split())
        assert s.truth.extra["payload_kind"] == "numbers"
