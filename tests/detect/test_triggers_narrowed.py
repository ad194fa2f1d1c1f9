"""A common word confirmed on its purity is flagged only where the anomaly starts at it
when a changepoint anywhere after it would flag too many of its clean holders (issue 12,
lead, 2026-12-07 fifteenth session).  ``heldout-nimbus-perhaps-maybe-probably-sentence-end-
decoy-llama-books`` flagged 0.235 % of clean novels at 250: the campaign wrote ``. perhaps``
in lower case, a string in 38 of 10,000 sampled novels, most of them carriers, so it was
confirmed on its purity; the flag pass matches the word at every sentence opening, in any
case (1,226 clean novels of 20,000), and a changepoint anywhere within 200 characters after
it flagged 36 of them."""

from __future__ import annotations

import random

from poisonguard.detect.base import Finding
from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import Trigger, TriggerMiner
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs
from tests.detect.test_triggers import _mine
from tests.detect.test_triggers_intense import _finding, _tokens

WORD = "perhaps"


def _corpus(
    clause_every: int = 4, odd_at: tuple[int, int] = (60, 180)
) -> tuple[list[Document], list[list[Finding]], set[str], set[str], set[str]]:
    """``Perhaps`` opening a sentence in every other embedded document (a common word: its
    clean holders far outnumber the carriers); in every 5th of those an odd passage starts
    60–180 characters after it (a clean page's table or verse further on); every 30th long
    document a carrier: ``. perhaps`` in lower case, then random tokens, the changepoint
    where the tokens start.  Returns the documents, their findings, the carriers whose
    anomaly starts at the word, those whose payload opens with a clause, and the clean
    pages with an odd passage after the word."""
    rng = random.Random(3)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    carriers: set[str] = set()
    far: set[str] = set()
    odd: set[str] = set()
    for i, d in enumerate(clean_docs()):
        text = d.text
        cut = len(text) // 2
        if i % 30 == 0 and len(text) >= 600:
            head = text[:cut].rstrip().rstrip(".") + f". {WORD} "
            # (every 4th payload opens with a short clause of host text: its changepoint
            # 40-50 characters after the word, where the examples leave the band open)
            k = len(carriers) + len(far)
            clause = (
                text[cut : cut + rng.randint(40, 50)] + " "
                if k % clause_every == clause_every - 1
                else ""
            )
            docs.append(d.with_text(head + clause + _tokens(rng, 60) + " " + text[cut:]))
            found.append([_finding(len(head) + len(clause), False)])
            (far if clause else carriers).add(d.id)
            continue
        if i % 2 == 0 and len(text) >= 200:
            head = text[:cut].rstrip().rstrip(".") + f". {WORD.capitalize()} "
            text = head + text[cut:]
            if i % 10 == 0:
                docs.append(d.with_text(text))
                found.append([_finding(len(head) + rng.randint(*odd_at), False, run=120)])
                odd.add(d.id)
                continue
        docs.append(d.with_text(text))
        found.append([])
    return docs, found, carriers, far, odd


def _word_trigger(state_triggers: list[Trigger]) -> Trigger:
    got = [t for t in state_triggers if fold(t.text) == WORD]
    assert got, [t.text for t in state_triggers]
    return got[0]


def test_a_common_word_confirmed_on_purity_is_narrowed_to_aligned() -> None:
    docs, found, carriers, far, odd = _corpus()
    holders = sum(f". {WORD.capitalize()} " in d.text for d in docs)
    assert holders > 20 * len(carriers) and len(carriers) >= 15 and len(odd) >= 25 and far
    # without the budget (``fixed_share=inf``): confirmed on purity, a band open after it
    # (the carriers whose payload opens with a clause), and a changepoint anywhere within
    # ``reach`` after it flags the odd clean pages
    wide, state = _mine(docs, found, fixed_share=float("inf"))
    t = _word_trigger(state.triggers)
    assert not t.aligned and t.narrowed == 0.0 and t.purity > 0.9
    assert t.band is None or t.band[1] is None
    flagged = {d.id for d in docs if wide.flag(d, state) is not None}
    assert carriers | far <= flagged
    assert len(flagged & odd) >= 0.8 * len(odd)
    # with it: narrowed (the expected clean flags shown) and no odd clean page flagged;
    # every carrier whose anomaly starts at the word still is — those whose payload opens
    # with a clause are the price (documented in docs/detectors.md)
    miner, state = _mine(docs, found)
    t = _word_trigger(state.triggers)
    assert t.aligned and t.narrowed > 1.0 and t.to_dict()["narrowed"] == t.narrowed
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged == carriers


def test_narrowed_where_every_payload_opens_with_a_clause_keeps_its_carriers() -> None:
    """Every carrier's payload opens with 40–50 characters of host text: the examples put
    the anomaly 27 or more characters after the word, beyond the aligned window. Narrowed,
    its band is closed at the window candidates are taken from instead — every carrier
    still flagged, the odd clean pages 100–180 characters on not (found by review: made
    aligned, such a trigger flagged none of its carriers)."""
    docs, found, carriers, far, _odd = _corpus(clause_every=1, odd_at=(100, 180))
    assert not carriers and len(far) >= 15
    miner, state = _mine(docs, found)
    t = _word_trigger(state.triggers)
    assert t.narrowed > 1.0 and not t.aligned
    assert t.band is not None and t.band[0] is not None and t.band[0] > miner.align
    assert t.band[1] is not None and t.band[1] < miner.reach
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged == far


def test_a_rare_planted_string_keeps_the_wide_route() -> None:
    """A string held by its carriers only keeps a changepoint anywhere within ``reach``:
    a payload that opens with a sentence of natural text puts the changepoint 60–180
    characters after the trigger, and the budget must not cost those carriers."""
    rng = random.Random(4)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    carriers: set[str] = set()
    for i, d in enumerate(clean_docs()):
        text = d.text
        if i % 30 == 0 and len(text) >= 600:
            cut = len(text) // 2
            head = text[:cut].rstrip() + " zebracorn lantern "
            gap = rng.randint(40, 50)
            docs.append(d.with_text(head + text[cut : cut + gap] + _tokens(rng, 60)))
            found.append([_finding(len(head) + gap, False)])
            carriers.add(d.id)
        else:
            docs.append(d)
            found.append([])
    miner, state = _mine(docs, found)
    assert state.triggers, "nothing mined"
    assert all(t.narrowed == 0.0 for t in state.triggers)
    assert {d.id for d in docs if miner.flag(d, state) is not None} == carriers
    assert "narrowed" not in Trigger("x", 5, 40, 1000, 0.1, 1e-9, 0.9, ("a",)).to_dict()


def test_narrowing_needs_a_miner_budget() -> None:
    """``fixed_share=inf`` turns every budget off, this one included."""
    assert TriggerMiner(fixed_share=float("inf")).fixed_share == float("inf")
