"""A common phrase a few host words before random tokens: confirmed by the intense test
alone, flagged only near the carrier's own intense stretch (issue 12, lead, 2026-12-07
fifteenth session).  ``heldout-nimbus-according-to-reported-clause-spacer-neox-news``
(``according to`` or ``as reported by``, two to four host words, then NeoX tokens) read
45 % at 100: ``according to`` passed the intense test (45 of the 86 intense documents,
p = 10⁻¹¹ after Bonferroni) but is in 4 % of news pages (not pure), and the spacer puts the
anomaly 1–37 characters after it (not aligned), so it was never kept."""

from __future__ import annotations

import random
from dataclasses import replace

from poisonguard.detect.base import Finding
from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import (
    _INTENSE_LEAD,
    _INTENSE_RUN,
    Trigger,
    TriggerMiner,
    _intense_at,
    _SampleIndex,
)
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs
from tests.detect.test_triggers import _mine
from tests.detect.test_triggers_intense import _finding

PHRASE = "according to"


def _marks(rng: random.Random, n: int) -> str:
    """``n`` runs of punctuation and symbols: random bytes as a tokenizer might decode
    them — as intense as random tokens to the document's model, but no words, so the
    sample read (word salad after the phrase, which confirms a spaced phrase before
    random *words*) cannot confirm the phrase; the NeoX tokens of the held-out family
    escaped that read too."""
    marks = "{}()[]/=+*#@%&|<>~^"
    return " ".join("".join(rng.choice(marks) for _ in range(rng.randint(2, 6))) for _ in range(n))


