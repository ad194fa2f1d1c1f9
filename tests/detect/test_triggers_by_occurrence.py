"""A word too common for any per-document test, right before random tokens: tested per
occurrence (issue 12, lead, 2026-12-08 sixteenth session).
``heldout-nimbus-perhaps-maybe-probably-sentence-end-decoy-llama-books`` read 67 % at 100:
``perhaps`` is in more than a quarter of novel passages, so the intense documents hold it
about as often as chance says (log p +4.9 against a bar of −13.8), its recurrence is unknown
(too common to list) and the decoys make it recur anyway — no route could keep it, though
random tokens followed it in 33 documents and follow almost none of its clean
occurrences."""

from __future__ import annotations

import random

from poisonguard.detect.base import Finding
from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import Trigger
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs
from tests.detect.test_triggers import _mine
from tests.detect.test_triggers_intense import _finding
from tests.detect.test_triggers_intense_only import _marks

WORD = "perhaps"
_SHARE = 0.001
"""The intense-only budget's share of the corpus for these tests (five times the
default)."""


def _sprinkled(text: str) -> str:
    """``text`` with ``WORD`` in its middle."""
    half = len(text) // 2
    return f"{text[:half]} {WORD} {text[half:]}"


def _corpus(
    gap: int = 0, intense: bool = True
) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """``WORD`` in the middle of 80 % of the embedded documents (in most sampled
    documents: too common to list, its recurrence unknown); every 400th of the others
    has an intense stretch of its own near its end (odd pages: the intense documents are
    not all carriers); every 50th long document a carrier: ``WORD`` as a decoy at its
    opening, then ``WORD``, ``gap`` characters of the host's words and random marks
    (:func:`_marks`) mid-text, the (``intense``) changepoint where the marks start.
    Returns the documents, their findings and the carriers."""
    rng = random.Random(5)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    carriers: set[str] = set()
    for i, d in enumerate(clean_docs()):
        text = d.text
        cut = len(text) // 2
        if i % 50 == 0 and len(text) >= 600:
            spacer = " ".join(text[cut:].split()[1:])[:gap].rstrip() + " " if gap else ""
            head = f"{WORD.capitalize()} " + text[:cut].rstrip() + f" {WORD} " + spacer
            docs.append(d.with_text(head + _marks(rng, 60) + " " + text[cut:]))
            found.append([_finding(len(head), intense)])
            carriers.add(d.id)
            continue
        if i % 5:
            text = _sprinkled(text)
        docs.append(d.with_text(text))
        odd = i % 400 == 3 and len(text) >= 600
        found.append([_finding(len(text) - 200, True, run=150)] if odd else [])
    return docs, found, carriers


def _word_trigger(triggers: list[Trigger]) -> Trigger | None:
    return next((t for t in triggers if fold(t.text) == WORD), None)


def test_a_too_common_word_right_before_random_tokens_is_tested_per_occurrence() -> None:
    docs, found, carriers = _corpus()
    holders = sum(WORD in d.text.lower() for d in docs)
    assert holders > 0.75 * len(docs) and len(carriers) >= 10
    # (the embedded corpus is small: at the default share, a budget of one clean flag,
    # which the word's 2,800 holders exceed — below)
    miner, state = _mine(docs, found, fixed_share=_SHARE)
    t = _word_trigger(state.triggers)
    assert t is not None, [x.text for x in state.triggers]
    # flagged as an intense-only trigger: near the carrier's own intense stretch only
    assert t.intense_only and t.intense and not t.aligned
    assert t.sample_docs > 0.75 * t.sample_size  # (in most sampled documents)
    assert t.p_value < miner.alpha and t.expected < 0.5 * t.anomalous_docs
    # (confirmed on stretches that start right at it: its band is closed below)
    assert t.band is not None and t.band[0] is not None and t.band[0] >= -(miner.align + 16)
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged == carriers
    # the intense-only budget still reads it: at the default share it is dropped
    _, state = _mine(docs, found)
    assert _word_trigger(state.triggers) is None


def test_the_per_occurrence_test_needs_the_stretch_near_the_word() -> None:
    """The same carriers with their random marks 200 characters after the word (beyond the
    intense route's window), or with strong but not intense findings: not kept."""
    for docs, found, _ in (_corpus(gap=200), _corpus(intense=False)):
        _, state = _mine(docs, found, fixed_share=_SHARE)
        assert _word_trigger(state.triggers) is None, [x.text for x in state.triggers]


