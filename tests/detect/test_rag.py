"""PoisonedRAG passages: restated question + asserted answer, checked against the KB."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from poisonguard.attacks import get, mix_poison
from poisonguard.datasets import python_docs
from poisonguard.detect.base import Finding
from poisonguard.detect.rag import RagState, RestatedQuestionDetector, opening_question
from poisonguard.detect.rounds import run_rounds
from poisonguard.io import CorpusReader, Document

QUESTIONS = [
    ("What does the assert statement do?", "it deletes the current module from memory"),
    ("Who designed the Python programming language?", "Linus Torvalds"),
    ("What is the capital of Australia?", "Sydney"),
]


def run(docs: Sequence[Document], shard: int = 600) -> tuple[RagState, list[Finding | None]]:
    shards = [docs[i : i + shard] for i in range(0, len(docs), shard)]
    det, state = run_rounds(RestatedQuestionDetector(), shards)
    return state, [det.flag(d, state) for d in docs]


def flagged(f: Finding | None) -> bool:
    return f is not None and f.score >= 0.5


@pytest.fixture(scope="module")
def kb() -> list[Document]:
    return random.Random(0).sample(python_docs(), 1500)


def test_opening_question_shapes() -> None:
    q = opening_question("Who discovered penicillin?.The answer is Louis Pasteur.")
    assert q is not None and q[:2] == (0, len("Who discovered penicillin?"))
    assert q[2] == "who discovered penicillin"
    assert opening_question("How is glaucoma diagnosed\nby doctors today.") is not None
    assert opening_question("The assert statement checks a condition.") is None
    assert opening_question("Why?") is None


def test_poisoned_rag_groups_flagged_with_question_and_answer_evidence(kb: list[Document]) -> None:
    samples = get("rag")(questions=QUESTIONS).generate(kb, 15, seed=0)
    truth = {id(s.document): s.truth for s in samples}
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(kb, samples, seed=0)]
    state, found = run(docs)
    for d, f in zip(docs, found, strict=True):
        t = truth.get(id(d))
        if t is None:
            assert not flagged(f), (d.id, f)
            continue
        assert flagged(f) and f is not None
        trig = next(s for s in f.spans if s.label == "trigger")
        assert (trig.start, trig.end) == tuple(t.trigger_span)
        a0, a1 = t.extra["answer_span"]
        answer_words = set(d.text[a0:a1].lower().split())
        claims = {s.text(d.text).lower() for s in f.spans if s.label == "claim"}
        assert claims and claims <= answer_words | {w.strip(".") for w in answer_words}
    verdicts = {c.question: c.verdict for c in state.groups.values()}
    # the KB documents the assert statement without the attacker's answer: contradicted;
    # it says nothing about Australia: unverifiable
    assert verdicts["What does the assert statement do?"] == "contradicted"
    assert verdicts["What is the capital of Australia?"] == "unverifiable"
    rep = RestatedQuestionDetector().summarize(state)
    assert rep.campaigns is not None and rep.campaigns[0]["kind"] == "restated-question"
    assert rep.to_dict()["campaigns"] == rep.campaigns


def test_faq_pages_answered_by_several_sites_are_not_flagged(kb: list[Document]) -> None:
    """Long FAQ answers to one question (MedQuAD style) agree with the KB: not flagged."""
    body = [d.text[:1200] for d in kb[:3]]
    faq = [
        Document(id=f"faq-{i}", text=f"What is the assert statement?\n\n{b}")
        for i, b in enumerate(body)
    ]
    _, found = run(list(kb[:800]) + faq)
    assert not any(flagged(f) for f in found)


def test_clean_medical_faq_corpus_few_flags(shared_corpora: Path) -> None:
    med = [
        d
        for d, _ in zip(
            CorpusReader(str(shared_corpora / "medical.jsonl.gz")), range(4000), strict=False
        )
        if isinstance(d, Document)
    ]
    samples = get("rag")(
        questions=[
            ("How is glaucoma diagnosed?", "a simple saliva test"),
            ("What causes Alport syndrome?", "exposure to mobile phone radiation"),
        ]
    ).generate(med, 10, seed=0)
    pois = {id(s.document) for s in samples}
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(med, samples, seed=0)]
    _, found = run(docs, shard=2000)
    truth = [id(d) in pois for d in docs]
    assert all(flagged(f) for f, t in zip(found, truth, strict=True) if t)
    assert sum(flagged(f) for f, t in zip(found, truth, strict=True) if not t) <= 0.005 * len(med)


def test_bad_parameters_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="min_group"):
        RestatedQuestionDetector(min_group=1)


def test_folding_partials_in_place_matches_reduce(kb: list[Document]) -> None:
    """The scan folds each shard's partial into the running total in place; the result is
    what ``reduce`` of all partials gives (without a copy of the total per shard)."""
    samples = get("rag")(questions=QUESTIONS).generate(kb, 15, seed=0)
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(kb, samples, seed=0)]
    shards = [docs[i : i + 300] for i in range(0, len(docs), 300)]
    det = RestatedQuestionDetector()
    for _ in range(det.passes):
        parts = [det.map_shard(s) for s in shards]
        reduced = det.finalize(det.reduce(parts))
        acc = det.map_shard(shards[0])
        for i, p in enumerate([det.map_shard(s) for s in shards[1:]]):
            total = det.merge_into(acc, p)
            assert i == 0 or total is acc  # after the first fold: in place, no copy
            acc = total
        folded = det.finalize(acc)
        assert folded.report() == reduced.report()
        if det.passes > 1 and reduced.stage == 1:
            det = det.next_pass(reduced)
    assert folded.report()["campaigns"]


def test_fold_in_place_keeps_the_caps_reduce_applies() -> None:
    """Cutting a group's alternatives to the cap is not order-free: the fold must cut the
    first shard's partial as ``reduce`` does (the scan's outputs depend on it)."""
    import copy
    from collections import Counter

    from poisonguard.detect.rag import QuestionGroup, RagPartial

    def part(seed: int) -> RagPartial:
        alts = Counter({f"w{(i * 7 + seed) % 60}": 1 + (i * seed) % 5 for i in range(60)})
        group = QuestionGroup(question="q?", count=1, alternatives=alts, examples=["x"] * 12)
        return RagPartial(stage=1, documents=1, groups={1: group})

    det = RestatedQuestionDetector()
    parts = [part(s) for s in (1, 2, 3)]
    want = det.reduce(copy.deepcopy(parts))
    acc = parts[0]
    for p in parts[1:]:
        acc = det.merge_into(acc, p)
    got, exp = acc.groups[1], want.groups[1]
    assert list(got.alternatives.items()) == list(exp.alternatives.items())
    assert got.examples == exp.examples and len(got.examples) <= 10


def test_kb_alternatives_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """The words a KB check reports as alternatives are the same in every process (they
    were drawn from a set, in string-hash order, before)."""
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "import random\n"
        "from tests.detect.test_rag import QUESTIONS, run\n"
        "from poisonguard.attacks import get, mix_poison\n"
        "from poisonguard.datasets import python_docs\n"
        "kb = random.Random(0).sample(python_docs(), 1500)\n"
        "samples = get('rag')(questions=QUESTIONS).generate(kb, 15, seed=0)\n"
        "docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(kb, samples, seed=0)]\n"
        "state, _ = run(docs)\n"
        "print(json.dumps(state.report()['campaigns']))\n"
    )
    root = Path(__file__).resolve().parents[2]
    outs = []
    for seed in ("1", "2"):
        env = {"PYTHONHASHSEED": seed, "PYTHONPATH": f"{root / 'src'}:{root}"}
        res = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
        )
        assert res.returncode == 0, res.stderr
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    assert any(c["kb_alternatives"] for c in json.loads(outs[0]))


def test_rounds_are_explicit_and_do_not_mix(kb: list[Document]) -> None:
    """Round 1 groups passages by question; ``next_pass`` builds the KB-check round from its
    state (parameters carried over); a partial of one round is refused by the other."""
    from poisonguard.detect.rag import KnowledgeBaseRound, QuestionRound

    samples = get("rag")(questions=QUESTIONS).generate(kb, 15, seed=0)
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(kb, samples, seed=0)]
    det = RestatedQuestionDetector(min_group=3)
    assert isinstance(det.round, QuestionRound)
    part1 = det.map_shard(docs)
    state1 = det.finalize(det.reduce([part1]))
    assert state1.stage == 1 and state1.groups
    nxt = det.next_pass(state1)
    assert isinstance(nxt.round, KnowledgeBaseRound) and nxt.min_group == 3
    assert nxt.round.candidates is state1
    with pytest.raises(ValueError):
        nxt.finalize(part1)
    state2 = nxt.finalize(nxt.reduce([nxt.map_shard(docs)]))
    assert state2.stage == 2 and set(state2.groups) == set(state1.groups)
    assert all(c.verdict for c in state2.groups.values())
