"""A short payload after a phrase so common that the purity test's search of the sample
gives up on it (issue 12, task C): its recurrence within documents is read as far as the
sample read goes, so the read is tried; a phrase that clean documents write several times
each stays recurring text."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
import pytest

from poisonguard.attacks.evasive import WordSalad
from poisonguard.detect.base import Finding
from poisonguard.detect.surface_forms import fold
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs
from tests.detect.test_triggers import _changepoint, _mine, _weak

_PHRASE = "all things considered"
# a sentence opening or a paragraph starting with a capital: where a writer puts the phrase
_SPOT = re.compile(r"[a-z]{2}\. (?=[A-Z])|\n\n(?=[A-Z])")
# 24 words of plain prose after a sentence end (the clean holders' text after the phrase)
_RUN = re.compile(r"(?<=\. )[A-Z](?:[a-z]*,?\s+){23}[a-z]+")


@lru_cache(maxsize=4)
def _common(
    every: int, repeats: int, phrase: str = "All things considered"
) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """Every 12th embedded document (of at least 600 characters) carries ``phrase`` and 25
    words of the corpus's word salad after half of its text, the host
    going on; only ten carriers get a (weak) finding at the phrase, the others none (a
    payload too short for the document detectors).  Every ``every``-th other document
    (2 or 4) of more than 400 characters writes the phrase ``repeats`` times at sentence or
    paragraph openings, each time followed by 24 words of prose copied from a document
    that does not write it (so the corpus writes their word pairs): a common phrase, in
    far more sampled documents
    than a campaign of a few counted carriers lets the purity test search.  Every tenth
    document has a changepoint somewhere (half of them weak).  Returns the carriers' ids
    too."""
    texts = [d.text for d in clean_docs()]
    source = WordSalad(texts)
    runs = [
        " ".join(m.group(0).split())
        for i, t in enumerate(texts)
        if i % 4 == 2  # (never a holder: ``every`` is 2 or 4)
        for m in _RUN.finditer(t)
    ]
    rng = np.random.default_rng(3)
    shown = 10
    docs: list[Document] = []
    found: list[list[Finding]] = []
    carriers: set[str] = set()
    for i, d in enumerate(clean_docs()):
        text, f = d.text, []
        if i % 12 == 0 and len(text) >= 600:
            cut = len(text) // 2
            head = text[:cut].rstrip() + f" {phrase} "
            text = head + " ".join(source.sample(25, rng)) + ". " + text[cut:]
            carriers.add(d.id)
            if shown:
                f, shown = [_weak(len(head))], shown - 1
        elif (
            i % every == 3 % every
            and len(text) > 400
            and len(spots := [m.end() for m in _SPOT.finditer(text)]) >= repeats
        ):
            for at in sorted(spots[:repeats], reverse=True):
                run = runs[int(rng.integers(len(runs)))]
                said = f"{phrase}, " + run[0].lower() + run[1:] + ". "
                text = text[:at] + said + text[at:]
        elif i % 10 == 1 and len(text) > 200:
            cp = int(rng.integers(50, len(text) - 50))
            f = [_changepoint(cp, 0.5)] if i % 20 == 1 else [_weak(cp)]
        docs.append(d.with_text(text))
        found.append(f)
    return docs, found, carriers


def test_a_short_payload_after_a_phrase_too_common_for_the_purity_search() -> None:
    """Two hundred clean documents write the phrase once each, in their prose, beside 55
    carriers of which ten are counted at changepoints: the purity test's search of the
    sample stops long before (it reads a few times the counted carriers), so the phrase's
    recurrence within documents came back unknown and the phrase was taken for recurring
    text — never read, nothing mined (books' ``on the whole``, task A).  Its examples
    point at a payload at it, so its recurrence is read as far as the sample read goes:
    once per document, no recurring text; the read finds salad after it in the carriers
    and in none of the clean documents that write it — mined, the carriers flagged, no
    clean holder."""
    docs, found, carriers = _common(every=4, repeats=1)
    holders = {d.id for d in docs if _PHRASE in d.text.lower()}
    assert len(holders - carriers) >= 200
    # (the fixed bars' budget off: a phrase in 200 clean pages of a corpus of code and
    # tables is over it, and a short payload has no changepoint — see the next test)
    miner, state = _mine(docs, found, fixed_share=math.inf)
    assert _PHRASE in [fold(t.text) for t in state.triggers]
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged <= carriers
    assert len(flagged) >= 0.85 * len(carriers)


def test_a_short_payload_after_a_phrase_over_the_fixed_bars_budget_is_given_up() -> None:
    """The same corpus with the fixed bars' budget (the default): the phrase's 200 clean
    holders times the rate at which those bars fire at the corpus's sentence starts (code
    and tables: about one in twenty) is far over it, so the phrase is changepoint only —
    mined and shown, no clean holder flagged, and the carriers with no changepoint at it
    (a payload too short for one) are given up: what the budget trades for clean pages
    (``heldout-hail-tokens-common-synonyms-pool``: 0.110 % → 0.060 % of clean documents)."""
    docs, found, carriers = _common(every=4, repeats=1)
    miner, state = _mine(docs, found)
    (t,) = [t for t in state.triggers if fold(t.text) == _PHRASE]
    assert t.changepoint_only and t.to_dict()["changepoint_only"] is True
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged <= carriers
    assert len(flagged) < 0.5 * len(carriers)


def test_a_phrase_in_more_documents_than_the_read_takes_stays_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same campaign where the read's own cap is below the phrase's holders: its
    recurrence stays unknown, it is taken for recurring text as before, nothing is mined
    or flagged (the read could not list its documents anyway)."""
    import poisonguard.detect.triggers as triggers

    docs, found, _ = _common(every=4, repeats=1)
    holders = sum(_PHRASE in d.text.lower() for d in docs)
    monkeypatch.setattr(triggers, "_READ_CAP", holders - 1)
    miner, state = _mine(docs, found)
    assert _PHRASE not in [fold(t.text) for t in state.triggers]
    assert not any(miner.flag(d, state) for d in docs)


