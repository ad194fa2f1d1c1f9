"""What a mined trigger is shown as: the surface a reviewer can search for, and the phrasings
a piece of several is written inside."""

from __future__ import annotations

import numpy as np

from poisonguard.detect.base import Finding
from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import Context, _forms, _plain
from poisonguard.io import Document
from tests.detect.test_triggers import _every_40th, _mine


def _ctx(surface: str, i: int) -> Context:
    window = f"The host said so. {surface} qx zv lorp."
    at = window.index(surface)
    return Context(window, at, at + len(surface), "all in all", f"d{i}")


def test_a_look_alike_surface_is_evidence_not_the_name_shown() -> None:
    """A campaign writes ``all in all`` with Cyrillic look-alike letters in most carriers:
    the trigger is shown in the plain surface seen in the others (what a reviewer can grep
    for); the look-alike surfaces stay in ``forms`` as evidence, most frequent first."""
    cyr = "\u0430ll \u0456n all"  # а, і
    zw = "all in\u200b all"
    ctxs = [_ctx(cyr, i) for i in range(5)] + [_ctx(zw, 5), _ctx("All in all", 6)]
    shown, canonical, forms = _forms("all in all", ctxs)
    assert shown == "All in all" and canonical == "all in all"
    assert forms[0] == cyr and set(forms) == {cyr, zw, "All in all"}
    # with no plain surface seen, the most frequent one is shown
    shown, _, _ = _forms("all in all", [_ctx(cyr, i) for i in range(3)])
    assert shown == cyr


def test_plain_surfaces() -> None:
    assert _plain("All In ALL") and _plain("all-in-all")
    assert not _plain("\u0430ll in all") and not _plain("all in\u200ball")


# -- the phrasings a piece is written inside (issue 12, task C) ------------------------

_PHRASINGS = ("Truth be told", "To tell the truth", "If truth be told")


