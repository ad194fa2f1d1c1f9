"""Claim families: a template's one-word slots are one phrasing (issue 12, task U3).

A site's fill-in sentence — MedQuAD's "It is inherited in an autosomal {dominant, recessive}
{manner, pattern, fashion}." — counted as six phrasings made 45 pages of one 20,000-page
sample of the medical corpus *suspicious* (0.285 % of the sample; the other samples and
orders 0.060–0.065 %). The attack on the rule: a campaign's paraphrases, rotated through
openers, closers and synonyms, must still count as many phrasings.
"""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from poisonguard.attacks import get, mix_poison
from poisonguard.attacks.claims import ClaimSpace
from poisonguard.datasets import python_docs
from poisonguard.detect.campaigns import (
    WORD_RE,
    CampaignDetector,
    _effective_number,
    _slot_merged,
)
from poisonguard.detect.rounds import run_rounds
from poisonguard.io import Document

SLOTTED = [
    f"It is inherited in an autosomal {mode} {word}."
    for mode in ("dominant", "recessive")
    for word in ("manner", "pattern", "fashion")
]


def _phrasings(sentences: list[str]) -> tuple[float, float]:
    """Effective number of wordings of ``sentences`` before and after slots are merged."""
    counts = Counter(sentences)
    toks = [WORD_RE.findall(s) for s in counts]
    return _effective_number(list(counts.values())), _effective_number(
        _slot_merged(toks, list(counts.values()))
    )


@pytest.fixture(scope="module")
def hosts() -> list[Document]:
    return random.Random(0).sample(python_docs(), 1500)


def _run(docs: list[Document]):  # type: ignore[no-untyped-def]
    det, state = run_rounds(
        CampaignDetector(), [docs[i : i + 500] for i in range(0, len(docs), 500)]
    )
    return state, [det.flag(d, state) for d in docs]


def test_a_templates_one_word_slots_are_one_phrasing() -> None:
    before, after = _phrasings(SLOTTED * 8)
    assert before == pytest.approx(6.0) and after == pytest.approx(1.0)
    # chained: dominant manner ~ dominant pattern ~ recessive pattern (one word apart each)
    assert _slot_merged([s.split() for s in SLOTTED[:1] + SLOTTED[4:5]], [3, 4]) == [3, 4]
    assert sorted(_slot_merged([s.split() for s in SLOTTED], [1] * 6)) == [6]
    # other lengths or two words apart stay apart
    assert sorted(_slot_merged([["a", "b", "c"], ["a", "x", "y"], ["a", "b"]], [1, 2, 3])) == [
        1,
        2,
        3,
    ]


def test_a_sites_slotted_sentence_in_unrelated_pages_is_not_a_campaign(
    hosts: list[Document],
) -> None:
    """The clean case: one site's slotted sentence in 48 of its pages (unrelated topics, one
    source). Counted as six phrasings it passed the campaign test (poisoned)."""
    rnd = random.Random(1)
    docs = []
    for i, d in enumerate(hosts):
        if i < 48:
            paras = d.text.split("\n\n")
            at = rnd.randrange(1, max(2, len(paras)))
            text = "\n\n".join([*paras[:at], SLOTTED[i % 6], *paras[at:]])
            d = Document(id=f"site-{i}", text=text, metadata={"url": f"https://rare.example/{i}"})
        docs.append(d)
    state, found = _run(docs)
    fam = [c for c in state.campaigns if c.kind == "claim" and "autosomal" in c.shared_span]
    assert fam and fam[0].size >= 40 and fam[0].details["wordings"] >= 6
    assert fam[0].details["phrasings"] == 1.0 and fam[0].score < 0.5
    assert not any(f is not None and f.score >= 0.5 for f in found[:48])


def test_a_claim_rotated_through_openers_closers_and_synonyms_keeps_its_phrasings(
    hosts: list[Document],
) -> None:
    """The attack on the rule: the paraphrase space (openers x synonyms x closers, 180 claim
    wordings of one entity name) stays many phrasings after its one-word synonyms are
    merged; and a claim behind rotating openers from ONE source — its phrasings its only
    evidence — is still found, poisoned."""
    space = ClaimSpace(["the Harwick water softener"], ["increases the risk of kidney damage"])
    rng = np.random.default_rng(0)
    before, after = _phrasings([space.sentence(rng) for _ in range(150)])
    assert after >= 6.0 and after <= before
    recipe = get("targeted-claim")(
        entity="the Harwick water softener",
        claim="increases the risk of kidney damage in children",
        n_sources=1,
    )
    samples = recipe.generate(hosts, 120, seed=3)
    pid = {id(s.document) for s in samples}
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(hosts, samples, seed=0)]
    state, found = _run(docs)
    pairs = list(zip(docs, found, strict=True))
    hit = sum(1 for d, f in pairs if f and f.score >= 0.9 and id(d) in pid)
    clean = sum(1 for d, f in pairs if f and f.score >= 0.5 and id(d) not in pid)
    assert hit >= 0.95 * len(pid) and clean == 0
    top = state.campaigns[0]
    assert "harwick" in top.shared_span.lower() and top.n_sources == 1
    assert top.details["phrasings"] >= 6 and top.details["campaign_test"]


def test_what_gets_past_a_claim_rotated_only_through_one_word_synonyms() -> None:
    """The limit, written down: one sentence frame whose only variation is one-word
    synonyms is one phrasing now (its evidence must come from independent sources)."""
    frame = "The Harwick softener {v} the {r} of kidney {d} in adults."
    wordings = [
        frame.format(v=v, r=r, d=d)
        for v in ("increases", "raises", "boosts", "elevates")
        for r in ("risk", "likelihood", "chance")
        for d in ("damage", "harm", "injury")
    ]
    before, after = _phrasings(wordings * 3)
    assert before == pytest.approx(36.0) and after == pytest.approx(1.0)
