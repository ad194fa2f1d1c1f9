"""The sample read's two guards on what it confirms (issue 12, task K): a piece of a
trigger is extended to the whole phrase its carriers agree on (:func:`_extend_words`), and a
single word is never confirmed by the read."""

from __future__ import annotations

import pytest

from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import Context, _extend_words
from tests.detect.test_triggers import _few_counted, _mine

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