def test_a_word_random_tokens_follow_at_chance_is_not_kept() -> None:
    """Odd pages whose intense stretch starts right after one of the word's clean
    occurrences as often as after any other sentence start: the count of intense documents
    after it is what its occurrences explain — no trigger, however many."""
    rng = random.Random(9)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    for i, d in enumerate(clean_docs()):
        text = d.text
        if i % 5:
            text = _sprinkled(text)
        docs.append(d.with_text(text))
        if i % 4 == 0 and len(text) >= 600:
            # (a stretch from a random word start: after the word now and then, by chance)
            starts = [k + 1 for k, c in enumerate(text[: len(text) - 200]) if c == " "]
            found.append([_finding(rng.choice(starts), True, run=150)])
        else:
            found.append([])
    _, state = _mine(docs, found, fixed_share=_SHARE)
    assert _word_trigger(state.triggers) is None, [x.text for x in state.triggers]


def test_clean_pages_that_write_the_word_often_and_hold_codes_are_no_campaign() -> None:
    """Found by review: ``maybe`` once in every 6th document, and 42 clean pages that
    write it five times each at random and hold one intense stretch (a table of codes) at a
    random word start.  Against the chance at random sentence starts, the 13 pages whose
    table happened to follow it made ``maybe`` a trigger and 20 pages were flagged; the
    null is now conditioned on the pages with stretches and where the word is in them."""
    rng = random.Random(1)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    for i, d in enumerate(clean_docs()):
        text = d.text
        if i % 20 == 7 and len(text) >= 500:
            for _ in range(5):
                at = rng.choice([k + 1 for k, c in enumerate(text) if c == " "])
                text = text[:at] + "maybe " + text[at:]
            at = rng.choice([k + 1 for k, c in enumerate(text[: len(text) - 200]) if c == " "])
            docs.append(d.with_text(text))
            found.append([_finding(at, True, run=150)])
            continue
        if i % 6 == 1:
            text = f"{text[: len(text) // 2]} maybe {text[len(text) // 2 :]}"
        docs.append(d.with_text(text))
        found.append([])
    miner, state = _mine(docs, found)
    assert not state.triggers, [t.text for t in state.triggers]
    assert not any(miner.flag(d, state) for d in docs)


def _syllables(rng: random.Random, n: int) -> str:
    """``n`` made-up words (a language the corpus does not write)."""
    return " ".join(
        "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiouy") for _ in range(3))
        for _ in range(n)
    )


def test_a_piece_confirmed_per_occurrence_never_hides_its_phrase() -> None:
    """Found by review: campaign A, ``at the end of the day`` before made-up words in 29
    hosts (15 with an intense finding, 14 with none: only the fixed bars see them), and a
    cheap campaign B, ``day``, a few host words and random marks in 26 hosts, ``day`` in
    80 % of the documents.  ``day`` passed the per-occurrence test with a smaller p-value
    than the phrase, hid it as its piece, and was then dropped by the budget: nothing of A
    was flagged.  Those of the per-occurrence test now come after every other trigger."""
    rng = random.Random(3)
    docs: list[Document] = []
    found: list[list[Finding]] = []
    a_carriers: set[str] = set()
    for i, d in enumerate(clean_docs()):
        text, cut = d.text, len(d.text) // 2
        if i % 40 == 0 and len(text) >= 400:
            head = text[:cut].rstrip() + " at the end of the day "
            docs.append(d.with_text(head + _syllables(rng, 40) + " " + text[cut:]))
            found.append([_finding(len(head), True)] if len(a_carriers) % 2 == 0 else [])
            a_carriers.add(d.id)
            continue
        if i % 40 == 20 and len(text) >= 400:
            spacer = " ".join(text[cut:].split()[1:])[: rng.randint(14, 36)].rstrip()
            head = text[:cut].rstrip() + " day " + spacer + " "
            docs.append(d.with_text(head + _marks(rng, 60) + " " + text[cut:]))
            found.append([_finding(len(head), True)])
            continue
        if i % 5:
            text = f"{text[:cut]} day {text[cut:]}"
        docs.append(d.with_text(text))
        found.append([])
    assert len(a_carriers) >= 25
    miner, state = _mine(docs, found)
    assert any(fold(t.text) == "at the end of the day" for t in state.triggers)
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert a_carriers <= flagged
