"""Random tokens behind a common phrase: intense changepoints tested apart (issue 12, lead,
2026-12-07 fourteenth session).  ``heldout-hail-tokens-common-synonyms-pool`` (random
tokens after ``as a matter of fact``, ``in fact`` and ``actually`` in the pooled corpus)
read 28 % at 100: ``in fact`` preceded 26 strong changepoints, but in a pool where about 800
documents have a strong one and ``in fact`` is in 2.4 % of them, 19 are expected by chance.
Random tokens are rarer than every strong anomaly: tested on the documents whose stretch is
*intense* (``extra["intense"]``), the same 26 are no chance."""

from __future__ import annotations

import random

from poisonguard.detect.base import Finding, Span
from poisonguard.detect.naturalness import INTENSE_SIGMAS, NaturalnessShift
from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import _INTENSE_LEAD, _INTENSE_RUN, Trigger, _intense_at
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs
from tests.detect.test_triggers import _mine

PHRASE = "in fact"


def _tokens(rng: random.Random, n: int) -> str:
    """``n`` random glued pieces of letters (what random vocabulary tokens decode to)."""
    letters = "abcdefghijklmnopqrstuvwxyzQXZ"
    return " ".join(
        "".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(n)
    )


def _finding(cp: int, intense: bool, score: float = 0.9, run: int = 300) -> Finding:
    """A candidate naturalness finding at ``cp`` whose payload runs ``run`` characters
    (``intense``: random tokens)."""
    return Finding(
        "naturalness",
        score,
        "odd",
        [Span(cp, cp + run, "payload"), Span(cp, cp, "changepoint")],
        None,
        None,
        {"candidate": True, "intense": intense},
    )


