"""One common word before word salad: the census of the sample (issue 12, lead, 2026-12-07
thirteenth session).  The own family ``e12s-common-words-salad-pooled`` (six common
connectives, 40-120 words of salad mid-clause) read 0 % on every earlier code: most carriers
get no changepoint at their trigger, and no read of the sample takes one word.  The census
reads where salad starts in every sampled document and which word stands right before it;
a word that salad follows in more documents than its occurrences explain is a trigger."""

from __future__ import annotations

import math
import re

import numpy as np

from poisonguard.attacks.evasive import WordSalad
from poisonguard.detect.base import Finding
from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import (
    _CENSUS_AFTER,
    _CENSUS_BARS,
    Trigger,
    TriggerMiner,
    WordPairs,
    _census,
    _census_after,
    _SampleIndex,
    _whole,
)
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs
from tests.detect.test_triggers import _changepoint, _mine, _salad_campaign, _weak


def _odd(docs: list[Document], carriers: set[str]) -> list[list[Finding]]:
    """A weak finding at the opening of every carrier and of every seventh other document
    (a mild payload makes its carrier odd somewhere, never at its trigger): the documents
    the census reads."""
    return [[_weak(0)] if d.id in carriers or i % 7 == 0 else [] for i, d in enumerate(docs)]


def _campaign(phrase: str, salad: bool = True) -> tuple[list[Document], set[str]]:
    """Every 40th embedded document with ``phrase`` and 60 words of the corpus's word salad
    (``salad=False``: another document's prose) after half of its text; no detector finds
    anything at the trigger (the salad is too mild for a changepoint there)."""
    docs, found = _salad_campaign(opening=False, words=60, salad=salad, phrase=phrase)
    return docs, {d.id for d, f in zip(docs, found, strict=True) if f}


def test_one_word_before_salad_is_mined_by_the_census_and_its_carriers_flagged() -> None:
    """``Nonetheless`` before 60 words of salad in every 40th document, no finding at it:
    the census confirms the word (its own route, ``census``) and the flag pass finds the
    carriers by the census's test after it (14 of 16); without the census nothing is mined."""
    docs, carriers = _campaign("Nonetheless")
    assert len(carriers) >= 12
    miner, state = _mine(docs, _odd(docs, carriers))
    mined = {fold(t.text): t for t in state.triggers}
    assert "nonetheless" in mined, [t.text for t in state.triggers]
    assert mined["nonetheless"].census and mined["nonetheless"].to_dict()["census"]
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert len(flagged & carriers) >= 0.75 * len(carriers)  # (14 of 16 when written)
    assert flagged <= carriers
    _, off = _mine(docs, _odd(docs, carriers), census=False)
    assert off.triggers == []
    # the census reads only the documents with a finding: with none, nothing
    _, blind = _mine(docs, [[] for _ in docs])
    assert blind.triggers == []


def test_one_word_before_prose_is_no_census_trigger() -> None:
    """The same word before another document's prose: nothing to count, nothing mined."""
    docs, carriers = _campaign("Nonetheless", salad=False)
    _, state = _mine(docs, _odd(docs, carriers))
    assert state.triggers == []


def test_a_short_word_is_no_census_trigger() -> None:
    """A word of fewer than four letters (``yet``) is never a census trigger: the census
    does not count it, whatever follows it."""
    docs, carriers = _campaign("yet")
    census = _census([fold(d.text) for d in docs])
    assert "yet" not in census.docs
    _, state = _mine(docs, _odd(docs, carriers))
    assert "yet" not in {fold(t.text) for t in state.triggers}
    assert carriers


def test_the_census_counts_each_text_against_the_others() -> None:
    """A payload's word pairs are written once, by its own document: the census leaves each
    text's own pairs out, so a salad does not vouch for itself.  The chance rate is the
    share of judged positions salad follows: small in clean text."""
    texts = [fold(d.text) for d in clean_docs()]
    clean = _census(texts)
    assert 0 <= clean.rate < 0.01
    rng = np.random.default_rng(0)
    salad = " ".join(WordSalad([d.text for d in clean_docs()]).sample(40, rng))
    spliced = [*texts[:-1], fold(texts[-1][:600] + " whereupon " + salad)]
    got = _census(spliced)
    assert len(spliced) - 1 in got.docs.get("whereupon", set())


def test_census_after_reads_salad_after_an_occurrence_only() -> None:
    """The flag pass's census test: salad after an occurrence, host prose before it."""
    docs = clean_docs()
    pairs = WordPairs.of(fold(d.text) for d in docs)
    prose = next(d.text for d in docs if len(d.text) > 3000)
    salad = " ".join(WordSalad([d.text for d in docs]).sample(40, np.random.default_rng(1)))
    host = prose[:800] + " whereupon " + salad + ". " + prose[800:1600]
    at = host.index(" whereupon ") + 1
    hit, why = _census_after(host, [(at, at + len("whereupon"))], pairs)
    assert hit is not None and hit[:2] == (at, at + len("whereupon")) and "cohesion" in why
    plain = prose[:800] + " whereupon " + prose[800:1600]
    at = plain.index(" whereupon ") + 1
    assert _census_after(plain, [(at, at + len("whereupon"))], pairs) == (None, "")


def test_trigger_to_dict_shows_census_only_when_set() -> None:
    t = Trigger("moreover", 5, 40, 1000, 0.1, 1e-9, 0.1, ("a",))
    assert "census" not in t.to_dict()
    assert TriggerMiner(census=False).census is False