def test_a_common_phrase_clean_documents_repeat_is_still_recurring_text() -> None:
    """Adversarial: the clean documents write the phrase three times each (a phrase a
    source repeats, like markup or a manual's stock sentence), in more documents than the
    purity search reads.  Read up to the read's cap, its median recurrence is three: it is
    recurring text, judged per occurrence, and not read — nothing is mined, no document
    that writes it is flagged (the campaign behind it is lost too: the documented blind
    spot)."""
    docs, found, carriers = _common(every=2, repeats=3)
    holders = {d.id for d in docs if _PHRASE in d.text.lower()}
    assert len(holders - carriers) >= 200
    miner, state = _mine(docs, found)
    assert _PHRASE not in [fold(t.text) for t in state.triggers]
    assert not any(miner.flag(d, state) for d in docs if d.id in holders)


def test_a_phrase_opening_with_a_one_letter_word_keeps_its_recurrence_unknown() -> None:
    """The same campaign behind ``A far cry``: the sample is searched for the phrase as a
    string, so ``a far cry`` is also found at the end of any word ending in ``a`` — its
    documents and recurrence are not the phrase's, and reading them (then the sample's
    word pairs) for a clean string of that shape (``s such as`` in medical pages) was the
    rule's whole cost; its recurrence stays unknown and nothing is mined (the rule's give-up)."""
    docs, found, carriers = _common(every=4, repeats=1, phrase="A far cry")
    holders = {d.id for d in docs if "a far cry" in d.text.lower()}
    assert len(holders - carriers) >= 200
    _, state = _mine(docs, found)
    assert "a far cry" not in [fold(t.text) for t in state.triggers]