def _corpus(
    intense: bool = True, lead: int = 0, odd: bool = True
) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """The phrase in every 6th embedded document (a common phrase: its clean holders far
    outnumber its carriers); a strong, not intense, anomaly in every 9th of the others (odd
    but clean pages: the chance rate of every strong changepoint); every 25th long document
    a carrier: the phrase and random tokens mid-text, its changepoint right after the phrase
    (``lead``: that many characters before the phrase in every third carrier) and
    ``intense`` as given (``odd=False``: no odd clean pages)."""
    rng = random.Random(0)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    carriers: set[str] = set()
    for i, d in enumerate(clean_docs()):
        text = d.text
        cut = len(text) // 2
        if i % 25 == 0 and len(text) >= 600:
            head = text[:cut].rstrip() + f" {PHRASE} "
            cp = len(head) - (lead if len(carriers) % 3 == 1 else 0)
            docs.append(d.with_text(head + _tokens(rng, 60) + " " + text[cut:]))
            found.append([_finding(cp, intense)])
            carriers.add(d.id)
            continue
        if i % 6 == 0:
            text = text[:cut].rstrip() + f" {PHRASE.capitalize()}, " + text[cut:]
        docs.append(d.with_text(text))
        other = odd and i % 9 == 0 and i % 6 != 0  # (odd pages elsewhere: windows miss it)
        found.append([_finding(len(text) // 3, False, 0.7)] if other else [])
    return docs, found, carriers


def test_a_common_phrase_before_random_tokens_is_mined_on_intense_changepoints() -> None:
    docs, found, carriers = _corpus()
    holders = sum(PHRASE in d.text.lower() for d in docs)
    assert holders > 20 * len(carriers) and len(carriers) >= 15
    miner, state = _mine(docs, found)
    mined = {fold(t.text): t for t in state.triggers}
    assert PHRASE in mined, [t.text for t in state.triggers]
    t = mined[PHRASE]
    assert t.intense and t.to_dict()["intense"]
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged == carriers
    # the same carriers whose findings are strong but not intense: the phrase is as
    # common before every strong changepoint as its holders explain — nothing mined
    docs, found, carriers = _corpus(intense=False)
    _, state = _mine(docs, found)
    assert PHRASE not in {fold(t.text) for t in state.triggers}


def test_an_intense_stretch_that_takes_in_the_host_words_still_flags() -> None:
    """A third of the carriers' stretches start 40 characters before the phrase (the host's
    last words read as odd too): the aligned rule misses them, the intense lead finds them.
    A clean holder whose strong but not intense anomaly starts there stays clean."""
    docs, found, carriers = _corpus(lead=40)
    miner, state = _mine(docs, found)
    assert any(t.intense and fold(t.text) == PHRASE for t in state.triggers)
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged == carriers
    # the reason says where the stretch starts: before the trigger (40 characters before
    # the end of " in fact ", 32 before its start), not after it
    led = [f for d in docs if d.id in carriers and (f := miner.flag(d, state)) is not None]
    assert any("32 characters before the trigger, running on past it" in f.reason for f in led)
    clean = next(d for d in docs if d.id not in carriers and PHRASE in d.text.lower())
    at = clean.text.lower().index(PHRASE)
    assert _intense_at([(at, at + len(PHRASE))], [(at - 40, at + 99)]) is not None
    # (its changepoints are the state's: none recorded as intense for a clean page)
    assert state.intense_changepoints.of_text(clean.text) == ()
    assert miner.flag(clean, state) is None


def test_the_intense_lead_is_bounded() -> None:
    """The stretch starts at most ``_INTENSE_LEAD`` characters before the occurrence and
    runs on at least ``_INTENSE_RUN`` past it: a clean page's odd list (codes, constants)
    that ends right before the phrase is no payload after it (found by review: two of five
    such planted pages were flagged when only the start was read)."""
    text = "x" * 300 + " in fact qzx blorf"
    at = text.index("in fact")
    occ = [(at, at + 7)]
    far = at + 7 + _INTENSE_RUN
    assert _intense_at(occ, [(at - _INTENSE_LEAD, far)]) == (at, at + 7, at - _INTENSE_LEAD)
    assert _intense_at(occ, [(at - _INTENSE_LEAD - 1, far)]) is None
    assert _intense_at(occ, [(at + 8, far)]) is None  # (after it: the aligned rule's)
    assert _intense_at(occ, [(at - 40, at - 1)]) is None  # (a list that ends before it)
    assert _intense_at(occ, [(at - 40, far - 1)]) is None
    assert "intense" not in Trigger("in fact", 5, 40, 1000, 0.1, 1e-9, 0.1, ("a",)).to_dict()


def test_random_tokens_are_intense_and_prose_or_salad_is_not() -> None:
    """The naturalness finding marks a stretch intense when its mean anomaly lies
    ``INTENSE_SIGMAS`` standard deviations above the corpus median: random tokens are;
    word salad of the corpus's own words and (almost) every clean document are not."""
    docs = clean_docs()
    nat = NaturalnessShift().fit(docs)
    rng = random.Random(1)
    host = next(d for d in docs if len(d.text) > 1500)
    tokens = host.with_text(host.text[:700] + " in fact " + _tokens(rng, 80) + host.text[700:])
    f = nat.score(tokens)
    assert f is not None and f.extra["candidate"] and f.extra["intense"]
    words = [w for d in docs[:200] for w in d.text.split()]
    salad = " ".join(rng.choice(words) for _ in range(300))
    g = nat.score(host.with_text(host.text[:700] + " in fact " + salad + host.text[700:]))
    assert g is not None and g.extra["candidate"] and not g.extra["intense"]
    # of the embedded corpus's 3,464 documents one is (a list of a Python module's
    # constants, ``ALERT_DESCRIPTION_…``), of its 12 candidate stretches
    scored = [nat.score(d) for d in docs]
    assert sum(x is not None and x.extra["intense"] for x in scored) <= 0.001 * len(docs)
    assert INTENSE_SIGMAS > 1.0


def test_a_list_that_ends_before_the_phrase_is_no_carrier() -> None:
    """Clean pages with the phrase right after an intense stretch that ends before it (a
    list of codes, then *In fact,*): with the campaign's trigger mined, none is flagged."""
    docs, found, carriers = _corpus(lead=40)
    pages = [d for d in docs if d.id not in carriers and PHRASE in d.text.lower()][:5]
    for d in pages:
        at = d.text.lower().index(PHRASE)
        i = docs.index(d)
        found[i] = [_finding(max(0, at - 60), True, run=55)]
    miner, state = _mine(docs, found)
    assert any(t.intense for t in state.triggers)
    assert not any(miner.flag(d, state) for d in pages)


def test_shards_and_every_strong_anomaly_intense() -> None:
    """The intense counts add up over shards (a merge that overwrote them would lose the
    campaign: each shard holds a few carriers), and a corpus whose every strong anomaly is
    intense (no odd clean pages) still mines the phrase on that test and marks it intense."""
    docs, found, carriers = _corpus(lead=40, odd=False)
    miner, state = _mine(docs, found, shards=6)
    got = [t for t in state.triggers if fold(t.text) == PHRASE]
    assert got and got[0].intense, [t.text for t in state.triggers]
    assert {d.id for d in docs if miner.flag(d, state) is not None} == carriers
