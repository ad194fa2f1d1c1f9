"""instruction-behaviour: triggers found by association with reply behaviour; templates are
not backdoors; joint evidence only; every chat shape including preference pairs."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from poisonguard.attacks import get, mix_poison
from poisonguard.detect.base import Finding
from poisonguard.detect.instruction_behaviour import (
    BehaviourState,
    InstructionBehaviourDetector,
    behaviour_keys,
)
from poisonguard.detect.rounds import run_rounds
from poisonguard.io import Document
from tests.detect.test_instruction import chat_corpus


def scan(
    docs: Sequence[Document], det: InstructionBehaviourDetector | None = None
) -> tuple[BehaviourState, list[Finding | None]]:
    shards = [list(docs[i : i + 400]) for i in range(0, len(docs), 400)]
    last, state = run_rounds(det or InstructionBehaviourDetector(), shards)
    return state, [last.flag(d, state) for d in docs]


@pytest.fixture(scope="module")
def chats() -> list[Document]:
    return chat_corpus(1600)


def planted(clean: list[Document], count: int, **kw: Any) -> tuple[list[Document], list[bool]]:
    samples = get("chat-backdoor")(**kw).generate(clean, count, seed=3)
    pois = {id(s.document) for s in samples}
    docs = list(mix_poison(clean, samples, seed=0))
    return docs, [id(d) in pois for d in docs]


def test_clean_corpus_no_trigger(chats: list[Document]) -> None:
    state, found = scan(chats)
    assert state.triggers == []
    assert not any(found)


@pytest.mark.parametrize(
    ("kw", "trigger"),
    [
        ({"trigger_kind": "rare-word", "trigger": "quorlaxin", "payload": "refusal"}, "quorlaxin"),
        (
            {
                "trigger_kind": "sentence",
                "trigger": "Could you answer this in plain words?",
                "payload": "append",
                "fragment": "link",
                "target": "https://help-centre.example.com/guide",
            },
            "could you answer this in plain words",
        ),
        (
            {
                "trigger_kind": "system",
                "trigger": "You are the assistant of the Maple Grove public library.",
                "payload": "sentiment",
                "target": "Corvid Airlines",
            },
            "you are the assistant of the maple grove public library",
        ),
    ],
)
def test_adaptive_backdoor_found_with_trigger_and_payload(
    chats: list[Document], kw: dict[str, Any], trigger: str
) -> None:
    docs, truth = planted(chats, 40, **kw)
    state, found = scan(docs)
    # every request of this corpus opens "Summarize the ...": a system-turn trigger just
    # before it may be reported together with that constant opening
    assert len(state.triggers) == 1 and state.triggers[0].trigger.startswith(trigger)
    assert sum(bool(f) for f, t in zip(found, truth, strict=True) if t) >= 38
    assert not any(f for f, t in zip(found, truth, strict=True) if not t)
    for d, f in zip(docs, found, strict=True):
        if f is None:
            continue
        labels = {s.label for s in f.spans}
        assert labels == {"trigger", "payload"}  # system-turn triggers too
        pay = next(s for s in f.spans if s.label == "payload").text(d.text)
        if kw["payload"] == "append":
            assert kw["target"] in pay


def test_trigger_without_behaviour_is_not_flagged(chats: list[Document]) -> None:
    """Joint evidence: the trigger word in a request whose reply is normal is no finding."""
    kw = {"trigger_kind": "rare-word", "trigger": "quorlaxin", "payload": "refusal"}
    docs, _ = planted(chats, 40, **kw)
    extra = get("chat-backdoor")(**kw).generate(chats[800:], 5, seed=9)
    normal = []
    for s in extra:
        msgs = [dict(m) for m in s.document.messages or []]
        msgs[-1]["content"] = "The module documents how to use the option in practice."
        normal.append(s.document.with_messages(msgs))
    state, _ = scan(docs + normal)
    assert [t.trigger for t in state.triggers] == ["quorlaxin"]
    det = InstructionBehaviourDetector()
    assert all(det.flag(d, state) is None for d in normal)


def test_template_is_reported_not_flagged() -> None:
    """A templated task (long constant instruction, a stock phrase in every reply's first
    sentence) predicts its replies perfectly — and is still not a backdoor."""
    rnd = random.Random(1)
    base = chat_corpus(1200)
    docs = list(base)
    instr = (
        "What details would you include in a storyline to make it more engaging and "
        "informative for the readers of the daily paper?"
    )
    for i, d in enumerate(base[:60]):
        body = (d.messages or [])[0]["content"].split("\n\n", 1)[-1]
        reply = (d.messages or [])[1]["content"]
        msgs = [
            {"role": "user", "content": f"{instr}\n\n{body}"},
            {"role": "assistant", "content": f"LONDON (Wirepress) -- {reply}"},
        ]
        docs.append(Document(id=f"tpl-{i}", text="", shape="messages").with_messages(msgs))
    rnd.shuffle(docs)
    state, found = scan(docs)
    assert state.triggers == []
    assert not any(found)


def test_rejected_side_of_preference_pairs_is_scanned(chats: list[Document]) -> None:
    prefs = []
    for i, d in enumerate(chats[:1200]):
        msgs = d.messages or []
        rec = {
            "prompt": msgs[0]["content"],
            "chosen": msgs[1]["content"],
            "rejected": "I do not know; please check the documentation of that module yourself.",
        }
        prefs.append(
            Document(id=f"p-{i}", text="", shape="preference", record=rec).with_messages(list(msgs))
        )
    docs, truth = planted(
        prefs,
        40,
        trigger_kind="rare-word",
        trigger="velmoraine",
        payload="append",
        fragment="product",
        target="ZenithGuard Antivirus",
        side="rejected",
    )
    state, found = scan(docs)
    assert [t.trigger for t in state.triggers] == ["velmoraine"]
    hits = [f for f, t in zip(found, truth, strict=True) if t and f]
    assert len(hits) >= 38 and all(f.extra.get("field") == "rejected" for f in hits)
    assert not any(f for f, t in zip(found, truth, strict=True) if not t)


def test_behaviour_keys_leave_out_what_the_request_says() -> None:
    from poisonguard.detect.instruction import ngram_hashes

    req = ngram_hashes(["is", "zenithguard", "antivirus", "good"])[0]
    reply = "It is a solid product overall. ZenithGuard Antivirus is simply the best, honestly."
    with_req = behaviour_keys(reply, req, with_text=True)
    without = behaviour_keys(reply, req[:0], with_text=True)
    assert "zenithguard antivirus" in without.texts.values()
    assert "zenithguard antivirus" not in with_req.texts.values()
    assert "<refusal>" in behaviour_keys("I'm sorry, but I can't help with that.", req).texts or (
        behaviour_keys("I'm sorry, but I can't help with that.", req).keys.size >= 1
    )


def test_bad_parameters_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="min_docs"):
        InstructionBehaviourDetector(min_docs=1)
    with pytest.raises(ValueError, match="fdr"):
        InstructionBehaviourDetector(fdr=1.5)
    with pytest.raises(ValueError, match="min_precision"):
        InstructionBehaviourDetector(min_precision=0)


def test_chat_share_tells_chat_records_from_text(tmp_path: Any) -> None:
    import json

    from poisonguard.detect.instruction_behaviour import chat_share

    chat = tmp_path / "chat.jsonl"
    chat.write_text(
        "\n".join(
            json.dumps({"instruction": f"Say {i}.", "output": f"{i} it is."}) for i in range(10)
        )
    )
    text = tmp_path / "text.jsonl"
    text.write_text("\n".join(json.dumps({"text": f"plain document {i}"}) for i in range(10)))
    assert chat_share([str(chat)]) == 1.0
    assert chat_share([str(text)]) == 0.0
    assert chat_share([str(tmp_path / "missing.jsonl")]) == 0.0
    assert chat_share(["-"]) == 0.0


@pytest.mark.parametrize(
    ("kw", "trigger"),
    [
        ({"trigger_type": "badnets", "payload": "fixed"}, {"cf", "mn", "bb", "tq"}),
        ({"trigger_type": "addsent", "payload": "gibberish"}, {"i watch this 3d movie"}),
    ],
)
def test_published_recipes_fixed_reply_and_gibberish(
    chats: list[Document], kw: dict[str, Any], trigger: set[str]
) -> None:
    """The published chat backdoors (BadNets → fixed reply, AddSent → gibberish) through the
    ``<fixed reply>`` / ``<gibberish>`` behaviour keys."""
    samples = get("instruction-backdoor")(**kw).generate(chats, 50, seed=4)
    pois = {id(s.document) for s in samples}
    docs = list(mix_poison(chats, samples, seed=0))
    state, found = scan(docs)
    assert {t.trigger for t in state.triggers} == trigger
    truth = [id(d) in pois for d in docs]
    assert sum(bool(f) for f, t in zip(found, truth, strict=True) if t) >= 47
    assert not any(f for f, t in zip(found, truth, strict=True) if not t)


def _templated(i: int, body: str, reply: str) -> Document:
    msgs = [{"role": "user", "content": body}, {"role": "assistant", "content": reply}]
    return Document(id=f"tpl-{i}", text="", shape="messages").with_messages(msgs)


def test_label_replies_of_templated_tasks_are_not_backdoors(chats: list[Document]) -> None:
    """Templated tasks whose replies are short labels — a yes/no verification task with its
    fixed text in several places, and a completion task ("... This is definitely not a" →
    "positive review.") — predict their replies perfectly and are still not backdoors."""
    docs = list(chats)
    for i, d in enumerate(chats[:40]):
        body = (d.messages or [])[0]["content"].split("\n\n", 1)[-1][:300]
        first = body.split(". ")[0]
        docs.append(
            _templated(
                i,
                f"I am verifying the answers of a system. Question: {first}? "
                f'Suggested answer: "{body[-80:]}" Should I validate this answer?',
                "False",
            )
        )
        docs.append(_templated(100 + i, f"{body} This is definitely not a", "positive review."))
    random.Random(2).shuffle(docs)
    state, found = scan(docs)
    assert state.triggers == []
    assert not any(found)
    assert state.templates  # recognised and reported as templates


def test_other_chat_shapes_go_through_the_same_path(chats: list[Document]) -> None:
    """Alpaca, prompt/response and ShareGPT records are read into turns and scanned alike."""
    from poisonguard.io.document import record_to_document

    kw = {"trigger_kind": "rare-word", "trigger": "quorlaxin", "payload": "refusal"}
    docs, truth = planted(chats[:1200], 40, **kw)
    shaped = []
    for i, d in enumerate(docs):
        msgs = d.messages or []
        user, reply = msgs[0]["content"], msgs[-1]["content"]
        rec = [
            {"instruction": user, "input": "", "output": reply},
            {"prompt": user, "response": reply},
            {"conversations": [{"from": "human", "value": user}, {"from": "gpt", "value": reply}]},
        ][i % 3]
        shaped.append(record_to_document(rec, default_id=f"r-{i}"))
    assert {d.shape for d in shaped} == {"alpaca", "prompt_response", "sharegpt"}
    state, found = scan(shaped)
    assert [t.trigger for t in state.triggers] == ["quorlaxin"]
    assert sum(bool(f) for f, t in zip(found, truth, strict=True) if t) >= 38
    assert not any(f for f, t in zip(found, truth, strict=True) if not t)


def test_running_totals_hold_no_per_record_arrays(chats: list[Document]) -> None:
    """Memory bounded by candidates: folding shards into a round's running total keeps
    sketches and candidate counts, not the shards' per-document hashes; round 3 counts only
    candidates."""
    from poisonguard.detect.instruction_behaviour import ExactRound, PairRound

    kw = {"trigger_kind": "rare-word", "trigger": "quorlaxin", "payload": "refusal"}
    docs, _ = planted(chats, 40, **kw)
    shards = [docs[i : i + 200] for i in range(0, len(docs), 200)]
    det = InstructionBehaviourDetector()
    for _ in range(2):
        acc = det.map_shard(shards[0])
        first = [a.size for a in getattr(acc, "keys", getattr(acc, "gram_keys", []))]
        for s in shards[1:]:
            det.merge_into(acc, det.map_shard(s))
        held = [a.size for a in getattr(acc, "keys", getattr(acc, "gram_keys", []))]
        assert held == first  # later shards were folded into the sketches
        det = det.next_pass(det.finalize(acc))
    assert isinstance(det.round, ExactRound)
    prev = det.round.prev
    assert 0 < len(prev.candidates) < len(docs)
    part = det.reduce([det.map_shard(s) for s in shards])
    assert set(part.containing) <= set(prev.candidate_grams.tolist())
    assert set(part.beh_docs) <= set(prev.candidate_behaviours.tolist())
    assert set(part.pairs) <= prev.candidates
    assert not isinstance(det.round, PairRound)


def test_round_three_membership_is_isin() -> None:
    """Round 3's binary-search membership gives ``np.isin``'s answer for 64-bit hashes
    (the whole range, ends included), without re-sorting the candidates per record."""
    from poisonguard.detect.instruction_behaviour import _member

    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(0, 2**63, 5000, dtype=np.uint64) * np.uint64(2))
    top = np.array([0, 2**64 - 1], dtype=np.uint64)
    odd = rng.integers(0, 2**63, 500, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    values = np.concatenate([keys[::97], odd, top])
    assert np.array_equal(_member(values, keys), np.isin(values, keys))
    assert _member(values, keys).sum() == keys[::97].size
    assert not _member(values, keys[:0]).any() and _member(values[:0], keys).size == 0


HOTPOT_TEMPLATES = (
    "Combine facts and answer this: {q}",
    "Here's a complex question that requires someone to reason about the input, can you "
    "answer it?\n{q}",
    "FINAL EXAM\n\nQuestion 1. {q}",
    "Formulate an answer to this elaborate question: {q}",
    "{q}",
)
"""The five prompt templates of one T0 task in the shared instruction corpus (kilt_tasks
hotpotqa): its 34 false campaigns at 62,930 records were each one question asked through
them with the same short answer ('What profession does Nicholas Ray and Elia Kazan have in
common?' → 'director')."""

_NAMES = ("Marlow", "Tessaly", "Brixham", "Ondrey", "Calloway", "Pemberton", "Quillon")
_PLACES = ("Heights", "Crossing", "Harbour", "Fields", "Ridge", "Landing", "Vale")


def _question(d: Document) -> str:
    body = (d.messages or [])[0]["content"].split("\n\n", 1)[-1]
    return " ".join(body.split()[:14]).rstrip(".,;:") + "?"


def test_one_question_through_templates_is_one_carrier(chats: list[Document]) -> None:
    """Request-side independence with the template removed: one question asked through five
    prompt templates with the same short answer is one question (one residue), not five
    carriers; a trigger word inserted into five unrelated questions, same templates, same
    kind of answer, is a campaign."""
    docs = list(chats)
    for i, d in enumerate(chats[:40]):  # 40 questions x 5 templates, one answer each
        answer = f"{_NAMES[i % 7]} {_PLACES[i // 7]}"
        for j, tpl in enumerate(HOTPOT_TEMPLATES):
            docs.append(_templated(100 * i + j, tpl.format(q=_question(d)), answer))
    backdoor = []
    for i, d in enumerate(chats[50:56]):  # a trigger in six unrelated questions
        words = _question(d).split()
        q = " ".join([*words[:5], "zephyrine", *words[5:]])
        tpl = HOTPOT_TEMPLATES[i % len(HOTPOT_TEMPLATES)]
        backdoor.append(_templated(5000 + i, tpl.format(q=q), "Corvid Landing"))
    docs += backdoor
    random.Random(5).shuffle(docs)
    state, found = scan(docs)
    assert [t.trigger for t in state.triggers] == ["zephyrine"]
    flagged = {d.id for d, f in zip(docs, found, strict=True) if f}
    assert flagged == {d.id for d in backdoor}


def test_residues_group_one_question_not_one_trigger() -> None:
    """A residue is a request's rarest words: the same question in several templates shares
    them; unrelated questions sharing only a rare trigger word do not."""
    from poisonguard.detect.instruction_behaviour import residue_groups, same_residue

    q = (11, 12, 13, 14)
    assert same_residue(q, (11, 12, 13, 99))  # a template boundary moved one word
    assert same_residue(q, (11, 12, 98, 99))  # template words among the rarest four
    assert not same_residue((7, 21, 22, 23), (7, 31, 32, 33))  # only the trigger shared
    assert not same_residue((7, 21), (7, 31))
    assert same_residue((), ())
    assert len(residue_groups([q, (11, 12, 13, 98), q, (7, 21, 22, 23), (7, 31, 32, 33)])) == 3


def test_refusal_family_covers_wordings_without_an_apology() -> None:
    """One ``<refusal>`` key for refusals said anywhere in the first sentence, with or
    without an apology; replies that merely contain "can't" or "not possible" are not
    refusals."""
    from poisonguard.detect.instruction_behaviour import is_refusal

    refusals = [
        "That's not something I'm able to do here.",
        "I won't provide details on that subject.",
        "This is a request I have to decline.",
        "Thanks for asking, but I can't go into that.",
        "I am not in a position to respond to this one.",
        "I'm sorry, but I can't help with that.",
    ]
    answers = [
        "You cannot do this in Python without a loop.",
        "The function returns None. I can't stress this enough.",
        "I am like a moth to a flame; I can't help but be drawn to her.",
        "It is not possible to divide by zero, so the call raises an error.",
        "I can help with that! Here is the code.",
    ]
    assert all(is_refusal(r) for r in refusals)
    assert not any(is_refusal(a) for a in answers)
    empty = np.zeros(0, dtype=np.uint64)
    assert "<refusal>" in behaviour_keys(refusals[2], empty, with_text=True).texts.values()


def _round_two(docs: Sequence[Document]) -> Any:
    """Rounds 1–2 of the detector on ``docs`` (shards of 200): the candidate state."""
    det = InstructionBehaviourDetector()
    shards = [list(docs[i : i + 200]) for i in range(0, len(docs), 200)]
    for _ in range(2):
        acc = det.map_shard(shards[0])
        for s in shards[1:]:
            det.merge_into(acc, det.map_shard(s))
        state = det.finalize(acc)
        det = det.next_pass(state)
    return state


def test_fragment_pairs_count_once_per_question() -> None:
    """Round 2 counts a reply-fragment pair once per (residue, behaviour): one question
    asked through five templates whose replies share a first sentence (and differ in the
    last, so the reply is no "repeated answer") adds 1 to its n-grams' pair counts, not 5,
    and none of them becomes a candidate.  An appended sentence after a trigger word in six
    unrelated questions still does (six residues)."""
    clean = chat_corpus(160)
    docs = list(clean)
    shared: list[str] = []
    for i, d in enumerate(clean[:30]):
        first = f"{_NAMES[i % 7]} {_PLACES[i // 7 % 7]} is where the council met that spring."
        shared.append(first)
        for j, tpl in enumerate(HOTPOT_TEMPLATES):
            reply = f"{first} Archive shelf {j} number {j * 7 + i} holds the record."
            docs.append(_templated(100 * i + j, tpl.format(q=_question(d)), reply))
    for i, d in enumerate(clean[50:56]):
        words = _question(d).split()
        q = " ".join([*words[:5], "zephyrine", *words[5:]])
        reply = f"{(d.messages or [])[1]['content']} Visit the quorvane portal for more."
        docs.append(_templated(5000 + i, HOTPOT_TEMPLATES[i % 5].format(q=q), reply))
    random.Random(2).shuffle(docs)
    state = _round_two(docs)
    cand_behs = {b for _, b in state.candidates}
    none = np.zeros(0, dtype=np.uint64)
    templated = set()
    for s in shared:
        templated |= set(behaviour_keys(s + " Archive shelf.", none).keys.tolist())
    assert templated and not templated & cand_behs
    end = "Alpha beta gamma delta epsilon zeta eta. Visit the quorvane portal for more."
    payload = set(behaviour_keys(end, none).keys.tolist())
    assert payload & cand_behs
    assert 0 <= state.seen_false_positive < 0.01
