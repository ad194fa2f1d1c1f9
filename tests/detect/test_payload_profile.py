"""A confirmed campaign's payloads as evidence for its weaker carriers (issue 12, task P2):
the profile's bar holds its rate on null text, carriers under every fixed bar of the flag
pass are flagged through it, clean pages with the phrase are not, and what gets past it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from poisonguard.attacks import PoisonSample
from poisonguard.detect import payload_profile as pp
from poisonguard.detect.base import Finding
from poisonguard.detect.naturalness import NaturalnessShift
from poisonguard.detect.rounds import run_rounds
from poisonguard.detect.triggers import TriggerMiner, TriggerState, _profile_counted
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


def test_a_bar_past_the_nulls_resolution_needs_more_null_rows() -> None:
    """A phrase with about 150 clean carriers (``believe it or not`` in novels) needs its
    bar at the null's top 0.17 %: 4,000 null rows (2,000 held out) cannot resolve it — no
    profile, and ``unresolved`` says why (the trigger miner then adds the other half's
    null: sentence starts of the hosts its tables were made from, read with tables made
    from the rest); with three times the rows the bar is built and holds its rate."""
    rng = np.random.default_rng(4)
    camp = _rows(rng, 120, shift=2.5)
    small, large = _rows(rng, 4000), _rows(rng, 12_000)
    assert pp.unresolved(len(small), 150.0) and pp.build(small, camp, clean=150.0) is None
    assert not pp.unresolved(len(large), 150.0)
    p = pp.build(large, camp, clean=150.0)
    assert p is not None and p.q < pp.Q_MAX
    rate = np.mean([p.judges(r) for r in _rows(rng, 60_000)])
    assert rate <= 1.6 * p.q, rate
    # a campaign with few clean carriers is resolved by the small null alone, and a null too
    # small for any bar (a small sample) is not widened: no profile there, as before
    assert not pp.unresolved(len(small), 10.0)
    assert not pp.unresolved(1999, 150.0) and pp.unresolved(2000, 150.0)


def test_the_campaigns_own_weak_carriers_are_not_counted_as_clean() -> None:
    # 120 sampled carriers: 80 strong, 40 weak (the campaign's, under every fixed bar); the
    # flag pass's other routes leave the 40 weak and 30 of the strong ones unflagged. The
    # naive count budgets the bar over all 70 as clean; the rounds drop those the profile
    # itself flags, and the bar falls (fails on the count without rounds)
    rng = np.random.default_rng(7)
    null = _rows(rng, 6000)
    camp = np.concatenate([_rows(rng, 80, shift=3.0), _rows(rng, 40, shift=1.2)])
    unflagged = list(range(50, 120))
    naive = pp.build(null, camp, clean=len(unflagged) * 1.0)
    counted = _profile_counted(null, camp, unflagged, 1.0)
    assert naive is not None and counted is not None
    assert counted.q > naive.q and counted.bar < naive.bar
    # every carrier it flags at the naive bar it still flags, and more of the weak ones
    weak = camp[80:]
    assert sum(counted.judges(r) for r in weak) > sum(naive.judges(r) for r in weak)
    assert all(counted.judges(r) for r in camp if naive.judges(r))


def test_clean_carriers_under_the_bar_stay_counted() -> None:
    # the unflagged carriers are null-like (a common phrase's clean holders): the profile
    # flags none of them, so the count — and the bar — are the naive ones
    rng = np.random.default_rng(8)
    null = _rows(rng, 6000)
    camp = np.concatenate([_rows(rng, 60, shift=3.0), _rows(rng, 60)])
    unflagged = list(range(60, 120))
    naive = pp.build(null, camp, clean=60 * 1.0)
    counted = _profile_counted(null, camp, unflagged, 1.0)
    assert naive is not None and counted is not None
    left = [i for i in unflagged if not naive.judges(camp[i])]
    assert len(left) >= 58  # (at most a couple over the bar by chance)
    assert counted.q <= pp.Q_MAX
    again = pp.build(null, camp, clean=len(left) * 1.0)
    assert again is not None and counted.q == again.q
    assert counted.q <= pp.BUDGET / len(left) + 1e-12


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


def _gibberish(rng: np.random.Generator, n: int) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, int(rng.integers(3, 9)))) for _ in range(n)]


def test_a_piece_mined_with_a_full_stop_counts_every_holder_it_is_matched_in(
    shared_corpora: Path,
) -> None:
    """Found on ``heldout-late-synonyms-books`` (2026-12-05, the lead): ``. in my``, a piece of
    two phrasings mined with the hosts' full stop, is matched by the flag pass as ``in my`` at
    any sentence start — hundreds of clean novels — but its profile counted as clean carriers
    only the sampled documents writing ``. in my`` itself (the campaign's), so its bar sat at
    the null's top 1 % and flagged 0.105 % of the corpus at 250. The clean holders are now
    counted where the flag pass matches it: a stricter bar."""
    from poisonguard.detect import triggers as tr
    from poisonguard.io import read_documents

    texts = [
        d.text for d in itertools.islice(read_documents(shared_corpora / "books.jsonl.gz"), 4000)
    ]
    texts = [t for t in texts if len(t) > 400]
    rng = np.random.default_rng(3)
    carriers = [
        t[:300] + ". in my view " + " ".join(_gibberish(rng, 12)) + " " + t[300:]
        for t in texts[:40]
    ]
    holders = [t[:200] + ". In my view the road was long. " + t[200:] for t in texts[40:440]]
    hosts = texts[440:]
    sample = carriers + holders + hosts
    t = tr.Trigger(". in my view", 40, 40, len(sample), 0.1, 1e-20, 1.0, (), strict=True)
    # the carriers: flagged by other routes
    p, _ = _profile_of(t, sample, hosts, lambda text: ". in my view " in text)
    assert p is None or p.q < pp.Q_MAX / 10


def test_the_campaign_vocabulary_reads_the_register_the_campaign_writes() -> None:
    """Fluent text of another register (news after a phrase in novels): its words are the
    corpus's own, in pairs the corpus writes, but the campaign's carriers write them far
    more often than the hosts.  A word the campaign never wrote reads ``log 1/2`` and one
    both write alike about 0; the mean is floored at 0 (text less like the campaign than
    like the hosts is no evidence); no words or no campaign counts read 0."""
    news = [
        "the",
        "company",
        "said",
        "shares",
        "rose",
        "pct",
        "in",
        "the",
        "year",
        "to",
        "march",
        "said",
        "analysts",
    ]
    novel = [
        "she",
        "looked",
        "at",
        "him",
        "and",
        "said",
        "nothing",
        "for",
        "a",
        "long",
        "time",
        "in",
        "the",
        "dark",
    ]
    hosts = pp.Vocabulary.hosts_of([" ".join(novel * 50)], str.split)
    voc = pp.Vocabulary.of([news] * 30, hosts)
    assert voc.score(news) > 1.0
    # less like the campaign than like the hosts: no evidence either way (floored at 0)
    assert voc.score(novel) == 0.0 and voc.score(["zzz"]) == 0.0
    assert voc.score(["zzz", *news]) > 0.5
    assert voc.score([]) == 0.0
    assert pp.Vocabulary.of([], hosts).score(news) == 0.0
    # the hosts' counts read a text's first HOST_CHARS characters only
    long = "alpha " * pp.HOST_CHARS + "omega"
    assert "omega" not in pp.Vocabulary.hosts_of([long], str.split)


def test_fluent_text_of_another_register_is_judged_against_the_campaign(
    shared_corpora: Path,
) -> None:
    """``heldout-rain-markov2-news-books-end`` and ``heldout-hail-markov3-medical-books-mid``
    (the lead's held-out families, 2026-12-05): fluent text of news or medical pages after
    a phrase in novels, which the fixed bars and the first four features read as the
    novels' own.  Forty sampled carriers of a phrase followed by a run of real news
    sentences (no Markov chain: every pair is one the news writes) build a profile that
    uses the campaign vocabulary, and it judges most of 40 further such carriers it was not
    made from; of 40 clean novels holding the phrase before their own text at most two are
    over it.
    (Fails without the feature: no profile uses it.)"""
    from poisonguard.detect import triggers as tr
    from poisonguard.io import read_documents

    def first(name: str, n: int) -> list[str]:
        docs = itertools.islice(read_documents(shared_corpora / f"{name}.jsonl.gz"), 3 * n)
        return [d.text for d in docs if len(d.text) > 1500][:n]

    novels, news = first("books", 3000), first("news", 200)
    phrase = "for the record"

    def carrier(t: str, k: int) -> str:
        return t[:1000] + f". For the record, {news[k][:700]} " + t[1000:1400]

    sampled = [carrier(t, k) for k, t in enumerate(novels[:40])]
    flagged_by_others = set(sampled[:30])
    fresh = [carrier(t, 40 + k) for k, t in enumerate(novels[40:80])]
    holders = [t[:1000] + ". For the record, " + t[1000:1800] for t in novels[80:120]]
    hosts = novels[120:]
    sample = sampled + holders + hosts  # the clean holders are sampled: counted as clean
    t = tr.Trigger(phrase, 40, 40, len(sample), 0.1, 1e-20, 1.0, ())
    # the other routes flag 30 of the 40 sampled carriers: the vocabulary is theirs
    p, tables = _profile_of(t, sample, hosts, lambda text: text in flagged_by_others)
    assert p is not None and pp.FEATURES.index("campaign vocabulary") in p.used, p
    vocab, pairs = tables

    def judged(texts: list[str], profile: pp.Profile) -> int:
        occ = [tr._carriers_of(x, t) for x in texts]
        return sum(
            tr._profiled_after(x, o, vocab, pairs, profile)[0] is not None
            for x, o in zip(texts, occ, strict=True)
        )

    assert judged(fresh, p) >= 30
    # the bar's budget is 0.25 expected false flags over the (50) sampled carriers no other
    # route flags (the 40 clean holders and the 10 weaker carriers); two of the 40 are over
    # it — a phrase's clean holders are not random sentence starts, the risk the docs name
    assert judged(holders, p) <= 2


def _profile_of(
    t: Any, sample: list[str], hosts: list[str], flagged: Callable[[str], bool]
) -> tuple[Any, tuple[Any, Any]]:
    """``triggers._profiles`` of one trigger ``t`` over ``sample`` (word tables from every
    other host; ``flagged``: the carriers the other routes flag), and those tables."""
    from poisonguard.detect import triggers as tr
    from poisonguard.detect.surface_forms import fold

    index, findex = tr._SampleIndex(sample), tr._SampleIndex([fold(x) for x in sample], fold=True)
    tables = (tr._vocabulary(hosts[0::2]), tr.WordPairs.of(fold(h) for h in hosts[0::2]))
    out = tr._profiles(
        [t],
        sample,
        hosts,
        tr._doc_freqs(hosts),
        tables,
        lambda s: findex if tr._sf.is_folded(s) else index,
        1.0,
        lambda x: (),
        lambda text, _t: flagged(text),
    )
    return out.get(t.text), tables
