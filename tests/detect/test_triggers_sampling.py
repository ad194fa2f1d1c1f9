"""Two ways a clean corpus gave the trigger miner a "trigger" in one order of its
documents and not in another (issue 12, lead, 2026-12-05).  The shared multilingual
corpus, scanned whole in file order, flagged 15 documents; the same 26,124 documents
shuffled flagged 65 (0.249 %): ``#include <`` (man pages' code; purity 0.34 on that
order's sample, at the 0.3 bar) and a boilerplate sentence copied into thirteen German
systemd man pages.

1. The purity test reads a lower confidence bound on the share of carriers that are
   anomalous (:func:`_carriers_high`), not the estimate from the sampled documents.
2. A string inside a passage copied whole into its documents (the same words before
   *and* after it, :func:`_copied_share`) is not a trigger: a planted trigger follows each
   host's own words (nor before a payload drawn anew for each: the attack on the rule, a
   fixed sentence before a planted trigger, is still mined).  Not covered: the same whole
   passage, payload included, planted into unrelated hosts — the default scan misses it
   with or without this rule (a fixed payload; docs/detectors.md, "Blind spots")."""

from __future__ import annotations

from pathlib import Path

import pytest

import poisonguard
from poisonguard.detect import triggers as tr
from poisonguard.detect.base import Finding, Span
from poisonguard.detect.rounds import run_rounds
from poisonguard.detect.triggers import Context, TriggerMiner, _carriers_high, _copied_share
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs, poison

STRING = "zorblat fizzwick quorn"


def _odd(i: int) -> str:
    """A different string of nonsense for each ``i`` (a payload that varies)."""
    syll = ("qa", "zu", "vex", "ptr", "olk", "mhy", "gnu", "ixo", "rrw", "dab")
    return " ".join(
        syll[(i * 7 + j * 3) % 10] + syll[(i + j * j) % 10] + syll[(i * j + 1) % 10]
        for j in range(40)
    )


def test_carriers_high_is_an_upper_bound_that_shrinks_with_the_sample() -> None:
    # at the estimate's own scale it is above the estimate, and never below the count
    est = 27 / 10_000 * 26_124
    hi = _carriers_high(24, 27, 10_000, 26_124)
    assert est * 1.2 < hi < est * 1.6
    assert _carriers_high(40, 2, 10_000, 20_000) == 40
    # relatively tighter for a string held by many sampled documents
    assert _carriers_high(0, 2_000, 10_000, 20_000) / 4_000 < hi / est
    assert _carriers_high(5, 0, 0, 100) == 5


def _corpus(n_odd: int, n_plain: int) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """Every 4th long embedded document holds ``STRING``: ``n_odd`` of them with an
    anomaly 30 characters after it (outside the alignment band), ``n_plain`` without."""
    docs: list[Document] = []
    found: list[list[Finding]] = []
    plain: set[str] = set()
    odd = plain_n = 0
    for i, d in enumerate(clean_docs()):
        if i % 4 or len(d.text) < 600 or odd + plain_n >= n_odd + n_plain:
            docs.append(d)
            found.append([])
            continue
        if odd < n_odd:
            # host words between the string and the payload: no string ends at the anomaly
            text = d.text[:300] + f" {STRING} " + d.text[300:330] + " " + _odd(i) + d.text[330:]
            cp = text.index(_odd(i))
            docs.append(d.with_text(text))
            found.append(
                [
                    Finding(
                        "naturalness",
                        0.9,
                        "odd",
                        [Span(cp, cp, "changepoint")],
                        None,
                        None,
                        {"candidate": True},
                    )
                ]
            )
            odd += 1
        else:
            docs.append(
                d.with_text(d.text[:300] + f" {STRING} and the words went on. " + d.text[300:])
            )
            found.append([])
            plain.add(d.id)
            plain_n += 1
    return docs, found, plain


def _mined(monkeypatch: pytest.MonkeyPatch | None, level: float | None) -> list[str]:
    """Mine a corpus where 23 of the string's 153 holders are anomalous (purity 0.15) on a
    sample that drew only 47 of its 130 clean holders: the estimate reads 0.31, the bound 0.26."""
    if monkeypatch is not None and level is not None:
        monkeypatch.setattr(tr, "_PURITY_LEVEL", level)
    docs, found, plain = _corpus(23, 130)
    drop = sorted(plain)[47:]
    sample = [d.text for d in docs if d.id not in drop]
    _, state = run_rounds(TriggerMiner(), [docs], [found], sample=sample)
    return [t.text for t in state.triggers]


def test_a_string_at_the_purity_bar_only_by_the_sample_it_drew_is_no_trigger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not any(STRING in t for t in _mined(None, None))
    # the test can fail: with the bound at the estimate (level 0.5) it is confirmed
    assert any(STRING in t for t in _mined(monkeypatch, 0.5))


def _ctx(text: str, s: str, doc: str) -> Context:
    at = text.index(s)
    return Context(text, at, at + len(s), s, doc, score=0.9, cp=at + len(s) + 1)


