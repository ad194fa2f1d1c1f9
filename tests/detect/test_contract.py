"""The declared corpus-detector contract: parameters, rounds, typed reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from poisonguard.datasets import python_docs
from poisonguard.detect import registry
from poisonguard.detect.base import CorpusDetector, CorpusReport, Finding, Round, RoundedDetector
from poisonguard.detect.campaigns import CampaignDetector
from poisonguard.detect.campaigns_dups import NearDuplicateDetector
from poisonguard.detect.cohesion import CohesionMiner
from poisonguard.detect.instruction import InstructionTriggerDetector
from poisonguard.detect.instruction_behaviour import InstructionBehaviourDetector
from poisonguard.detect.pipeline import scan
from poisonguard.detect.rag import RestatedQuestionDetector
from poisonguard.detect.rounds import Rounds, run_rounds
from poisonguard.io import Document


class _Rounds(CorpusDetector[list[int], list[int]]):
    """Counts documents per round; round r's detector knows the totals of rounds < r."""

    name = "test-rounds"
    passes = 3

    def __init__(self, *, scale: int = 1, _history: tuple[int, ...] = ()) -> None:
        self.scale = scale
        self._history = _history

    def map_shard(self, docs: Sequence[Document]) -> list[int]:
        return [len(docs) * self.scale]

    def reduce(self, partials: Sequence[list[int]]) -> list[int]:
        return [sum(p[0] for p in partials)]

    def finalize(self, merged: list[int]) -> list[int]:
        return [*self._history, merged[0] if merged else 0]

    def next_stage(self, state: list[int]) -> dict[str, object]:
        return {"_history": tuple(state)}

    def flag(self, doc: Document, state: list[int]) -> Finding | None:
        return None


def test_next_pass_rebuilds_from_the_constructor_parameters() -> None:
    det = _Rounds(scale=2)
    assert det.get_params() == {"scale": 2}
    nxt = det.next_pass([7])
    assert type(nxt) is _Rounds and nxt.scale == 2 and nxt._history == (7,)
    shards = [[Document(id=f"{s}-{i}", text="x") for i in range(n)] for s, n in enumerate((2, 3))]
    last, state = run_rounds(_Rounds(scale=2), shards)
    assert state == [10, 10, 10] and last._history == (10, 10)


def test_a_real_detector_clones_to_equal_parameters() -> None:
    det = CampaignDetector(min_docs=7, num_perm=32, related_hosts=False)
    params = det.get_params()
    assert params["min_docs"] == 7 and params["num_perm"] == 32
    assert not any(k.startswith("_") for k in params)
    assert det.clone().get_params() == params
    assert det.clone(min_docs=9).get_params() == {**params, "min_docs": 9}


def test_parameters_not_stored_under_their_name_are_a_clear_error() -> None:
    class Renamed(_Rounds):
        def __init__(self, *, factor: int = 1) -> None:
            self.scale = factor  # stored under another name: clone could not rebuild it

    with pytest.raises(TypeError, match="does not store parameter 'factor'"):
        Renamed().get_params()

    class Star(_Rounds):
        def __init__(self, **kw: int) -> None:
            self.kw = kw

    with pytest.raises(TypeError, match=r"\*args/\*\*kwargs"):
        Star().get_params()


def test_more_passes_without_next_stage_is_a_clear_error() -> None:
    class NoStage(_Rounds):
        def next_stage(self, state: list[int]) -> dict[str, object]:
            return CorpusDetector.next_stage(self, state)

    with pytest.raises(NotImplementedError, match="passes=3 but does not define next_stage"):
        run_rounds(NoStage(), [[Document(id="a", text="x")]])


def test_rounds_fold_with_merge_into_and_reduce_an_empty_corpus() -> None:
    folded: list[tuple[list[int], list[int]]] = []

    class Watch(_Rounds):
        passes = 1

        def merge_into(self, acc: list[int], part: list[int]) -> list[int]:
            folded.append((list(acc), list(part)))
            acc[0] += part[0]
            return acc

    rounds = Rounds([("w", Watch())])
    rounds.start()
    for n in (1, 2, 3):
        rounds.fold({"w": [n]})
    assert rounds.end() == [] and rounds.states["w"] == [6]
    assert folded == [([1], [2]), ([3], [3])]  # the running total, one shard at a time
    rounds.start()
    rounds.end()  # no shard at all: reduce([])
    assert rounds.states["w"] == [0]


def test_a_summarize_that_is_not_a_corpus_report_stops_the_scan() -> None:
    class Loose(_Rounds):
        name = "test-loose"
        passes = 1

        def summarize(self, state: list[int]) -> CorpusReport:
            return {"documents": state[0]}  # type: ignore[return-value]

    registry.register_detector(Loose)
    try:
        with pytest.raises(TypeError, match=r"test-loose.*not a CorpusReport"):
            scan(python_docs(limit=40), detectors=["test-loose"])
    finally:
        registry._REGISTRY.pop("test-loose", None)


def test_corpus_report_round_trips_its_json_form() -> None:
    rep = CorpusReport(triggers=[{"trigger": "x"}], details={"n": 1})
    assert rep.to_dict() == {"n": 1, "triggers": [{"trigger": "x"}]}  # no campaigns key
    assert CorpusReport.from_dict(rep.to_dict()) == rep


# -- declared rounds (RoundedDetector) ---------------------------------------------------
@dataclass(slots=True)
class _Count:
    stage: int
    n: int = 0


@dataclass(slots=True)
class _Other:
    stage: int
    n: int = 0