def test_a_common_word_is_held_to_a_lower_bar_or_none() -> None:
    """The budget: a census trigger's clean occurrences times the census's chance rate
    under a bar must stay within the fixed bars' budget.  With the chance rates of a corpus
    where salad-like text follows one word position in two under the loosest bars,
    ``Nonetheless`` is held to the next bar when enough of its carriers pass it, and is no
    trigger when the rate is that high under every bar."""
    docs, carriers = _campaign("Nonetheless")
    miner = TriggerMiner(min_docs=3)
    part = miner.map_shard_findings(docs, _odd(docs, carriers))
    sample = [d.text for d in docs]
    findex = _SampleIndex(sample, fold=True)
    got, pairs = miner._census_triggers(sample, findex, part.odd, [], len(docs), math.log(1e-6))
    assert [t.census_bar for _, t, _ in got] == [_CENSUS_AFTER]
    hits = got[0][2]
    seen = {int(c.doc_id.split(":")[1]) for c in hits}
    # ... clean occurrences outside the carriers: the same word written in other pages
    spread = [*sample[:-40], *(x + " Nonetheless, it works." for x in sample[-40:])]
    findex = _SampleIndex(spread, fold=True)

    def bar(rates: tuple[float, ...]) -> float | None:
        return miner._census_bar("nonetheless", seen, rates, spread, findex, pairs, 10**6, hits)

    assert bar((0.0, 0.0, 0.0, 0.0)) == _CENSUS_AFTER
    after = sorted(pairs.cohesion(fold(c.window[c.end :]).split(" ")[:13])[0] for c in hits)
    for i in (1, 2):  # (the loosest bars' rates that high: the next bar, if carriers pass it)
        rates = tuple(0.5 if j < i else 0.0 for j in range(len(_CENSUS_BARS)))
        passing = sum(a <= _CENSUS_BARS[i] for a in after)
        assert bar(rates) == (_CENSUS_BARS[i] if passing >= miner.min_docs else None)
    assert bar((0.5, 0.0, 0.0, 0.0)) == _CENSUS_BARS[1]  # (four of its five carriers pass)
    assert bar((0.5, 0.5, 0.5, 0.5)) is None


def test_a_census_trigger_before_a_clean_changepoint_flags_nothing() -> None:
    """A census trigger is flagged by salad after it (the census test, then the fixed
    bars), never by a changepoint alone: a clean page with the word right before an odd but
    natural passage (its own changepoint there) is not flagged.  Under the changepoint
    route of the mined triggers it would be: ``there`` in medical pages, before a list or
    a table, took clean flags of 0.06 % to 0.13 % when written."""
    docs, carriers = _campaign("Nonetheless")
    found = _odd(docs, carriers)
    prose = next(d.text for d in clean_docs() if len(d.text) > 3000)
    for i in range(3):  # clean pages: prose, the word, prose, a changepoint right after it
        head = prose[300 * i : 300 * i + 600] + " Nonetheless "
        docs.append(Document(f"clean-{i}", head + prose[1200 + 300 * i : 2400]))
        found.append([_changepoint(len(head), 0.99)])
    miner, state = _mine(docs, found)
    assert any(t.census for t in state.triggers)
    assert not any(miner.flag(d, state) for d in docs if d.id.startswith("clean-"))


def _numbered(docs: list[Document], carriers: set[str], phrase: str) -> list[Document]:
    """The carriers with a number after every third word of the 60 after ``phrase`` (the
    census's windows skip a pair with a digit: numbers strewn in the salad must not empty
    them — an evasion found by review)."""
    out: list[Document] = []
    for d in docs:
        if d.id not in carriers:
            out.append(d)
            continue
        at = d.text.index(phrase) + len(phrase)
        words = d.text[at:].split(" ")
        salad = [w + (f" {17 * i % 1000}" if i % 3 == 2 else "") for i, w in enumerate(words[:60])]
        out.append(d.with_text(d.text[:at] + " ".join([*salad, *words[60:]])))
    return out


def test_numbers_strewn_in_the_salad_do_not_hide_it() -> None:
    docs, carriers = _campaign("Nonetheless")
    docs = _numbered(docs, carriers, "Nonetheless")
    miner, state = _mine(docs, _odd(docs, carriers))
    assert "nonetheless" in {fold(t.text) for t in state.triggers if t.census}
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert len(flagged & carriers) >= 0.75 * len(carriers) and flagged <= carriers


def test_a_census_trigger_is_a_whole_word() -> None:
    text = "Therefore the thereafter there was; there"
    occ = [(m.start(), m.end()) for m in re.finditer("(?i)there", text)]
    assert [text[a:b] for a, b in _whole(text, occ)] == ["there", "there"]


def test_partials_read_back_read_only_still_merge() -> None:
    """A partial read back from an object store (Ray) holds read-only arrays: the merge of
    the bit sets makes a new one (found by review: ``output array is read-only``)."""
    docs, carriers = _campaign("Nonetheless")
    found = _odd(docs, carriers)
    miner = TriggerMiner()
    half = len(docs) // 2
    a = miner.map_shard_findings(docs[:half], found[:half])
    b = miner.map_shard_findings(docs[half:], found[half:])
    want = a.odd | b.odd
    a.odd.flags.writeable = False
    b.odd.flags.writeable = False
    merged = miner.merge_into(a, b)
    assert np.array_equal(merged.odd, want)