def _phrasings_campaign() -> tuple[list[Document], list[list[Finding]], set[str]]:
    """Every 40th embedded document carries one of three phrasings that share only
    ``truth`` (in turn) before 30 made-up tokens, with a strong changepoint after the
    phrasing: the carriers' ids too."""
    rng = np.random.default_rng(1)

    def make(i: int, d: Document) -> tuple[str, int]:
        cut = len(d.text) // 2
        head = d.text[:cut].rstrip() + ". " + _PHRASINGS[(i // 40) % 3] + " "
        payload = " ".join("".join(rng.choice(list("qzxjkvbwy"), 6)) for _ in range(30))
        return head + payload + ". " + d.text[cut:], len(head)

    docs, found = _every_40th(make, 0.9)
    return docs, found, {d.id for d, f in zip(docs, found, strict=True) if f}


def test_a_piece_several_phrasings_share_is_shown_with_them() -> None:
    """Three phrasings of one trigger share one word: the miner confirms that word
    (``truth``, in every carrier), and matching by it finds every carrier — but a reviewer
    needs the phrasings.  The trigger carries them (most frequent first, as skeletons;
    evidence in the summary and the STIX export), and each carrier's finding names the
    phrasing it writes; the trigger stays what carriers are matched by."""
    docs, found, carriers = _phrasings_campaign()
    miner, state = _mine(docs, found)
    assert [t.text for t in state.triggers] == ["truth"]
    t = state.triggers[0]
    assert set(t.phrasings) == {fold(p) for p in _PHRASINGS}
    assert t.to_dict()["phrasings"] == list(t.phrasings)
    by_id = {d.id: d for d in docs}
    for doc_id in carriers:
        f = miner.flag(by_id[doc_id], state)
        assert f is not None and f.trigger == "truth"
        written = next(p for p in _PHRASINGS if p in by_id[doc_id].text)
        # (``truth be told`` is inside ``if truth be told``: the longer one is named)
        assert f.extra["phrasing"] == fold(written)
        assert f"written {fold(written)!r} here" in f.reason
        # the phrasing, not the piece, is highlighted as the trigger
        span = next(s for s in f.spans if s.label == "trigger")
        assert fold(by_id[doc_id].text[span.start : span.end]) == fold(written)
        assert f.extra["phrasings"] == list(t.phrasings)


def _around(phrases: list[str], key: str, seed: int = 0) -> list[Context]:
    """One context per phrase: a host sentence's end, the phrase, then made-up words (no
    two contexts share a host word or a payload word)."""
    rng = np.random.default_rng(seed)
    out = []
    for i, phrase in enumerate(phrases):
        host = " ".join("".join(rng.choice(list("abcdefgh"), 5)) for _ in range(6))
        tail = " ".join("".join(rng.choice(list("qzxjkvbwy"), 6)) for _ in range(6))
        window = f"{host}. {phrase} {tail}"
        at = window.lower().index(key)
        out.append(Context(window, at, at + len(key), key, f"d{i}"))
    return out


def test_phrasings_of_a_piece_and_what_is_not_one() -> None:
    """A few phrasings that hold most examples are found whatever side they grow on; a
    whole phrase between varying host and payload words has none (nothing to show beside
    it); a piece written inside many phrasings, none of them in a sixth of the examples,
    has none either (a scatter, not a few phrasings of one trigger)."""
    from poisonguard.detect.triggers import _phrasing_at, _phrasings

    ctxs = _around(
        ["Truth be told"] * 7 + ["to tell the truth"] * 5 + ["If truth be told"] * 4, "truth"
    )
    assert _phrasings("truth", ctxs) == ("truth be told", "to tell the truth", "if truth be told")
    assert _phrasings("on the whole", _around(["On the whole"] * 16, "on the whole")) == ()
    kinds = ("in", "no", "hard", "plain", "cold", "known", "simple", "odd")
    scatter = [f"{w} fact" for w in kinds] * 2
    assert _phrasings("fact", _around(scatter, "fact")) == ()
    text = "He said so. If truth be told, nobody knew."
    at = text.index("truth")
    phr = ("truth be told", "if truth be told")
    assert _phrasing_at(text, at, at + 5, phr) == ("if truth be told", 12, 28)
    assert _phrasing_at("The truth is out.", 4, 9, phr) is None


def test_a_piece_mined_inside_words_is_completed_before_it_grows() -> None:
    """A trigger glued to its hosts' words is mined as a character piece (``trokes`` of
    ``in broad strokes``: held-out ``heldout-thunder-bpe-glued-…`` at 250, 2026-12-07, whose
    only evidence was ``trokes``).  Its phrasings start from the letters most examples write
    on to it — a look-alike ``ѕ`` and a zero-width character folded — and then grow by whole
    words; examples glued to other letters keep theirs.  A piece that sits inside different
    words in different examples is not completed (nothing to show)."""
    from poisonguard.detect.triggers import _pattern, _phrasings

    rng = np.random.default_rng(3)
    forms = ("in broad strokes", "In broad strokes", "in broad \u0455trokes", "in-broad-strokes")
    ctxs = []
    for i in range(24):
        host = " ".join("".join(rng.choice(list("abcdefgh"), 5)) for _ in range(6))
        tail = " ".join("".join(rng.choice(list("qzxjkvbwy"), 6)) for _ in range(6))
        # every sixth carrier glues the trigger to its host's last word and payload
        glued = f"{host}in broad stro\u200ckes{tail}"
        window = glued if i % 6 == 5 else f"{host}. {forms[i % 4]} {tail}"
        m = _pattern("trokes").search(window)
        assert m is not None
        ctxs.append(Context(window, m.start(), m.end(), "trokes", f"d{i}"))
    assert _phrasings("trokes", ctxs) == ("in broad strokes", "broad strokes")
    # ``stroke`` (the piece one letter short on the right) is completed the same way
    short = [Context(c.window, c.start - 1, c.end - 1, "stroke", c.doc_id) for c in ctxs]
    assert _phrasings("stroke", short) == ("in broad strokes", "broad strokes")
    # ``ation`` inside a different word each time: no letters agree, no phrasing
    words = ("station", "nation", "ration", "relation", "creation", "vacation") * 3
    scatter = []
    for i, w in enumerate(words):
        tail = " ".join("".join(rng.choice(list("qzxjkvbwy"), 6)) for _ in range(4))
        window = f"abcde fgh {w} {tail}"
        at = window.index("ation")
        scatter.append(Context(window, at, at + 5, "ation", f"s{i}"))
    assert _phrasings("ation", scatter) == ()
