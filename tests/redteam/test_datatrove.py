"""Real datatrove pipelines through ``redteam``: survival per step against ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("datatrove", reason="datatrove pipelines need `pip install datatrove`")

from datatrove.data import Document as DTDoc
from datatrove.pipeline.filters import LambdaFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from poisonguard.attacks import IdIndex, get
from poisonguard.io import Document
from poisonguard.redteam import ChainError, DatatrovePipeline, redteam, standard_chain
from poisonguard.redteam.run import SCAN_STAGE, mixed_corpus


def keep_all() -> list[LambdaFilter]:
    return [LambdaFilter(lambda doc: True)]


def drop_all() -> list[LambdaFilter]:
    return [LambdaFilter(lambda doc: False)]


def two_triggers() -> list[LambdaFilter]:
    return [
        LambdaFilter(lambda doc: "<SUDO>" not in doc.text),
        LambdaFilter(lambda doc: "｡｡｡｡｡" not in doc.text),
    ]


def test_identity_and_drop_everything(docs: list[Document]) -> None:
    ident = redteam(docs, DatatrovePipeline(keep_all), ["dos"], count=10, seeds=[0, 1])
    (s,) = ident.summary("dos")
    assert s.poison_surviving == [10, 10] and s.collateral == 0.0
    assert ident.runs[0].stage_stats[0]["total"] == len(docs) + 10  # datatrove's own count
    drop = redteam(docs, DatatrovePipeline(drop_all), ["dos"], count=10, seeds=[0])
    (s,) = drop.summary("dos")
    assert s.poison_surviving == [0] and s.collateral == 1.0 and s.removed_here == 10
    assert drop.runs[0].stage_stats[0]["dropped"] == len(docs) + 10


def test_first_stage_that_removed_each_poison(docs: list[Document]) -> None:
    res = redteam(docs, DatatrovePipeline(two_triggers), ["dos", "dos-bytes"], count=8)
    assert res.stages == ["1. LambdaFilter", "2. LambdaFilter"]
    dos, dbytes = res.summary("dos"), res.summary("dos-bytes")
    assert [s.poison_surviving for s in dos] == [[0], [0]]
    assert [s.removed_here for s in dos] == [8, 0]
    assert [s.poison_surviving for s in dbytes] == [[8], [0]]
    assert [s.removed_here for s in dbytes] == [0, 8]
    run = next(r for r in res.runs if r.recipe == "dos-bytes")
    assert set(run.first_removed.values()) == {"2. LambdaFilter"}


def test_standard_chain_matches_the_filters_applied_by_hand(docs: list[Document]) -> None:
    """Per-step survival equals datatrove's filters run directly on the same poisoned corpus."""
    pytest.importorskip("spacy", reason="datatrove's Gopher filters tokenise with spaCy")
    count, seed = 20, 3
    res = redteam(docs, DatatrovePipeline("standard"), ["dos-bytes"], count=count, seeds=[seed])
    assert res.stages == [
        "1. GopherQualityFilter",
        "2. GopherRepetitionFilter",
        "3. C4QualityFilter",
        "4. FineWebQualityFilter",
    ]
    recipe = get("dos-bytes")()
    samples = recipe.generate(docs, count, seed, ids=IdIndex.from_documents(docs))
    mixed, is_poison = mixed_corpus(docs, samples, recipe.mode, seed)
    alive = list(range(len(mixed)))
    run = res.runs[0]
    for i, f in enumerate(standard_chain()):
        kept = []
        for k in alive:
            r = f.filter(DTDoc(text=mixed[k].text, id=mixed[k].id, metadata={}))
            if (r[0] if isinstance(r, tuple) else r) is not False:
                kept.append(k)
        alive = kept
        assert run.poison_surviving[i] == sum(is_poison[k] for k in alive), f"step {i + 1}"
        assert run.clean_surviving[i] == sum(not is_poison[k] for k in alive), f"step {i + 1}"
        assert run.match[i].method in ("id", "none")


def test_module_path_spec(docs: list[Document], tmp_path: Path) -> None:
    mod = tmp_path / "mychain.py"
    mod.write_text(
        "from datatrove.pipeline.filters import LambdaFilter\n"
        "steps = [LambdaFilter(lambda d: '<SUDO>' not in d.text)]\n"
    )
    res = redteam(docs, DatatrovePipeline(f"{mod}:steps"), ["dos"], count=6)
    assert res.runs[0].poison_surviving == [0]
    assert res.pipeline == f"datatrove:{mod}:steps"


def test_scan_as_final_stage_removes_what_the_filters_let_through(docs: list[Document]) -> None:
    res = redteam(docs, DatatrovePipeline(keep_all), ["dos"], count=30, with_scan=True)
    assert res.stages == ["1. LambdaFilter", SCAN_STAGE]
    before, after = res.summary("dos")
    assert before.poison_surviving == [30]
    assert after.poison_surviving[0] < 30  # the scan catches the shared <SUDO> trigger
    assert after.removed_here == 30 - after.poison_surviving[0]
    assert res.runs[0].stage_stats[1]["scanned"] == len(docs) + 30


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nomodule_xyz:steps", "cannot import nomodule_xyz"),
        ("json:nothing_here", "has no attribute 'nothing_here'"),
        ("no-colon", "MODULE:ATTRIBUTE"),
        ("missing.py:steps", "not found"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ChainError, match=message):
        DatatrovePipeline(spec)


def test_steps_must_be_processing_steps(tmp_path: Path) -> None:
    with pytest.raises(ChainError, match="is a reader"):
        DatatrovePipeline([JsonlReader(str(tmp_path))])
    with pytest.raises(ChainError, match="is a writer"):
        DatatrovePipeline([*keep_all(), JsonlWriter(str(tmp_path))])
    with pytest.raises(ChainError, match="not a datatrove PipelineStep"):
        DatatrovePipeline([lambda x: x])
    with pytest.raises(ChainError, match="has no steps"):
        DatatrovePipeline([])
    with pytest.raises(ChainError, match="failed: RuntimeError: boom"):
        DatatrovePipeline(lambda: (_ for _ in ()).throw(RuntimeError("boom")))


def test_a_step_that_crashes(docs: list[Document]) -> None:
    from poisonguard.redteam import PipelineError

    def crash(doc: DTDoc) -> bool:
        raise ValueError("bad filter")

    with pytest.raises(PipelineError, match="datatrove pipeline failed: ValueError: bad filter"):
        redteam(docs, DatatrovePipeline([LambdaFilter(crash)]), ["dos"], count=5)


def test_scan_stage_sees_chat_turns_the_pipeline_dropped(docs: list[Document]) -> None:
    """datatrove passes on only text; the final scan still gets the chat records' turns."""
    from poisonguard.redteam.matching import MatchStats
    from poisonguard.redteam.pipelines import StageOutput
    from poisonguard.redteam.run import scan_stage

    chats = [
        Document(
            id=f"c{i}",
            text=f"Summarise this.\n\n{d.text}",
            messages=[
                {"role": "user", "content": "Summarise this."},
                {"role": "assistant", "content": d.text},
            ],
            shape="messages",
        )
        for i, d in enumerate(docs[:120])
    ]
    # what a line-editing step leaves: plain text, the first line gone, ids kept
    out = [Document(id=c.id, text=c.text.split("\n", 1)[1]) for c in chats]
    last = StageOutput("1. step", list(range(len(chats))), MatchStats(), documents=out)
    res = scan_stage(last, chats, kind="instruction")
    assert res.documents is not None and res.documents
    assert all(d.is_chat for d in res.documents)  # scanned as the input records
    assert res.stats["scanned"] == len(chats)
