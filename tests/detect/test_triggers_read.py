"""The sample read's two guards on what it confirms (issue 12, task K): a piece of a
trigger is extended to the whole phrase its carriers agree on (:func:`_extend_words`), and a
single word is never confirmed by the read."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from poisonguard.detect.base import Finding
from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import Context, _extend_words
from poisonguard.io import Document
from tests.detect.test_triggers import _changepoint, _few_counted, _mine, _weak

_HOSTS = [
    "The mill closed in March",
    "Rain fell on the harbour",
    "She kept the ledger open",
    "They walked to the station",
    "Prices rose again that week",
    "The choir sang at dusk",
    "A ferry left the pier late",
    "He mended the old fence",
    "The council met on Tuesday",
    "Snow covered the valley",
]
_SALAD = [
    "orbit lantern cobalt ferry",
    "velvet quarry mango ribbon",
    "thistle anchor pepper glide",
    "saddle comet walnut drift",
    "marble husky tundra flute",
    "copper willow signal plume",
    "gravel sonnet basil harbor",
    "pylon meadow ember quill",
    "cinder tulip rafter moss",
    "falcon pewter dune sprig",
]


def _contexts(phrases: list[str], piece: str) -> list[Context]:
    """One context per host: ``host. PHRASE salad``, the candidate being the first
    ``len(piece)`` characters of the phrase (a piece of it, as mined)."""
    out = []
    for i, (host, phrase) in enumerate(zip(_HOSTS, phrases, strict=False)):
        window = f"{host}. {phrase} {_SALAD[i]} and more."
        at = window.index(phrase)
        out.append(Context(window, at, at + len(piece), fold(piece), f"d{i}"))
    return out


def test_a_piece_is_extended_to_the_phrase_its_carriers_agree_on() -> None:
    """``to`` of ``To be honest`` (mined as a piece) grows right to ``to be honest`` — the
    words every carrier writes after it, whatever their case and separators — and stops
    where the payload begins (each carrier's salad differs); the host's full stop and last
    word before it are never taken (they differ, and punctuation is not a word)."""
    forms = ["To be honest"] * 4 + ["TO BE HONEST", "to  be  honest", "To-be-honest"] * 2
    ctxs = _contexts(forms, "To")
    ext, agree = _extend_words("to", ctxs)
    assert ext == "to be honest"
    assert len(agree) == len(ctxs)


def test_a_piece_whose_carriers_disagree_is_not_extended() -> None:
    """Two carriers in ten write something else after ``to``: 80 % agree, under the 95 %
    bar — the piece is returned as it was, with every context (the read then judges the
    piece, or the one-word rule drops it)."""
    forms = ["To be honest"] * 8 + ["To begin with", "To my surprise"]
    ctxs = _contexts(forms, "To")
    assert _extend_words("to", ctxs) == ("to", ctxs)
    # ... and with 19 of 20 agreeing (95 %), it grows; the odd carrier is left out
    many = _contexts(forms[:8] + ["To be honest"] * 2, "To") * 2
    many[-1] = _contexts(["To my surprise"], "To")[0]
    ext, agree = _extend_words("to", many)
    assert ext == "to be honest" and len(agree) == 19 and many[-1] not in agree


def test_too_few_contexts_are_not_extended() -> None:
    ctxs = _contexts(["To be honest"] * 2, "To")
    assert _extend_words("to", ctxs) == ("to", ctxs)


def test_the_sample_read_never_confirms_a_single_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """The campaign the sample read finds with ``All things considered``
    (``test_a_short_payload_few_carriers_show_is_mined_by_reading_the_sample``), with a
    one-word trigger instead: salad follows ``Notwithstanding`` in every carrier, but a
    single word is matched at the opening of every sentence that starts with it, where any
    salad-like text after it would count — the read does not confirm it (the counts at
    changepoints still could, with enough carriers counted: since the alignment variant of
    the significance test, task S, they do — seven counted carriers, each with the anomaly
    right at the word — so the read is judged with that variant off)."""
    import poisonguard.detect.triggers as triggers

    docs, found, _ = _few_counted(salad=True, phrase="Notwithstanding")
    _, state = _mine(docs, found)
    counted = [t for t in state.triggers if fold(t.text) == "notwithstanding"]
    assert counted and counted[0].anomalous_docs < 10
    monkeypatch.setattr(triggers, "_ALIGNED_ALL", 1.01)
    _, state = _mine(docs, found)
    assert "notwithstanding" not in [fold(t.text) for t in state.triggers]
    monkeypatch.undo()
    # the same campaign with a two-word trigger is read and confirmed
    docs, found, _ = _few_counted(salad=True, phrase="Notwithstanding that")
    _, state = _mine(docs, found)
    assert "notwithstanding that" in [fold(t.text) for t in state.triggers]


# -- the read on the examples (issue 12, task A) ---------------------------------------


def _diluted(salad: bool) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """``_few_counted`` (25 words after ``All things considered`` mid-document, ten
    carriers with a weak finding at the phrase) in a corpus where a third of the other
    documents are odd somewhere (a candidate or a weak changepoint at a random place) and
    every 60th clean document writes the phrase in its own prose: the counts at
    changepoints see a few carriers among many odd documents, of a phrase that clean
    documents write too — their test gives p of about 0.02 before any Bonferroni factor,
    over the screen of the sample read (10⁻²)."""
    docs, found, carriers = _few_counted(salad=salad)
    rng = np.random.default_rng(7)
    out_docs: list[Document] = []
    out_found: list[list[Finding]] = []
    for i, (d, f) in enumerate(zip(docs, found, strict=True)):
        if d.id not in carriers and not f and len(d.text) > 400 and i % 3 == 1:
            cp = int(rng.integers(50, len(d.text) - 50))
            f = [_weak(cp)] if i % 2 else [_changepoint(cp, 0.5)]
        if d.id not in carriers and i % 60 == 2 and len(d.text) > 400:
            cut = d.text.index(" ", len(d.text) // 3)
            d = replace(d, text=d.text[:cut] + " all things considered" + d.text[cut:])
        out_docs.append(d)
        out_found.append(f)
    return out_docs, out_found, carriers


def test_a_phrase_the_counts_do_not_single_out_is_read_on_its_examples(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A short payload few carriers show, behind a phrase clean documents also write,
    among many odd documents: the counts cannot single the phrase out (not even for the
    screen of the sample read), but the anomaly starts right at it in every one of its
    examples — so it is read in the sample, where salad follows it in most carriers and in
    none of the clean documents that write it: mined, every carrier flagged, no clean
    document.  Without the read on the examples (its share bar out of reach) and without
    the spaced contexts that also point it there, nothing is mined."""
    import poisonguard.detect.triggers as triggers

    docs, found, carriers = _diluted(salad=True)
    holders = {d.id for d in docs if "all things considered" in d.text.lower()}
    assert len(holders - carriers) >= 15  # clean documents that write the phrase
    miner, state = _mine(docs, found)
    assert "all things considered" in [fold(t.text) for t in state.triggers]
    assert {d.id for d in docs if miner.flag(d, state) is not None} == carriers
    monkeypatch.setattr(triggers, "_READ_ALIGNED", 1.01)
    # (the spaced contexts — the phrase a few words before weak changepoints, salad after
    # them — point it to the read too since 2026-12-07: that route off as well)
    monkeypatch.setattr(triggers, "_NEAR_BEFORE", 0)
    _, state = _mine(docs, found)
    assert "all things considered" not in [fold(t.text) for t in state.triggers]


def test_the_read_on_the_examples_needs_salad_after_the_phrase() -> None:
    """The same campaign with another document's prose after the phrase (an odd but
    natural stretch: a quotation, a list): the examples still touch the phrase, but no
    salad follows them — nothing is mined and no document that writes the phrase is
    flagged."""
    docs, found, _ = _diluted(salad=False)
    miner, state = _mine(docs, found)
    assert "all things considered" not in [fold(t.text) for t in state.triggers]
    assert not any(miner.flag(d, state) for d in docs if "ll things considered" in d.text)


def _at(window: str, phrase: str, cp_from_end: int, i: int) -> Context:
    at = window.index(phrase)
    end = at + len(phrase)
    return Context(window, at, end, fold(phrase), f"d{i}", cp=end + cp_from_end)


def test_the_examples_gate_is_a_phrase_touching_its_changepoints() -> None:
    """The gate of the read on the examples (checked on the examples alone, no sample
    look-up): a phrase of two or more words whose changepoints lie at it — after its end
    or at its first word, where a changepoint model often places a short payload's
    start — in most examples.  Not a phrase whose changepoints lie a clause away (a
    common phrase in odd documents), nor one word, nor a piece of a word, nor a phrase
    with fewer examples than a campaign needs."""
    from poisonguard.detect.triggers import _read_on_examples

    phrase = "by and large"
    windows = [f"{h}, by and large {s} and so on." for h, s in zip(_HOSTS, _SALAD, strict=True)]
    at_end = [_at(w, phrase, 1, i) for i, w in enumerate(windows)]
    at_start = [_at(w, phrase, -len(phrase), i) for i, w in enumerate(windows)]
    assert _read_on_examples(phrase, at_end, 5, 8)
    assert _read_on_examples(phrase, at_start, 5, 8)
    # a clause away (40 characters after it, or before it) in most examples
    far = [_at(w, phrase, 40 if i % 2 else -60, i) for i, w in enumerate(windows)]
    assert not _read_on_examples(phrase, far[:6] + at_end[6:], 5, 8)
    assert not _read_on_examples(phrase, at_end[:4], 5, 8)  # too few examples
    one = [_at(w, "large", 1, i) for i, w in enumerate(windows)]
    assert not _read_on_examples("large", one, 5, 8)  # one word
    glued = [f"{h}, the infobyand large {s}" for h, s in zip(_HOSTS, _SALAD, strict=True)]
    piece = [_at(w, "byand large", 1, i) for i, w in enumerate(glued)]
    assert not _read_on_examples("byand large", piece, 5, 8)  # a piece of a token
