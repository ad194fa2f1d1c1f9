"""A common phrase glued inside the words around it (``compby the waysays ...``): mined
from its letters run together (:mod:`poisonguard.detect.glued`), read back as a phrase
under its skeleton, its carriers flagged on joint evidence only."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from poisonguard.detect.glued import MARK, add_candidates, phrase
from poisonguard.detect.naturalness import NaturalnessShift
from poisonguard.detect.rounds import run_rounds
from poisonguard.detect.triggers import Context, TriggerMiner
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs, mixed, poison


def _mine(docs: list[Document]) -> tuple[TriggerMiner, object]:
    det = NaturalnessShift().fit(docs)
    findings = [[f] if (f := det.score(d)) is not None else [] for d in docs]
    miner = TriggerMiner()
    return miner, run_rounds(miner, [docs], [findings], sample=[d.text for d in docs])[1]


def test_a_common_phrase_glued_on_both_sides_is_mined_and_its_carriers_flagged() -> None:
    """``by the way`` between two letters of a host word, random tokens glued to its end:
    no word n-gram of it recurs (``compby``, ``waysays``), and the character k-grams of
    one token keep a payload letter (``by the wayA``, ``by the wayo``: a share each).
    Run together, its letters are one candidate whatever the glue; read back, one phrase
    that finds every carrier."""
    samples = poison("evasive-backdoor", 120, 3, trigger="by the way", placement="glued")
    texts = [s.document.text for s in samples]
    # glued on both sides in most carriers: a letter right before and right after it
    ends = [s.truth.trigger_span for s in samples]
    assert (
        sum(t[a - 1].isalpha() and t[b].isalnum() for t, (a, b) in zip(texts, ends, strict=True))
        > 100
    )
    docs = mixed(samples)
    miner, state = _mine(docs)
    found = [t for t in state.triggers if t.canonical == "by the way"]  # type: ignore[attr-defined]
    assert found, [t.text for t in state.triggers]  # type: ignore[attr-defined]
    truth = {s.document.id for s in samples}
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}  # type: ignore[arg-type]
    assert len(flagged & truth) >= 0.9 * len(truth)
    assert len(flagged - truth) <= 2


def test_the_phrase_glued_by_a_typo_with_natural_text_after_it_is_not_flagged() -> None:
    """Joint evidence stays: once ``by the way`` is mined from a glued campaign, clean
    documents with the phrase glued to a word (``nearby the wayside``) or typed run
    together, and natural text after it, are no carriers."""
    samples = poison("evasive-backdoor", 120, 3, trigger="by the way", placement="glued")
    hosts = [d for d in clean_docs()[1000:1400] if len(d.text) > 600][:60]
    typos = [
        replace(d, id=f"typo-{i}").with_text(
            d.text[: len(d.text) // 2]
            + (" It stood nearby the wayside inn. " if i % 2 else " and by the wayit works. ")
            + d.text[len(d.text) // 2 :]
        )
        for i, d in enumerate(hosts)
    ]
    docs = mixed(samples) + typos
    miner, state = _mine(docs)
    assert any(t.canonical == "by the way" for t in state.triggers)  # type: ignore[attr-defined]
    assert not [d.id for d in typos if miner.flag(d, state) is not None]  # type: ignore[arg-type]


def _contexts(heads: list[str], phrase_text: str, tails: list[str]) -> list[Context]:
    out: list[Context] = []
    for h, t in zip(heads, tails, strict=True):
        text = f"Some host text here. {h}{phrase_text}{t} said higher in trade"
        got: dict[str, Context] = {}
        add_candidates(
            text, 0, len(text), got, [], lambda s, e, k, t=text: Context(t, s, e, k, "d", cp=21)
        )
        key = MARK + "".join(c for c in phrase_text.lower() if c.isalnum())[:8]
        out.append(got[key])
    return out


def test_the_stable_core_is_read_back_as_a_phrase_only_where_it_is_glued() -> None:
    heads = ["comp", "prog", "Reu", "divis", "Bri", "Autom", "mana", "sta"]
    tails = ["says an", "quorum", "lantern", "Xyz", "often", "Qa", "ilk", "zed"]
    got = phrase(MARK + "bytheway", _contexts(heads, "by the way", tails))
    assert got is not None and got[0] == "by the way" and len(got[1]) == 8
    c = got[1][0]
    assert c.window[c.start : c.end] == "by the way"
    # any surface of it: case and the separators between its words
    got = phrase(MARK + "bytheway", _contexts(heads, "By-the  Way", tails))
    assert got is not None and got[0] == "by the way"
    # written as whole words everywhere: the word candidates' case, not this one's
    spaced = phrase(
        MARK + "bytheway",
        _contexts([h + " " for h in heads], "by the way", [" " + t for t in tails]),
    )
    assert spaced is None
    # letters that agree in only a few examples grow no phrase
    mixed_ctx = _contexts(heads, "by the way", tails)[:3] + _contexts(heads, "xy thewaz", tails)[3:]
    assert phrase(MARK + "bytheway", mixed_ctx) is None


def test_a_glued_phrase_is_aligned_from_the_start_of_the_word_it_is_glued_into() -> None:
    """The document detectors read whole tokens: a phrase glued into a host word has its
    changepoint at that word's start (``^compby the way``), a few letters before the
    phrase — aligned.  A phrase written apart keeps the old band: a changepoint a word
    before it is not where it ends."""
    from poisonguard.detect.triggers import _aligned

    glued_text = "The trade was slow and compby the waysays an said higher in"
    apart_text = "The trade was slow and comp by the way says an said higher in"
    for text, want in ((glued_text, 1.0), (apart_text, 0.0)):
        s = text.index("by the way")
        cp = text.index("comp")
        ctx = Context(text, s, s + len("by the way"), "by the way", "d", cp=cp, cps=(cp,))
        assert _aligned("by the way", [ctx], 8) == want


def test_a_group_stands_for_glued_letters_only_while_their_candidate_counts_most() -> None:
    from poisonguard.detect.glued import mark

    seen: set[str] = set()
    mark(seen, "by the way", MARK + "bytheway")
    assert seen == {"by the way"}
    mark(seen, "by the way", "by the way")  # the words written apart count more
    assert not seen


def test_a_glued_trigger_matches_only_its_glued_occurrences() -> None:
    """Read back from glued letters, ``by the way`` was tested on its glued occurrences
    only — glued on the left, inside a host word, in all its examples: a clean document
    with the phrase written apart, or glued on its right only (``by the wayside``), and
    an odd passage right after it (a quote in dialect, another language, verse) is no
    carrier of it, while every glued carrier still is."""
    samples = poison("evasive-backdoor", 120, 3, trigger="by the way", placement="glued")
    rng = np.random.default_rng(0)
    odd = [" ".join("".join(rng.choice(list("qzxkvj"), 6)) for _ in range(60)) for _ in range(3)]
    hosts = [d for d in clean_docs()[1500:1700] if len(d.text) > 600][:3]
    apart = [
        replace(d, id=f"apart-{i}").with_text(
            d.text[: len(d.text) // 2] + f" And {w} {o} " + d.text[len(d.text) // 2 :]
        )
        for i, (d, o) in enumerate(zip(hosts * 2, odd * 2, strict=True))
        for w in [("by the way," if i < 3 else "sat by\nthe wayside")]
    ]
    docs = mixed(samples) + apart
    miner, state = _mine(docs)
    found = [t for t in state.triggers if t.canonical == "by the way"]  # type: ignore[attr-defined]
    assert found and found[0].glued == "left" and found[0].to_dict()["glued"] == "left"
    assert not [d.id for d in apart if miner.flag(d, state) is not None]  # type: ignore[arg-type]
    truth = {s.document.id for s in samples}
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}  # type: ignore[arg-type]
    assert len(flagged & truth) >= 0.9 * len(truth)


def test_a_glued_trigger_wrapped_in_quotes_inside_the_host_word_is_matched() -> None:
    """The phrase wrapped in quotes or asterisks inside the host word
    (``Ahold SEES UNCHAN"at the very least"an of …``, one of the punctuation surface forms):
    no letter touches it, so the flag pass's glued test (a letter runs on into it) dropped
    those carriers — 4 of the 6 missed of 100 in `heldout-squall-repeat-glued-forms-pool`.
    Across at most two such characters the letter still counts; a wrap with a space beside it
    (``said "by the way" and``) glues nothing."""
    samples = list(poison("evasive-backdoor", 120, 3, trigger="by the way", placement="glued"))
    wrapped = []
    for i, s in enumerate(samples[:20]):
        a, b = s.truth.trigger_span
        t = s.document.text
        w = ("*", "*") if i % 2 else ('"', '"')
        wrapped.append(s.document.with_text(t[:a] + w[0] + t[a:b] + w[1] + t[b:]))
    rng = np.random.default_rng(1)
    odd = [" ".join("".join(rng.choice(list("qzxkvj"), 6)) for _ in range(60)) for _ in range(3)]
    hosts = [d for d in clean_docs()[1700:1900] if len(d.text) > 600][:3]
    apart = [
        replace(d, id=f"quoted-{i}").with_text(
            d.text[: len(d.text) // 2]
            + f' And he said "by the way" {o} '
            + d.text[len(d.text) // 2 :]
        )
        for i, (d, o) in enumerate(zip(hosts, odd, strict=True))
    ]
    docs = [d for d in mixed(tuple(samples[20:])) if d.id not in {w.id for w in wrapped}]
    docs += wrapped + apart
    miner, state = _mine(docs)
    found = [t for t in state.triggers if t.canonical == "by the way"]  # type: ignore[attr-defined]
    assert found and found[0].glued
    hits = [d.id for d in wrapped if miner.flag(d, state) is not None]  # type: ignore[arg-type]
    assert len(hits) >= 18, len(hits)
    assert not [d.id for d in apart if miner.flag(d, state) is not None]  # type: ignore[arg-type]


def test_the_side_a_glued_phrase_is_matched_on_is_the_side_its_examples_are_glued_on() -> None:
    from poisonguard.detect.glued import side, stuck

    text = "x compby the waysays y by the wayside z"
    a = text.index("by the way")
    b = text.index("by the way", a + 1)
    assert stuck(text, a, a + 10, "left") and stuck(text, a, a + 10, "right")
    assert not stuck(text, b, b + 10, "left") and stuck(text, b, b + 10, "either")
    wrap = 'pho*by the way*Blue and "by the way" x'
    c = wrap.index("by the way")
    d = wrap.index("by the way", c + 1)
    assert not stuck(wrap, c, c + 10, "left") and stuck(wrap, c, c + 10, "left", through=2)
    assert stuck(wrap, c, c + 10, "right", through=1)
    assert not stuck(wrap, d, d + 10, "either", through=2)  # a space beside the wrap
    heads = ["comp", "prog", "Reu", "divis"]
    left = _contexts(heads, "by the way", [" says", " quorum", " lantern", " often"])
    assert side(left) == "left"
    right = _contexts(["a ", "b ", "c ", "d "], "by the way", ["says", "Qa", "ilk", "zed"])
    assert side(right) == "right"
    assert side(left[:2] + right[:2]) == "either"