class _CountRound(Round[_Count, int]):
    """Counts documents; round 2 adds round 1's total (its state) to its own."""

    partial_type = _Count

    stage: ClassVar[int] = 1

    def __init__(self, before: int = 0) -> None:
        self.before = before

    def empty(self) -> _Count:
        return _Count(stage=self.stage)

    def map_shard(self, docs: Sequence[Document]) -> _Count:
        return _Count(stage=self.stage, n=len(docs))

    def merge_into(self, acc: _Count, part: _Count) -> _Count:
        acc.n += part.n
        return acc

    def finalize(self, merged: _Count) -> int:
        return self.before + merged.n


class _SecondRound(_CountRound):
    stage: ClassVar[int] = 2


class _Declared(RoundedDetector[_Count, int]):
    name = "test-declared"
    passes = 2

    def __init__(self, *, _before: int | None = None) -> None:
        self._before = _before
        self.round: _CountRound = _CountRound() if _before is None else _SecondRound(before=_before)

    def next_stage(self, state: int) -> dict[str, object]:
        return {"_before": state}

    def flag(self, doc: Document, state: int) -> Finding | None:
        return None


def _docs(n: int) -> list[Document]:
    return [Document(id=f"d{i}", text="x") for i in range(n)]


def test_a_rounded_detector_runs_its_declared_rounds() -> None:
    det = _Declared()
    assert det.reduce([]) == _Count(stage=1)  # an empty corpus: the round's empty total
    last, state = run_rounds(det, [_docs(2), _docs(3)])
    assert isinstance(last, _Declared) and isinstance(last.round, _SecondRound)
    assert state == 10  # 5 in each round
    acc = last.map_shard(_docs(1))
    assert last.merge_into(acc, last.map_shard(_docs(4))) is acc and acc.n == 5


def test_a_partial_of_another_round_is_refused() -> None:
    first = _Declared()
    second = first.next_pass(3)
    old = first.map_shard(_docs(2))
    new = second.map_shard(_docs(2))
    with pytest.raises(ValueError, match=r"round 2.*partial of round 1"):
        second.merge_into(new, old)
    with pytest.raises(ValueError, match=r"round 2.*partial of round 1"):
        second.merge_into(old, new)
    with pytest.raises(ValueError, match=r"round 2.*partial of round 1"):
        second.finalize(old)
    with pytest.raises(ValueError, match=r"round 2.*partial of round 1"):
        second.reduce([new, old])
    # another class with the right round number is refused too
    with pytest.raises(ValueError, match="cannot take a _Other"):
        second.merge_into(new, _Other(stage=2))


def test_a_relabelled_partial_gets_past_the_round_check() -> None:
    """What the check gives up: it reads the partial's own ``stage``; a partial of round 1
    relabelled as round 2 (same class) is taken as round 2's.  The check guards the wiring
    of rounds (a partial folded or finalized in the wrong round), not against a worker that
    forges its partials."""
    first = _Declared()
    second = first.next_pass(3)
    forged = first.map_shard(_docs(2))
    forged.stage = 2
    assert second.finalize(forged) == 5


def _chats(n: int) -> list[Document]:
    out = []
    for i in range(n):
        msgs = [
            {"role": "user", "content": f"Question {i}: what does the word w{i % 7} mean here?"},
            {"role": "assistant", "content": f"It means item {i % 5} in this context."},
        ]
        out.append(Document(id=f"c{i}", text="", shape="messages").with_messages(msgs))
    return out


def _texts(n: int) -> list[Document]:
    return list(python_docs(limit=n))


_ROUNDED: list[tuple[str, Callable[[], RoundedDetector[Any, Any]], Callable[[], list[Document]]]]
_ROUNDED = [
    ("campaigns", lambda: CampaignDetector(passes=2), lambda: _texts(40)),
    ("near-duplicates", lambda: NearDuplicateDetector(passes=2), lambda: _texts(40)),
    ("cohesion", lambda: CohesionMiner(familiarity=False), lambda: _texts(40)),
    ("cohesion-familiarity", lambda: CohesionMiner(table_width=1 << 12), lambda: _texts(40)),
    ("rag", lambda: RestatedQuestionDetector(), lambda: _texts(40)),
    ("instruction-trigger", lambda: InstructionTriggerDetector(), lambda: _chats(30)),
    ("instruction-behaviour", lambda: InstructionBehaviourDetector(), lambda: _chats(30)),
]


@pytest.mark.parametrize(("name", "make", "corpus"), _ROUNDED, ids=[r[0] for r in _ROUNDED])
def test_every_rounded_detector_refuses_a_partial_of_its_previous_round(
    name: str,
    make: Callable[[], RoundedDetector[Any, Any]],
    corpus: Callable[[], list[Document]],
) -> None:
    """Each round-based detector declares its rounds; a partial made in one round and
    folded or finalized in the next raises (cohesion's candidate and confirmation rounds
    share a partial class: only the round number tells them apart)."""
    docs = corpus()
    det = make()
    for _ in range(det.passes - 1):
        part = det.map_shard(docs[:10])
        assert det.merge_into(det.reduce([part]), det.map_shard(docs[10:])).stage == part.stage
        state = det.finalize(det.reduce([det.map_shard(docs)]))
        nxt = det.next_pass(state)
        later = nxt.map_shard(docs)
        assert later.stage != part.stage
        with pytest.raises(ValueError, match="round"):
            nxt.merge_into(later, det.map_shard(docs))
        with pytest.raises(ValueError, match="round"):
            nxt.finalize(det.map_shard(docs))
        with pytest.raises(ValueError, match="round"):
            det.merge_into(det.map_shard(docs), later)
        det = nxt
