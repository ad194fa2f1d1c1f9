"""A common word or phrase confirmed by where the anomaly starts: the alignment variant of
the significance test (issue 12, task S, 2026-12-03).  Found by the held-out
``heldout-night-synonyms`` (seven phrasings of one meaning, 100 among 20,000 news documents,
79 %): ``eventually`` (12 carriers counted, every one with the anomaly right at its end, in
67 of 10,000 sampled documents) and ``in the end`` (9) failed the document-level test."""

from __future__ import annotations

import pytest

import poisonguard.detect.triggers as triggers
from poisonguard.detect.triggers import Context, _aligned_null
from tests.detect.test_triggers import (
    NaturalnessShift,
    _clean_behind_the_phrase,
    _mine,
    _phrase_then_odd_passage,
    mixed,
    poison,
)

PHRASE = "for the first time"


def _campaign(n: int):  # type: ignore[no-untyped-def]
    samples = poison("dos", n, 5, trigger=PHRASE, payload_tokens=(150, 400))
    clean_odd, plain = _phrase_then_odd_passage(
        PHRASE, 300, 30, None, sentence=" It ran {} in years. ", hosts=430
    )
    return samples, clean_odd, plain


def test_a_phrase_with_the_anomaly_at_its_end_in_every_example_is_confirmed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eleven carriers of a common phrase (in about 400 clean pages, 30 of them with an odd
    passage a sentence later): confirmed only through the alignment variant, its carriers
    flagged, none of the clean pages — the odd passage after the phrase's clean pages does
    not start at its end.  Without the variant (``_ALIGNED_ALL`` above 1) it is not."""
    samples, clean_odd, plain = _campaign(11)
    *_, found = _clean_behind_the_phrase(samples, clean_odd, plain, PHRASE)
    assert found.text == PHRASE and found.anomalous_docs == 11 and found.aligned
    monkeypatch.setattr(triggers, "_ALIGNED_ALL", 1.01)
    docs = mixed(samples) + clean_odd + plain
    det = NaturalnessShift().fit(docs)
    findings = [[f] if (f := det.score(d)) is not None else [] for d in docs]
    _, without = _mine(docs, findings)
    assert PHRASE not in [t.text for t in without.triggers]


def test_the_chance_of_an_aligned_string_is_the_corpus_share() -> None:
    """The null of the variant is the share of aligned example contexts over every
    candidate (pseudo-counted): a string a few characters before its changepoint counts, one
    a sentence before it does not."""
    near = Context("odd text here: for the first time xq zz", 15, 33, PHRASE, "a", cp=34)
    far = Context("for the first time. Then a long host sentence. xq zz", 0, 18, PHRASE, "b", cp=48)
    groups = {PHRASE: (2, [near, far], 2)}
    assert _aligned_null(groups, 8) == pytest.approx((1 + 1) / (2 + 2))
    assert _aligned_null({}, 8) == pytest.approx(0.5)


def test_punctuation_is_never_judged_by_the_variant() -> None:
    """Only words of letters: a sentence's end or a heading's mark sits right before an
    anomaly by the text's own structure (a table after ``Table 1:``)."""
    assert triggers._WORDS_ONLY.fullmatch("eventually")
    assert triggers._WORDS_ONLY.fullmatch("in the end")
    for s in ("Table 1:", ". in the", "said.", "NAME (1)", "in  the"):
        assert not triggers._WORDS_ONLY.fullmatch(s)
