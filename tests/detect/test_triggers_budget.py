"""A trigger as common as ``in fact`` (hundreds of clean carriers) is flagged through a
changepoint or its payload profile only, where the flag pass's fixed bars would be
expected to flag more than a clean carrier of the corpus (issue 12, lead, 2026-12-05: the
held-out ``heldout-hail-tokens-common-synonyms-pool`` flagged 0.110 % of clean pages, most
of them wiki pages whose ``in fact`` a table or a list follows)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

import numpy as np

from poisonguard.detect import surface_forms as sf
from poisonguard.detect.triggers import (
    Changepoints,
    Trigger,
    TriggerMiner,
    TriggerState,
    WordPairs,
    _SampleIndex,
    _vocabulary,
    text_digest,
)
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs

_LETTERS = np.array(list("bcdfghjklmnpqrstvwxz"))


def _junk(rng: np.random.Generator, n: int) -> str:
    """``n`` made-up words (foreign to any vocabulary; their pairs unseen)."""
    return " ".join("".join(rng.choice(_LETTERS, size=int(rng.integers(5, 9)))) for _ in range(n))


@lru_cache(maxsize=1)
def _sentences() -> tuple[str, ...]:
    """Sentences of plain prose of the clean documents (letters and light punctuation)."""
    out = {
        m.group(0)
        for d in clean_docs()
        for m in re.finditer(r"(?<=\. )[A-Z][a-z]+[a-z ,']{40,200}\.", d.text)
    }
    return tuple(sorted(out))


@lru_cache(maxsize=2)
def _sample(noisy: bool) -> tuple[str, ...]:
    """A scan's sample of 3,000 documents of eight sentences each, drawn from the prose
    sentences of the clean documents (a corpus whose pair table knows its own text); with
    ``noisy``, a run of 15 made-up words (a table, a list of codes) after every other
    sentence, as in the pages of a wiki dump whose sentences a table follows.  Every third
    document writes ``In fact,`` at its second sentence (a common phrase: a thousand clean
    carriers in the corpus)."""
    pool = _sentences()
    rng = np.random.default_rng(5)
    out: list[str] = []
    for i in range(3000):
        parts = [pool[int(k)] for k in rng.integers(len(pool), size=8)]
        if noisy:
            parts = [p + (" " + _junk(rng, 15) + "." if k % 2 else "") for k, p in enumerate(parts)]
        if i % 3 == 0:
            parts[1] = "In fact, " + parts[1][0].lower() + parts[1][1:]
        out.append(" ".join(parts))
    return tuple(out)


def _trigger(**kw: object) -> Trigger:
    base = Trigger("in fact", 20, 0, 0, 1.0, 1e-9, 0.1, (), canonical="in fact", aligned=True)
    return replace(base, **kw)  # type: ignore[arg-type]


def _budgeted(sample: tuple[str, ...], t: Trigger, scale: float, carriers: bool = False) -> Trigger:
    """``t`` as the budget leaves it; ``carriers``: every holder is flagged by the flag
    pass (a campaign's own carriers), else none is (its clean holders)."""
    miner = TriggerMiner()
    findex, index = _SampleIndex(sample, fold=True), _SampleIndex(sample)

    def ix(s: str) -> _SampleIndex:
        return findex if sf.is_folded(s) else index

    hosts = list(sample)
    tables = (_vocabulary(hosts[0::2]), WordPairs.of(sf.fold(h) for h in hosts[0::2]))
    (out,) = miner._fallback_budgeted(
        [t], sample, hosts, tables, "en", ix, scale, lambda text, trig: carriers
    )
    return out


def test_a_common_phrase_before_tables_is_flagged_through_changepoints_only() -> None:
    sample = _sample(noisy=True)
    held = sum("In fact, " in s for s in sample)
    assert held == 1000
    # its clean carriers (held x 2 to the corpus, none flagged) times a rate of
    # about one null position in two: far over the budget of one expected false flag
    assert _budgeted(sample, _trigger(), scale=2.0).changepoint_only


def test_the_same_phrase_in_clean_prose_keeps_its_fixed_bars() -> None:
    # the fixed bars seldom fire at a sentence start of plain prose: the same phrase, as
    # common, keeps them (fails if every common trigger lost them)
    assert not _budgeted(_sample(noisy=False), _trigger(), scale=2.0).changepoint_only


def test_a_trigger_whose_holders_are_its_carriers_keeps_its_fixed_bars() -> None:
    # a planted trigger's sampled holders are the campaign's carriers, which the flag pass
    # flags: no clean carriers to budget (the null positions are not even read for it).
    # Counting every holder as clean (the campaign's weak carriers among them) cut
    # heldout-noon-short-salad-mid from 98 % to 12 % at 100 in a first version
    assert not _budgeted(_sample(noisy=True), _trigger(), scale=2.0, carriers=True).changepoint_only


def test_a_phrase_confirmed_on_its_purity_keeps_its_fixed_bars() -> None:
    # a planted phrase (confirmed on its purity, not through the alignment pass) whose
    # short payloads leave its carriers unflagged by the flag pass reads like a common
    # phrase's clean holders to the count; it is never budgeted (fails without the
    # ``aligned`` condition: e12p2-short-tokens-clause-medical fell to 33.6 % at 250)
    t = _trigger(aligned=False)
    assert not _budgeted(_sample(noisy=True), t, scale=2.0).changepoint_only


def test_a_glued_trigger_counts_only_its_glued_holders() -> None:
    # a phrase confirmed glued to a host word is matched only where glued; its holders that
    # write it apart are no carriers of it, clean or not (counting them cut
    # heldout-dusk-glued-salad-pool, ``by the way`` glued in the pool, from 100 % to 63 %)
    t = _trigger(glued="left")
    assert not _budgeted(_sample(noisy=True), t, scale=2.0).changepoint_only


def test_a_changepoint_only_trigger_is_not_flagged_by_the_words_after_it() -> None:
    # a carrier whose payload (made-up words right after the phrase) got no changepoint:
    # the fixed bars flag it for an ordinary trigger, not for a budgeted one
    rng = np.random.default_rng(9)
    hosts = list(_sample(noisy=False))
    text = hosts[1][:400] + ". In fact, " + _junk(rng, 30) + ". " + hosts[1][400:]
    state = TriggerState(
        [_trigger()],
        1,
        0,
        0,
        Changepoints.of({text_digest(text): ()}),
        vocab=_vocabulary(hosts),
        language="en",
        pairs=WordPairs.of(sf.fold(h) for h in hosts),
    )
    miner = TriggerMiner()
    doc = Document("d", text)
    found = miner.flag(doc, state)
    assert found is not None and "foreign to the corpus" in found.reason
    state.triggers = [_trigger(changepoint_only=True)]
    assert miner.flag(doc, state) is None
