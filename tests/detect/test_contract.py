"""The declared corpus-detector contract: parameters, rounds, typed reports."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from poisonguard.datasets import python_docs
from poisonguard.detect import registry
from poisonguard.detect.base import CorpusDetector, CorpusReport, Finding
from poisonguard.detect.campaigns import CampaignDetector
from poisonguard.detect.pipeline import scan
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