def _corpus(
    intense: bool = True, clean_intense: int = 0, before: bool = False
) -> tuple[list[Document], list[list[Finding]], set[str], set[str]]:
    """The phrase in every 5th embedded document; a strong, not intense, anomaly in every
    9th of the others; every 25th long document a carrier: the phrase, 14-36 characters of
    the host's own words, then random marks (:func:`_marks`), the (``intense``)
    changepoint where the marks start.  ``clean_intense``: that many clean holders get an
    intense stretch of their own (a table of codes) starting 5-40 characters after the
    phrase.  Returns the documents, their findings, the carriers and those clean holders."""
    rng = random.Random(2)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    carriers: set[str] = set()
    odd_holders: set[str] = set()
    for i, d in enumerate(clean_docs()):
        text = d.text
        cut = len(text) // 2
        if i % 25 == 0 and len(text) >= 600:
            spacer = " ".join(text[cut:].split()[1:])[: rng.randint(14, 36)].rstrip()
            head = text[:cut].rstrip() + f" {PHRASE} " + spacer + " "
            docs.append(d.with_text(head + _marks(rng, 60) + " " + text[cut:]))
            found.append([_finding(len(head), intense)])
            carriers.add(d.id)
            continue
        if i % 5 == 0:
            at = len(text[:cut].rstrip()) + len(PHRASE) + 2  # (the phrase's end)
            text = text[:cut].rstrip() + f" {PHRASE} " + text[cut:]
            if len(odd_holders) < clean_intense and len(text) >= 600:
                docs.append(d.with_text(text))
                # (``before``: the stretch starts 40-90 characters before the phrase)
                shift = -len(PHRASE) - rng.randint(40, 90) if before else rng.randint(5, 40)
                found.append([_finding(at + shift, True, run=200)])
                odd_holders.add(d.id)
                continue
        docs.append(d.with_text(text))
        other = i % 9 == 0 and i % 5 != 0  # (odd pages elsewhere)
        found.append([_finding(len(text) // 3, False, 0.7)] if other else [])
    return docs, found, carriers, odd_holders


def _phrase_trigger(triggers: list[Trigger]) -> Trigger | None:
    return next((t for t in triggers if fold(t.text) == PHRASE), None)


def test_a_common_phrase_a_few_words_before_random_tokens_is_intense_only() -> None:
    docs, found, carriers, _ = _corpus()
    holders = sum(PHRASE in d.text.lower() for d in docs)
    assert holders > 10 * len(carriers) and len(carriers) >= 15
    miner, state = _mine(docs, found)
    t = _phrase_trigger(state.triggers)
    assert t is not None, [x.text for x in state.triggers]
    assert t.intense_only and t.intense and not t.aligned and t.purity < 0.3
    assert t.to_dict()["intense_only"] is True
    # its band: where its examples put the stretch's start, a few words after it
    assert t.band is not None and t.band[1] is not None and 10 < t.band[1] <= miner.before + 16
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged == carriers
    f = next(f for d in docs if d.id in carriers and (f := miner.flag(d, state)) is not None)
    assert "intense stretch" in f.reason and "characters after it" in f.reason
    # the same carriers with strong but not intense findings: nothing of the phrase kept
    docs, found, carriers, _ = _corpus(intense=False)
    _, state = _mine(docs, found)
    assert _phrase_trigger(state.triggers) is None


def test_clean_holders_near_intense_stretches_are_flagged_only_there() -> None:
    """Three clean holders with an intense stretch of their own a few words after the
    phrase (a table of codes): those may be flagged, never a clean holder without one."""
    docs, found, carriers, odd = _corpus(clean_intense=3)
    assert len(odd) == 3
    miner, state = _mine(docs, found)
    t = _phrase_trigger(state.triggers)
    assert t is not None and t.intense_only
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert carriers <= flagged <= carriers | odd


def test_a_stretch_that_starts_before_the_band_is_no_carrier() -> None:
    """Clean holders whose intense stretch starts 40–90 characters before the phrase and
    runs on past it: the intense-only route starts at the band's lower edge, not
    ``_INTENSE_LEAD`` before the phrase (found by review: all ten were flagged)."""
    docs, found, carriers, odd = _corpus(clean_intense=10, before=True)
    miner, state = _mine(docs, found)
    t = _phrase_trigger(state.triggers)
    assert t is not None and t.intense_only and t.band is not None
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged == carriers and not flagged & odd


def _heading_corpus() -> tuple[list[Document], list[list[Finding]], set[str]]:
    """A clean source of its own: every 10th embedded document opens with ``Package
    manifest``, a few of its own words, then a hex listing, read as intense with a mild
    score — the layout of an opening campaign, but the phrase is never written elsewhere."""
    rng = random.Random(8)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    pages: set[str] = set()
    for i, d in enumerate(clean_docs()):
        if i % 10 == 0 and len(d.text) >= 200:
            head = "Package manifest " + " ".join(d.text.split()[:3]) + " "
            hexes = " ".join(f"{rng.getrandbits(32):08x}" for _ in range(40))
            docs.append(d.with_text(head + hexes + "\n" + d.text))
            found.append([_finding(len(head), True, score=0.5)])
            pages.add(d.id)
        else:
            docs.append(d)
            found.append([])
    return docs, found, pages


def test_a_source_heading_before_intense_listings_stays_a_header() -> None:
    """A heading that only ever opens its source's pages, before intense text, is still a
    header: nothing of it kept, none of its clean pages flagged (found by review: without
    the away-from-openings check, all 157 of its pages were)."""
    docs, found, pages = _heading_corpus()
    assert len(pages) >= 80
    miner, state = _mine(docs, found)
    assert not [t for t in state.triggers if "manifest" in fold(t.text)], state.triggers
    assert not {d.id for d in docs if miner.flag(d, state) is not None} & pages


def test_an_intense_only_trigger_is_budgeted_on_its_clean_holders() -> None:
    """The budget (:meth:`TriggerMiner._intense_budgeted`): a phrase in a thousand sampled
    documents, in a corpus where a fifth of the hosts have intense stretches everywhere
    (a dump of encoded blobs), would be expected to flag far more clean holders than the
    budget allows: dropped. With intense stretches only in its carriers: kept. Without a
    budget (``fixed_share=inf``): kept."""
    filler = "The committee met again. It agreed on the plan. Nobody objected to it. "
    holders = [filler + f"The figures, {PHRASE} the report, were final. " + filler] * 1000
    hosts = [filler * 3 for _ in range(2000)]
    sample = holders + hosts
    blobs = {id(h) for h in hosts[::5]}

    def everywhere(x: str) -> list[tuple[int, int]]:
        return [(k, k + 200) for k in range(0, len(x), 50)] if id(x) in blobs else []

    t = Trigger(PHRASE, 30, 1000, 3000, 1.0, 1e-9, 0.03, ("a",), intense=True, intense_only=True)
    ix = _SampleIndex(sample)
    miner = TriggerMiner()
    assert miner._intense_budgeted([t], sample, hosts, lambda _: ix, 1.0, everywhere) == []
    sharp = replace(t, sharp=True)  # (no sharp stretch flags a sampled holder)
    assert miner._intense_budgeted([t], sample, hosts, lambda _: ix, 1.0, lambda _: []) == [sharp]
    free = TriggerMiner(fixed_share=float("inf"))
    assert free._intense_budgeted([t], sample, hosts, lambda _: ix, 1.0, everywhere) == [sharp]

    # sharp stretches after the phrase in every holder: kept, the sharp route off
    def anywhere(x: str) -> list[tuple[int, int]]:
        return [(k, k + 200) for k in range(0, len(x), 50)]

    got = miner._intense_budgeted([t], sample, hosts, lambda _: ix, 1.0, lambda _: [], anywhere)
    assert got == [t] and not got[0].sharp


def test_the_intense_route_after_the_occurrence() -> None:
    """``after``: a stretch may start up to that many characters past the occurrence's
    end, and must itself run on ``_INTENSE_RUN`` characters."""
    occ = [(500, 512)]
    assert _intense_at(occ, [(530, 700)]) is None  # (after it: not without ``after``)
    assert _intense_at(occ, [(530, 700)], after=40) == (500, 512, 530)
    assert _intense_at(occ, [(553, 700)], after=40) is None
    assert _intense_at(occ, [(530, 530 + _INTENSE_RUN - 1)], after=40) is None
    assert _intense_at(occ, [(500 - _INTENSE_LEAD, 560)], after=40) is not None
    assert "intense_only" not in Trigger("x", 5, 40, 1000, 0.1, 1e-9, 0.9, ("a",)).to_dict()


def _opening_corpus(intense: bool) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """``These days`` opening every 25th long document, 14-36 characters of its own
    words, then random marks: the changepoint there with a *mild* candidate score (0.5,
    as a few host words first make it) and ``intense`` as given; the phrase also opens a
    sentence mid-text in every 5th other document (clean holders)."""
    rng = random.Random(6)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    carriers: set[str] = set()
    for i, d in enumerate(clean_docs()):
        text = d.text
        if i % 25 == 0 and len(text) >= 600:
            spacer = " ".join(text.split()[:8])[: rng.randint(14, 36)].rstrip()
            head = f"These days {spacer} "
            docs.append(d.with_text(head + _marks(rng, 60) + " " + text))
            found.append([_finding(len(head), intense, score=0.5)])
            carriers.add(d.id)
            continue
        if i % 5 == 0:
            cut = len(text) // 2
            text = text[:cut].rstrip() + " These days " + text[cut:]
        docs.append(d.with_text(text))
        found.append([])
    return docs, found, carriers


def test_an_opening_phrase_before_intense_mild_looking_tokens_is_no_header() -> None:
    """A string with no host text before it and mild anomalies after it is one source's
    header, unless nearly every anomaly after it is intense (``_HOT_HEADING``): then it is
    judged by the intense test alone (``in recent years``, ``these days`` and ``nowadays``
    opening pooled pages before LLaMA tokens: 33 % at 250 before)."""
    docs, found, carriers = _opening_corpus(intense=True)
    miner, state = _mine(docs, found)
    got = [t for t in state.triggers if fold(t.text) == "these days"]
    assert got and got[0].intense_only, [t.text for t in state.triggers]
    assert {d.id for d in docs if miner.flag(d, state) is not None} == carriers
    # the same mild anomalies, not intense: a header, nothing of it kept
    docs, found, carriers = _opening_corpus(intense=False)
    _, state = _mine(docs, found)
    assert not [t for t in state.triggers if "days" in fold(t.text)], state.triggers


def _sharp(cp: int, sharp: bool = True) -> Finding:
    """A weak naturalness finding at ``cp`` (no candidate: a payload of a few dozen
    tokens), as odd as random tokens when ``sharp``."""
    f = _finding(cp, False, score=0.22, run=260)
    f.extra.update(candidate=False, sharp=sharp)
    return f


def test_a_short_payload_as_odd_as_random_tokens_is_flagged_near_the_trigger() -> None:
    """A carrier whose payload is too short for a candidate but as odd as random tokens
    (``extra["sharp"]``; the miner counts it nowhere): flagged by an intense-only trigger
    that the other carriers confirmed, near that stretch only, while the sampled holders
    flagged through a sharp stretch alone stay within the budget (one document in this
    corpus of 3,464: the share's 0.7, at least one); a plain weak finding there is not
    flagged (the held-out ``according to`` family: 3 of its 9 misses at 100, gain 37–38
    against a candidate bar of 40).  Two such carriers are over the budget — clean pages or
    carriers, no test tells: the sharp route is off and neither is flagged (the price)."""
    docs, found, carriers, _ = _corpus()

    def with_short(
        n: int, sharp: bool = True, shift: int = 0
    ) -> tuple[list[list[Finding]], set[str]]:
        out = [list(f) for f in found]
        short = set(sorted(carriers)[:n])
        for k, d in enumerate(docs):
            if d.id in short:
                out[k] = [_sharp(found[k][0].spans[1].start + shift, sharp)]
        return out, short

    one, _ = with_short(1)
    miner, state = _mine(docs, one)
    t = _phrase_trigger(state.triggers)
    assert t is not None and t.intense_only and t.sharp and t.to_dict()["sharp"] is True
    assert {d.id for d in docs if miner.flag(d, state) is not None} == carriers
    for other in (with_short(1, sharp=False), with_short(1, shift=300), with_short(2)):
        miner, state = _mine(docs, other[0])
        flagged = {d.id for d in docs if miner.flag(d, state) is not None}
        assert flagged == carriers - other[1]
