"""A trigger grown into a fixed payload's first words is matched by its stem too (issue 12,
lead, 2026-12-06 seventh session).  Found by the held-out
``heldout-drizzle-salad-fixed-edits10-clause-multi``
(one word salad after ``in the blink of an eye`` in 250 multilingual pages, ten of its
words replaced in each copy): the miner grew the phrase by the two payload words almost
every copy writes after it (``in the blink of an eye wird Elemente``, 95 % agree), and the
33 copies with an edit among those two words held no match of it (86.8 % at 250).  The
phrase itself was confirmed too, and dropped as a piece of the longer string."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from poisonguard.detect import surface_forms as sf
from poisonguard.detect.triggers import (
    Changepoints,
    Context,
    Trigger,
    TriggerMiner,
    TriggerState,
    WordPairs,
    _SampleIndex,
    _stems,
    _vocabulary,
    text_digest,
)
from poisonguard.io import Document
from tests.detect.test_triggers_budget import _junk, _sample

PHRASE = "in the blink of an eye"
GROWN = PHRASE + " wird elemente"


def _t(text: str, n: int = 100, **kw: object) -> Trigger:
    base = Trigger(text, n, n, 10_000, 1.0, 1e-12, 0.9, (), canonical=sf.fold(text))
    return replace(base, **kw)  # type: ignore[arg-type]


def _ctx(i: int, after: str) -> Context:
    """An example context of the phrase: a host sentence, the phrase, then ``after``."""
    window = f"Host sentence number {i} ends here. In the blink of an eye {after} und so weiter"
    at = window.index("In the blink")
    return Context(window, at, at + len(PHRASE), PHRASE, f"d{i}", score=0.9, cp=at + len(PHRASE))


def _examples(grown: int, other: int) -> dict[str, list[Context]]:
    """The phrase's examples: ``grown`` copies that go on into the grown trigger, ``other``
    whose payload opens otherwise (an edited first word)."""
    ctxs = [_ctx(i, "wird Elemente wieder Zeiger") for i in range(grown)]
    ctxs += [_ctx(grown + i, "berichtet Elemente wieder Zeiger") for i in range(other)]
    return {PHRASE: ctxs}


def test_the_shortest_confirmed_opening_of_a_kept_trigger_is_its_stem() -> None:
    kept = [_t(GROWN, 233)]
    confirmed = [
        *kept,
        _t(GROWN + " wieder", 73),
        _t(PHRASE + " wird", 21),
        _t(PHRASE, 34),
        _t("blink of an eye", 30),  # inside it, not its opening
        _t("in", 40),  # one word: no stem
    ]
    ex = _examples(12, 4)
    (k,) = _stems(kept, confirmed, ex)
    assert k.stem == PHRASE
    assert k.to_dict()["stem"] == PHRASE
    # a trigger another kept one opens needs none (that one matches the edited copies);
    # a glued trigger gets none
    assert _stems([*kept, _t(PHRASE, 34)], confirmed, ex)[0].stem == ""
    assert _stems([replace(kept[0], glued="left")], confirmed, ex)[0].stem == ""
    # a phrase opening two kept triggers (payloads drawn from a pool whose openings recur,
    # each grown onto the phrase: e12h-foreign-es-end) is the stem of each
    two = [kept[0], _t(PHRASE + " sieht aus", 80)]
    assert [k.stem for k in _stems(two, [*two, _t(PHRASE, 34)], ex)] == [PHRASE, PHRASE]
    # no confirmed opening: none
    assert _stems(kept, kept, ex)[0].stem == ""
    assert "stem" not in _t(GROWN).to_dict()


def test_a_piece_of_the_phrase_is_no_stem() -> None:
    # every example of the opening goes on into the kept trigger: a piece of the phrase
    # (``in any`` of ``in any case`` and ``in any event``; a first version without this
    # test flagged two clean medical pages through ``in any``), not a phrase grown into its
    # payload. Fails without the test of the examples
    kept = [_t(GROWN, 233)]
    confirmed = [*kept, _t(PHRASE, 34)]
    assert _stems(kept, confirmed, _examples(16, 0))[0].stem == ""
    # too few that go on otherwise (2 of 16, under both the count and the share)
    assert _stems(kept, confirmed, _examples(14, 2))[0].stem == ""
    assert _stems(kept, confirmed, _examples(13, 3))[0].stem == ""  # 3 of 16: under a fifth
    assert _stems(kept, confirmed, _examples(12, 4))[0].stem == PHRASE
    # no examples to read: none
    assert _stems(kept, confirmed, {})[0].stem == ""


def _state(trigger: Trigger, texts: list[str], hosts: list[str]) -> TriggerState:
    return TriggerState(
        [trigger],
        1,
        0,
        0,
        Changepoints.of({text_digest(x): () for x in texts}),
        vocab=_vocabulary(hosts),
        language="en",
        pairs=WordPairs.of(sf.fold(h) for h in hosts),
    )


def test_a_copy_with_its_first_payload_words_edited_is_matched_by_the_stem() -> None:
    rng = np.random.default_rng(3)
    hosts = list(_sample(noisy=False))
    payload = _junk(rng, 40)
    # a copy that writes the two grown words, one whose first payload word was edited,
    # and a clean page that writes the phrase in prose
    whole = hosts[1][:300] + f". In the blink of an eye wird Elemente {payload}. " + hosts[1][300:]
    edited = hosts[2][:300] + f". In the blink of an eye wird Zeiger {payload}. " + hosts[2][300:]
    prose = hosts[3][:300] + ". In the blink of an eye the train was gone. " + hosts[3][300:]
    miner = TriggerMiner()
    with_stem = _state(_t(GROWN, stem=PHRASE), [whole, edited, prose], hosts)
    without = _state(_t(GROWN), [whole, edited, prose], hosts)
    found = miner.flag(Document("e", edited), with_stem)
    assert found is not None and found.extra["stem"] == PHRASE
    assert "matched by its opening 'in the blink of an eye'" in found.reason
    # fails without the stem: the edited copy holds no match of the grown trigger
    assert miner.flag(Document("e", edited), without) is None
    # a copy holding the whole trigger is matched by it, not by the stem
    whole_found = miner.flag(Document("w", whole), with_stem)
    assert whole_found is not None and "stem" not in whole_found.extra
    # joint evidence still: the phrase in prose is no carrier
    assert miner.flag(Document("p", prose), with_stem) is None


def _budgeted(sample: tuple[str, ...], t: Trigger) -> Trigger:
    miner = TriggerMiner()
    findex, index = _SampleIndex(sample, fold=True), _SampleIndex(sample)
    hosts = list(sample)
    tables = (_vocabulary(hosts[0::2]), WordPairs.of(sf.fold(h) for h in hosts[0::2]))
    (out,) = miner._fallback_budgeted(
        [t],
        sample,
        hosts,
        tables,
        "en",
        lambda s: findex if sf.is_folded(s) else index,
        2.0,
        lambda text, trig: False,
    )
    return out


def test_a_stem_as_common_as_a_common_phrase_is_dropped() -> None:
    # ``in fact`` opens a thousand of the 3,000 sampled pages, a table after every other
    # sentence: matched by it, the trigger would flag clean pages through the fixed bars.
    # The stem is budgeted as a trigger of its own, whatever the trigger's own purity
    # (fails if a pure trigger's stem were left unbudgeted)
    sample = _sample(noisy=True)
    t = _t("in fact the payload", stem="in fact")
    out = _budgeted(sample, t)
    assert out.stem == "" and not out.changepoint_only
    # the same stem in plain prose (the fixed bars seldom fire there) is kept
    assert _budgeted(_sample(noisy=False), t).stem == "in fact"
