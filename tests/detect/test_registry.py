"""The detector registry: registration, kinds, factories, opt-in detectors."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from poisonguard.detect import registry
from poisonguard.detect.base import CorpusDetector, DocumentDetector, Finding
from poisonguard.detect.registry import DetectorContext, detectors_for, register_detector
from poisonguard.io import Document


class _Upper(DocumentDetector):
    name = "test-upper"
    kinds = ("pretrain",)

    def __init__(self, min_ratio: float = 0.5) -> None:
        self.min_ratio = min_ratio

    def score(self, doc: Document) -> Finding | None:
        letters = [c for c in doc.text if c.isalpha()]
        ratio = sum(c.isupper() for c in letters) / max(1, len(letters))
        return Finding(self.name, ratio, "upper case") if ratio >= self.min_ratio else None


class _Count(CorpusDetector[int, int]):
    name = "test-count"
    kinds = ("instruction",)

    def map_shard(self, docs: Sequence[Document]) -> int:
        return len(docs)

    def reduce(self, partials: Sequence[int]) -> int:
        return sum(partials)

    def finalize(self, merged: int) -> int:
        return merged

    def flag(self, doc: Document, state: int) -> Finding | None:
        return None


@pytest.fixture()
def registered_test_detectors():  # type: ignore[no-untyped-def]
    register_detector(_Upper)
    register_detector(kinds=("instruction", "rag"), default=False)(_Count)
    yield
    registry._REGISTRY.pop("test-upper", None)
    registry._REGISTRY.pop("test-count", None)


def test_registration_kinds_and_defaults(registered_test_detectors: None) -> None:
    names = [e.name for e in detectors_for("pretrain")]
    assert "test-upper" in names and "test-count" not in names
    # opt-in detector only when named, and only for its kinds
    assert "test-count" not in [e.name for e in detectors_for("instruction")]
    assert [e.name for e in detectors_for("rag", only=["test-count"])] == ["test-count"]
    entries = registry.registered()
    assert entries["test-upper"].stage == "document" and entries["test-upper"].calibrate
    assert entries["test-count"].stage == "corpus" and not entries["test-count"].calibrate
    assert "test-upper" not in [e.name for e in detectors_for("pretrain", exclude=["test-upper"])]


def test_factory_passes_options(registered_test_detectors: None) -> None:
    entry = registry.registered()["test-upper"]
    det = entry.build(DetectorContext(options={"test-upper": {"min_ratio": 0.9}}))
    assert isinstance(det, _Upper) and det.min_ratio == 0.9
    f = det.score(Document(id="a", text="ALL CAPS TEXT"))
    assert f is not None and f.score == 1.0
    assert det.score(Document(id="b", text="Mostly lower Case")) is None


def test_bad_registrations() -> None:
    with pytest.raises(TypeError):
        register_detector(int)
    with pytest.raises(ValueError, match="kind"):
        register_detector(kinds=("video",))(_Upper)
    with pytest.raises(ValueError, match="unknown corpus kind"):
        detectors_for("video")
    with pytest.raises(ValueError, match="unknown detector"):
        detectors_for("pretrain", only=["no-such-detector"])


def test_default_map_shard_findings_delegates() -> None:
    docs = [Document(id=str(i), text="x") for i in range(3)]
    assert _Count().map_shard_findings(docs, [[] for _ in docs]) == 3


def test_instruction_defaults_leave_out_the_pretraining_trigger_miner() -> None:
    """On chat records the flattened-text trigger miner mines task templates (issue 13): it
    is off by default for ``instruction`` but still runs when named, and stays on for
    pre-training text."""
    inst = [e.name for e in detectors_for("instruction")]
    assert "triggers" not in inst and "instruction-behaviour" in inst
    assert "triggers" in [e.name for e in detectors_for("instruction", only=["+triggers"])]
    assert "triggers" in [e.name for e in detectors_for("pretrain")]
