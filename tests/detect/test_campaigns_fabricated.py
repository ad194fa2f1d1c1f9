"""Fabricated-article campaigns on the hostless route (task M2, 2026-12-04 night): a claim
made of words the campaign brought into the corpus."""

from __future__ import annotations

import pytest

from poisonguard.detect import campaigns_semantic as sem
from tests.detect.test_campaigns_semantic import (
    HAVE_MINILM,
    HOSTLESS_CLAIM,
    WITH_MODEL,
    _cluster,
    _df,
    _hosted,
    _hostless,
)


def _rare_valley(size: int) -> sem.ClaimCluster:
    """The hostless family (every host nothing but recurring material, the entity's names
    bursting) whose predicate word *valley* is not among the hosts' terms: it is in the
    claim sentences only, so it stays in the predicate."""
    cl = _hostless(size)
    cl.terms = {h: tuple(w for w in t if w != "valley") for h, t in cl.terms.items()}
    return cl


def test_brought_words_are_those_most_of_whose_documents_are_the_campaigns() -> None:
    members = [frozenset({"sludg", "dump", "mill"})] * 3 + [frozenset({"fish", "mill"})]
    df = _df([], {"sludg": 70, "dump": 200, "fish": 60})
    # 80 carrying documents: three quarters name *sludg* (60 >= 2/3 of 70), *dump* is named
    # by 60 of its 200, *fish* by 20 of its 60
    assert sem.brought_words({"sludg", "dump", "fish"}, members, 80, df) == {"sludg"}
    assert sem.brought_words({"sludg"}, [], 80, df) == set()
    assert sem.brought_words({"sludg"}, members, 80, None) == set()


@pytest.mark.skipif(not HAVE_MINILM, reason="needs the embeddings extra")
def test_a_rare_predicate_word_the_campaign_brought_does_not_refuse_the_hostless_route() -> None:
    """``e12g3-fabricated-mill-books``: 100 fabricated articles about a made-up sawmill
    among novels, "dumps toxic sludge into the river every night" — *dump*, *sludge*,
    *toxic* are rare in novels (80, 69 and 61 documents of 20,100), and nearly all of their
    documents are the campaign's.  The hostless family with such a word in its predicate
    (*valley*, 90 documents, named by all 100 carriers) passes; the word is reported."""
    cl = _rare_valley(100)
    df = _df([cl], {"zanfield": 150, "orlow": 120, "valley": 90})
    _, passed, ev = sem.judge(cl, df, **WITH_MODEL)
    assert ev["rare_predicate"] == ["valley"] and ev["rare_predicate_brought"] == ["valley"], ev
    assert passed and ev["hostless"] and ev["family"] == "fabricated-articles", ev


