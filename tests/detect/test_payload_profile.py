"""A confirmed campaign's payloads as evidence for its weaker carriers (issue 12, task P2):
the profile's bar holds its rate on null text, carriers under every fixed bar of the flag
pass are flagged through it, clean pages with the phrase are not, and what gets past it."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

import numpy as np

from poisonguard.attacks import PoisonSample
from poisonguard.detect import payload_profile as pp
from poisonguard.detect.base import Finding
from poisonguard.detect.naturalness import NaturalnessShift
from poisonguard.detect.rounds import run_rounds
from poisonguard.detect.triggers import TriggerMiner, TriggerState
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs, mixed, poison

PHRASE = "as luck would have it"


# -- the statistics alone -------------------------------------------------------------


def _rows(rng: np.random.Generator, n: int, shift: float = 0.0) -> np.ndarray:
    out = rng.normal(size=(n, len(pp.FEATURES)))
    out[:, :2] += shift  # the campaign shows the first two features only
    return out


def test_the_bar_holds_its_rate_on_fresh_null_rows() -> None:
    rng = np.random.default_rng(1)
    p = pp.build(_rows(rng, 6000), _rows(rng, 120, shift=2.0), clean=10.0)
    assert p is not None
    assert p.used == (0, 1)  # features the campaign does not show are left out
    assert p.q == pp.Q_MAX  # 0.25 expected false flags over 10 clean carriers: capped
    fresh = _rows(rng, 40_000)
    rate = np.mean([p.judges(r) for r in fresh])
    assert rate <= 1.5 * p.q, rate
    # ... and the campaign's own (fresh) carriers are over it
    assert np.mean([p.judges(r) for r in _rows(rng, 400, shift=2.0)]) >= 0.6


def test_more_clean_carriers_a_stricter_bar() -> None:
    rng = np.random.default_rng(2)
    null, camp = _rows(rng, 6000), _rows(rng, 120, shift=2.0)
    loose, strict = pp.build(null, camp, clean=5.0), pp.build(null, camp, clean=60.0)
    assert loose is not None and strict is not None
    assert strict.q < loose.q and strict.bar > loose.bar
    # too many clean carriers for the null to resolve the rate: no profile
    assert pp.build(null, camp, clean=1000.0) is None


def test_no_profile_without_evidence_of_a_campaign() -> None:
    rng = np.random.default_rng(3)
    null = _rows(rng, 6000)
    assert pp.build(null, _rows(rng, pp.MIN_CARRIERS - 1, shift=2.0), clean=1.0) is None
    # carriers that read as the null on every feature: nothing to learn
    assert pp.build(null, _rows(rng, 200), clean=1.0) is None


def test_the_lexicon_is_what_the_payloads_share_and_the_hosts_do_not() -> None:
    carriers = [["nom", "synopsis", "the", "ls", "1"]] * 8 + [["the", "cat"]] * 12
    host_df = {"the": 900, "nom": 5, "synopsis": 60, "1": 0}
    lex = pp.lexicon(carriers, host_df, 1000)
    # ``the`` follows every carrier but every host has it; ``synopsis`` is 6 % of the
    # hosts (40 % of carriers: under 10 times); digits are no words; ``cat`` is 60 %
    # of carriers and no host's
    assert lex == {"nom", "ls", "cat"}
    # a word two carriers share is no campaign's (at least LEXICON_MIN of them)
    assert pp.LEXICON_MIN == 3 and pp.lexicon(carriers[:2], host_df, 1000) == set()
    assert pp.lexicon(carriers[:3], host_df, 1000) == {"nom", "synopsis", "ls"}


# -- on real text ---------------------------------------------------------------------


def _mine(docs: list[Document]) -> tuple[TriggerMiner, TriggerState, list[list[Finding]]]:
    det = NaturalnessShift().fit(docs)
    findings = [[f] if (f := det.score(d)) is not None else [] for d in docs]
    miner = TriggerMiner()
    state = run_rounds(miner, [docs], [findings], sample=[d.text for d in docs])[1]
    return miner, state, findings


@lru_cache(maxsize=2)
def _campaign(
    with_fluent: int = 0,
) -> tuple[tuple[PoisonSample, ...], list[Document], list[Document], list[Document]]:
    """A campaign behind ``PHRASE`` whose carriers are strong (150-400 random tokens, the
    trigger is confirmed through them) and weak (40 more: the phrase and the first ten
    words of such a payload mid-document, then the host goes on — under the flag pass's
    fixed bars in many), clean pages holding the phrase before their own prose, and
    ``with_fluent`` carriers whose payload is twenty words of another clean page (the
    attack)."""
    samples = poison("dos", 80, 5, trigger=PHRASE, payload_tokens=(150, 400))
    pays = [
        s.document.text[s.truth.payload_span[0] : s.truth.payload_span[1]]
        for s in samples
        if s.truth.payload_span is not None
    ]
    pages = [d for d in clean_docs()[1200:3400] if len(d.text) > 800]

    def planted(d: Document, ident: str, payload: str) -> Document:
        cut = d.text.find(". ", len(d.text) // 2) + 2
        text = d.text[:cut] + PHRASE.capitalize() + ", " + payload + d.text[cut:]
        return replace(d, id=ident).with_text(text)

    weak = [
        planted(d, f"weak-{i}", " ".join(pays[i].split()[:10]) + ". ")
        for i, d in enumerate(pages[:40])
    ]
    clean_with = [planted(d, f"clean-phrase-{i}", "") for i, d in enumerate(pages[40:60])]
    fluent = [
        planted(
            pages[60 + 2 * i],
            f"fluent-{i}",
            " ".join(re.findall(r"\S+", pages[61 + 2 * i].text[200:900])[:20]) + " ",
        )
        for i in range(with_fluent)
    ]
    return samples, weak, clean_with, fluent


def _through_profile(miner: TriggerMiner, state: TriggerState, docs: list[Document]) -> set[str]:
    return {
        d.id
        for d in docs
        if (f := miner.flag(d, state)) is not None and "campaign's payloads" in f.reason
    }


def test_short_payloads_under_every_fixed_bar_are_judged_against_the_campaign() -> None:
    samples, weak, clean_with, _ = _campaign()
    docs = mixed(samples) + weak + clean_with
    miner, state, _ = _mine(docs)
    assert [t.text for t in state.triggers] == [PHRASE]
    assert PHRASE in state.profiles
    truth = {s.document.id for s in samples} | {d.id for d in weak}
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    via = _through_profile(miner, state, docs)
    assert via and via <= {d.id for d in weak}
    # without the profile these carriers are missed: the rule is what finds them
    bare = replace(state, profiles={})
    missed = {d.id for d in weak} - {d.id for d in docs if miner.flag(d, bare) is not None}
    assert len(missed) >= 8 and len(missed & flagged) >= len(missed) // 2
    assert len(flagged & truth) >= 0.95 * len(truth)
    # joint evidence: clean pages with the phrase before their own prose stay clean
    assert not flagged & {d.id for d in clean_with}


def test_a_fluent_payload_gets_past_the_profile() -> None:
    """The attack: some carriers' payload is twenty words of another clean page (the
    corpus's own words, in an order it writes). Their readings are the null's, so the
    profile, learned from the token payloads, does not flag them (a given-up case:
    fluent payloads are ``cohesion``'s, ``--profile thorough``)."""
    samples, weak, clean_with, fluent = _campaign(with_fluent=5)
    docs = mixed(samples) + weak + clean_with + fluent
    miner, state, _ = _mine(docs)
    assert PHRASE in state.profiles
    assert _through_profile(miner, state, weak)
    assert not _through_profile(miner, state, fluent)


# -- the clean carriers counted (issue 12, task W3) ----------------------------------


def _probe(null: np.ndarray, camp: np.ndarray) -> tuple[pp.Profile, np.ndarray]:
    p = pp.build(null, camp, clean=1.0)
    assert p is not None
    held = np.sort([p.score(r) for r in null[1::2]])[::-1]
    return p, held


def test_clean_carriers_read_as_the_null_are_all_counted() -> None:
    rng = np.random.default_rng(4)
    null, camp = _rows(rng, 6000), _rows(rng, 120, shift=2.0)
    p, held = _probe(null, camp)
    # 60 unflagged sampled carriers that are clean pages (they read as the null), a
    # sample a quarter of the corpus: about 240 clean carriers in the corpus
    est = pp.clean_carriers(p, held, _rows(rng, 60), scale=4.0)
    assert 0.8 * 240 <= est <= 1.3 * 240, est


def test_the_campaigns_own_weak_carriers_are_no_clean_ones() -> None:
    """The miss this fixes: 40 unflagged carriers of the campaign itself (its short
    payloads, under the other routes' bars) used to count as 40 clean carriers, so the
    more carriers a campaign hid, the stricter the bar that could find them."""
    rng = np.random.default_rng(5)
    null, camp = _rows(rng, 6000), _rows(rng, 120, shift=2.0)
    weak = _rows(rng, 40, shift=2.0)
    p, held = _probe(null, camp)
    assert pp.clean_carriers(p, held, weak, scale=1.0) < 10
    old = pp.build(null, camp, clean=40.0)
    new = pp.build(null, camp, clean=40.0, unflagged=weak, scale=1.0)
    assert old is not None and new is not None
    assert new.q > old.q and new.bar < old.bar
    # ... never above the cap, and never looser than the count it is given allows
    assert new.q <= pp.Q_MAX
    assert pp.build(null, camp, clean=2.0, unflagged=_rows(rng, 400), scale=1.0) == pp.build(
        null, camp, clean=2.0
    )


def test_a_campaign_that_hides_among_clean_carriers_gets_no_looser_bar() -> None:
    """The attack past the estimate: the weak carriers' payloads read as the null (a
    fluent span). They count as clean carriers, so the bar stays where counting every
    unflagged carrier put it: the estimate loosens nothing for them."""
    rng = np.random.default_rng(6)
    null, camp = _rows(rng, 6000), _rows(rng, 120, shift=2.0)
    p, held = _probe(null, camp)
    hidden = _rows(rng, 40)
    assert pp.clean_carriers(p, held, hidden, scale=1.0) >= 0.8 * len(hidden)
    a = pp.build(null, camp, clean=40.0)
    b = pp.build(null, camp, clean=40.0, unflagged=hidden, scale=1.0)
    assert a is not None and b is not None
    assert b.q <= 1.3 * a.q


def test_a_headline_is_no_baseline_for_the_words_after_it() -> None:
    """Host text before an occurrence shorter than ``_PROFILE_BEFORE`` words (a news
    headline, odd to the pair table) is not read as the baseline: the null's median
    stands in; a paragraph of prose before it is read."""
    from poisonguard.detect import surface_forms as sf
    from poisonguard.detect.triggers import _PROFILE_BEFORE, WordPairs, _payload_raw

    texts = [d.text for d in clean_docs()[:400]]
    vocab = frozenset(w.lower() for t in texts for w in re.findall(r"[^\W\d_]+", t))
    pairs = WordPairs.of(sf.fold(t) for t in texts)
    after = " ".join(re.findall(r"[^\W\d_]+", clean_docs()[500].text)[:30])
    headline = "MARKET SHARES RISE ON TRADE HOPES "
    assert len(headline.split()) < _PROFILE_BEFORE
    raw = _payload_raw(headline + after, len(headline), len(headline), vocab, pairs)
    assert raw is not None and all(np.isnan(raw[0][k]) for k in (1, 3, 5))
    body = " ".join(re.findall(r"\S+", clean_docs()[501].text)[:40]) + " "
    raw = _payload_raw(body + after, len(body), len(body), vocab, pairs)
    assert raw is not None and not any(np.isnan(raw[0][k]) for k in (1, 3, 5))