def test_copied_share_tells_a_copied_passage_from_a_planted_trigger() -> None:
    phrase = "andere Werkzeuge die Protokolle anzeigen"
    lead = "Diese Einstellung ist nur nützlich, falls die Nachrichten direkt da journalctl und"
    tail = "selbständig Zeitstempel den Nachrichten anhängen werden SYSTEMD_LOG_LOCATION"
    copied = [_ctx(f"{lead} {phrase} {tail}", phrase, f"de-{i}") for i in range(8)]
    assert _copied_share(phrase, copied) == 1.0
    # the window ends right after the string (its changepoint lay inside the passage): no
    # words after it to compare, the words before decide
    cut = [_ctx(f"{lead} {phrase} den", phrase, f"c-{i}") for i in range(8)]
    assert _copied_share(phrase, cut) == 1.0
    hosts = [d.text for d in clean_docs()[100:200] if len(d.text) > 400][:8]
    # planted after each host's own words: the leads differ
    planted = [_ctx(f"{h[:300]} {phrase} {tail}", phrase, f"h-{i}") for i, h in enumerate(hosts)]
    assert _copied_share(phrase, planted) == 0.0
    # the same lead but a payload that varies (random tokens): not copied either
    varied = [_ctx(f"{lead} {phrase} {_odd(i)}", phrase, f"v-{i}") for i in range(8)]
    assert _copied_share(phrase, varied) == 0.0
    # at the very start of its documents (no words before it): not called copied
    opening = [_ctx(f"{phrase} {tail}", phrase, f"o-{i}") for i in range(8)]
    assert _copied_share(phrase, opening) == 0.0


def test_a_fixed_lead_before_a_planted_trigger_does_not_hide_it() -> None:
    """The attack on the copied-passage rule: every carrier writes the same sentence before
    the trigger (shared leads), the payload drawn anew for each (random tokens): still
    mined and its carriers flagged."""
    lead = "As the committee noted in its yearly review of the archive,"
    payloads = [
        s.document.text[s.truth.payload_span[0] : s.truth.payload_span[1]]
        for s in poison("dos", 30, 6, payload_tokens=(150, 300))
        if s.truth.payload_span is not None
    ]
    planted: set[str] = set()
    docs: list[Document] = []
    long = 0
    for d in clean_docs():
        long += len(d.text) > 800
        if len(d.text) > 800 and long % 10 == 7 and len(planted) < len(payloads):
            cut = d.text.find(". ", 400) + 1 or 400
            passage = f"{lead} {STRING} {payloads[len(planted)]}"
            docs.append(d.with_text(d.text[:cut] + " " + passage + " " + d.text[cut:]))
            planted.add(d.id)
        else:
            docs.append(d)
    res = poisonguard.scan(docs, kind="pretrain", workers=1)
    assert any(STRING in t.trigger for t in res.triggers), [t.trigger for t in res.triggers]
    flagged = {docs[v.index].id for v in res.findings}
    assert len(flagged & planted) >= 0.9 * len(planted)
    assert len(flagged - planted) <= 0.001 * len(docs) + 2


def test_the_miner_keeps_the_estimator_contract() -> None:
    """Every constructor parameter reads back (``score`` had been stored under another
    name, so ``get_params`` and ``clone`` raised)."""
    miner = TriggerMiner(score=0.97, min_docs=7)
    params = miner.get_params()
    assert params["score"] == 0.97 and params["min_docs"] == 7
    assert miner.clone().get_params() == params


_PAGES = ("9", "11", "148", "261", "302", "323", "324", "357", "375", "434")


def test_rare_vocabulary_after_a_common_phrase_is_not_word_salad(shared_corpora: Path) -> None:
    """Ten French man pages of the shared corpus that the flag pass called word salad after
    ``de plus`` (behind a campaign with that phrase as one of its phrasings): their words
    are pairs the sample never wrote, but the pairs it wrote are cohesive.  With the
    cohesion bar fewer of them are salad; random tokens planted right after the phrase in
    the same pages still are (the attack on the bar: the payload it must not excuse)."""
    import gzip
    import json
    import random

    ids = {f"manpages-fr-{p}" for p in _PAGES}
    with gzip.open(shared_corpora / "multilingual.jsonl.gz", "rt", encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh]
    sample = [d["text"] for d in random.Random(0).sample(docs, 8000) if d["id"] not in ids]
    pairs = tr.WordPairs.of(sample)
    s = poison("dos", 1, 3, payload_tokens=(150, 200))[0]
    assert s.truth.payload_span is not None
    tokens = s.document.text[s.truth.payload_span[0] : s.truth.payload_span[1]]
    lax: set[str] = set()
    strict: set[str] = set()
    planted = 0
    kw = {"max_cohesion": -0.1, "short_cohesion": -0.5, "spread": True}
    for d in docs:
        if d["id"] not in ids:
            continue
        text = d["text"]
        occ = tr._occurrences(text, tr._loose("de plus"), 10)
        if tr._salad_after(text, occ, pairs, 0.5, 0.25, **kw)[0]:  # type: ignore[arg-type]
            lax.add(d["id"])
        bar = tr._UNSEEN_COHESION
        if tr._salad_after(text, occ, pairs, 0.5, 0.25, unseen_cohesion=bar, **kw)[0]:  # type: ignore[arg-type]
            strict.add(d["id"])
        a, b = occ[0]
        poisoned = text[:b] + " " + tokens + " " + text[b:]
        hit, _ = tr._salad_after(poisoned, [(a, b)], pairs, 0.5, 0.25, unseen_cohesion=bar, **kw)  # type: ignore[arg-type]
        planted += hit is not None
    assert strict <= lax and len(lax) >= 2 and len(strict) < len(lax), (lax, strict)
    assert planted >= 7