@pytest.mark.skipif(not HAVE_MINILM, reason="needs the embeddings extra")
def test_a_rare_predicate_word_the_corpus_uses_elsewhere_still_refuses() -> None:
    """Adversarial, clean side: a technical fact of one site ("… charged atoms (ions)") with
    a rare word that the corpus's other pages use as well — 100 carriers of its 190
    documents, under two thirds — is refused as before.  What gets past: a campaign whose
    rare predicate word is in few documents besides its own (the rule above); and one
    whose word the corpus uses often enough is refused (the attack side of the guard: pick
    a verb the corpus already knows, then nothing is rare — the route takes it anyway)."""
    cl = _rare_valley(100)
    df = _df([cl], {"zanfield": 150, "orlow": 120, "valley": 190})
    _, passed, ev = sem.judge(cl, df, **WITH_MODEL)
    assert ev["rare_predicate"] == ["valley"] and ev["rare_predicate_brought"] == [], ev
    assert not passed and not ev["hostless"], ev
    # the brought word does not lend the route to hosts that keep text of their own
    cl = _rare_valley(100)
    pages = _hosted(_cluster(HOSTLESS_CLAIM, 11, about=("zanfield", "orlow")))
    keep = list(cl.hosts)[: len(cl.hosts) // 2 + 1]  # most hosts keep text (NCI PDQ)
    cl.hosts = {h: (pages.hosts[h] if h in keep else None) for h in cl.hosts}
    df = _df([cl], {"zanfield": 150, "orlow": 120, "valley": 90})
    _, passed, ev = sem.judge(cl, df, **WITH_MODEL)
    assert not passed and not ev["hostless"] and ev["hosts_only_recurring"] < 0.5, ev


def _parent(docs: range) -> tuple[sem.ClaimCluster, dict[str, object]]:
    """A passing fabricated-article campaign (the hostless family) over ``docs``."""
    cl = _hostless()
    cl.docs = frozenset(docs)
    ev = {
        "family": "fabricated-articles",
        "core": sorted(cl.core),
        "entity": ["orlow", "zanfield"],
        "rare_terms": {},
    }
    return cl, ev


def _word_burst(docs: range) -> sem.ClaimCluster:
    """The burst of the campaign's word *poison* (its two phrasings and background
    sentences that name it) over ``docs``."""
    cl = _hostless()
    cl.slots = (frozenset({"poison"}), frozenset({"children", "fish"}), frozenset({"valley"}))
    cl.docs = frozenset(docs)
    return cl


def test_a_burst_of_a_fabricated_campaigns_word_is_its_sibling() -> None:
    """``e12g3-fabricated-mill-books``: articles that rotate two phrasings of the claim; the
    passing cluster holds one (*dumps toxic sludge into the river*), an article with only
    the other (*… poisoning the fish of the valley*) carries none of its core, and the burst
    of the campaign's word holds both.  A burst whose word the campaign names, that fails
    only the bursting term and the hosts (or nothing), and 60 % of whose sampled documents
    are the campaign's is its sibling."""
    parent, pev = _parent(range(100))
    burst = _word_burst(range(40, 140))
    for failed in (["hosts"], ["bursting_term", "hosts"], []):
        ev: dict[str, object] = {"failed": failed}
        assert sem.burst_sibling(burst, ev, [parent], [pev], [True]) == 0
        assert ev["sibling_documents"] == 0.6


def test_a_burst_that_is_no_sub_claim_of_the_campaign_is_no_sibling() -> None:
    """Adversarial, clean side: a brand's other pages (*ibuprofen (Advil, Motrin)* lists)
    are a burst of the campaign's word in documents that are mostly not the campaign's; a
    burst that fails more than the hosts says no claim; a spliced claim's campaign (hosts
    unrelated: its word's other pages are not its articles), a campaign that does not name
    the burst's word, and a campaign that did not pass have no sibling bursts.  What gets
    past: nothing new — each is judged as before (a known burst is not judged on its own)."""
    parent, pev = _parent(range(100))
    ok = {"failed": ["hosts"]}
    assert sem.burst_sibling(_word_burst(range(60, 160)), dict(ok), [parent], [pev], [True]) is None
    for failed in (["claim_like", "hosts"], ["documents"]):
        burst = _word_burst(range(40, 140))
        assert sem.burst_sibling(burst, {"failed": failed}, [parent], [pev], [True]) is None
    burst = _word_burst(range(40, 140))
    spliced = {**pev, "family": "spliced-claims"}
    assert sem.burst_sibling(burst, dict(ok), [parent], [spliced], [True]) is None
    other = {**pev, "core": ["bridge", "traffic", "halv"], "entity": ["zanfield"]}
    assert sem.burst_sibling(burst, dict(ok), [parent], [other], [True]) is None
    assert sem.burst_sibling(burst, dict(ok), [parent], [pev], [False]) is None
    # a burst is no parent of another burst
    parent.slots = (frozenset({"poison"}),)
    assert sem.burst_sibling(burst, dict(ok), [parent], [pev], [True]) is None


def _closer_burst(docs: range) -> sem.ClaimCluster:
    """The burst of a closer's word *decision* ("…, something worth knowing before any
    decision"), its places filled by the campaign's and the corpus's own words at once."""
    cl = _hostless()
    cl.slots = (
        frozenset({"decision"}),
        frozenset({"know", "make"}),
        frozenset({"lung", "test"}),
    )
    cl.docs = frozenset(docs)
    return cl


def test_a_passing_burst_of_a_campaigns_closer_is_marked_only_beside_the_campaign() -> None:
    """``heldout-rain-claim-inhaler-medical`` at 250: the closer's burst *decision* passes
    (most sampled members are the campaign's) and its places, filled also by clean pages'
    "… make treatment decisions", marked 12 clean medical pages.  A passing burst most of
    whose sampled documents are a passing campaign's, whose word is none of that campaign's
    words, is its closer; the largest such campaign is taken."""
    parent, pev = _parent(range(100))
    pev = {**pev, "family": "spliced-claims", "entity": ["zentrair", "inhaler"]}
    closer = _closer_burst(range(30, 90))
    small, sev = _parent(range(50, 90))
    sev = {**sev, "entity": ["other"]}
    evidence: list[dict[str, object]] = [pev, {"failed": []}, sev]
    out = sem.burst_sub_claims([parent, closer, small], evidence, [True, True, True])
    assert out == {1: 0}, out
    assert evidence[1]["closer_documents"] == 1.0


def test_a_burst_that_is_the_campaigns_claim_or_its_own_is_no_closer() -> None:
    """Adversarial, recall side: a burst of the campaign's own word (its core, entity or a
    rare term: a rotating claim about *vitamin D* whose word is the campaign's) is its
    claim, not a closer; a burst half of whose documents are not the campaign's says
    something of its own; a campaign that did not pass, has no entity (nothing to ask the
    page for) or is a burst's sibling is no campaign of a closer; a burst already a
    sibling is left as it is; a closer is no campaign for a smaller closer.  What gets
    past: a closer whose burst fails on its own is not judged here at all, and a campaign
    that also names the closer's word (its core holds it) keeps the closer's marks."""
    parent, pev = _parent(range(100))
    pev = {**pev, "entity": ["zentrair"]}
    ok = [True, True]
    own = {**pev, "core": [*pev["core"], "decision"]}  # type: ignore[list-item]
    assert sem.burst_sub_claims([parent, _closer_burst(range(30, 90))], [own, {}], ok) == {}
    assert sem.burst_sub_claims([parent, _closer_burst(range(60, 180))], [pev, {}], ok) == {}
    closer = _closer_burst(range(30, 90))
    assert sem.burst_sub_claims([parent, closer], [pev, {}], [False, True]) == {}
    assert sem.burst_sub_claims([parent, closer], [{**pev, "entity": []}, {}], ok) == {}
    assert sem.burst_sub_claims([parent, closer], [{**pev, "sibling_of": "x"}, {}], ok) == {}
    assert sem.burst_sub_claims([parent, closer], [pev, {"sibling_of": "x"}], ok) == {}
    # two bursts inside one campaign: the larger is its closer, the smaller's only
    # campaign is then the parent, never the closer
    big, smaller = _closer_burst(range(0, 80)), _closer_burst(range(10, 60))
    smaller.slots = (frozenset({"worth"}), *smaller.slots[1:])
    ev3: list[dict[str, object]] = [pev, {}, {}]
    assert sem.burst_sub_claims([parent, big, smaller], ev3, [True] * 3) == {1: 0, 2: 0}


def test_a_word_no_page_but_the_campaigns_names_is_the_campaign() -> None:
    """``heldout-rain-claim-inhaler-medical``: 18 hosts given one sentence naming the
    campaign by *Zentrair* alone were missed — the burst sibling asked the page for another
    entity word.  A made-up word whose corpus document frequency is within its campaign's
    documents needs no more; a word the corpus uses on its own pages, an unknown df, a
    multi-word place or no documents keep the page test."""
    df = _df([], {"zentrair": 250, "decision": 900})
    assert sem.word_is_campaigns(df, frozenset({"zentrair"}), 302.0)
    assert not sem.word_is_campaigns(df, frozenset({"zentrair"}), 200.0)
    assert not sem.word_is_campaigns(df, frozenset({"decision"}), 302.0)
    assert not sem.word_is_campaigns(None, frozenset({"zentrair"}), 302.0)
    assert not sem.word_is_campaigns(df, frozenset({"zentrair", "puffer"}), 302.0)
    assert not sem.word_is_campaigns(df, frozenset({"zentrair"}), 0.0)
