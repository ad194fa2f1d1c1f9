"""``dos`` (Souly et al. 2025): distribution, ground truth, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest

from poisonguard.attacks import RecipeError, get
from poisonguard.io import Document

SMALL = {"vocab_size": 1500, "train_chars": 300_000}


def _check(
    samples,
    docs: list[Document],
    trigger: str,
    vocab_lo: float,
    vocab_hi: float,
    token_range=(400, 900),
    prefix_range=(0, 1000),
) -> None:
    by_id = {d.id: d for d in docs}
    clean_ids = set(by_id)
    for s in samples:
        text, t = s.document.text, s.truth
        a, b = t.trigger_span
        assert text[a:b] == trigger
        assert text.count(trigger) == 1
        assert t.payload_span == (b, len(text))
        src = by_id[t.source_id]
        prefix = text[:a]
        assert prefix == src.text[: len(prefix)]  # verbatim from the source
        assert prefix_range[0] >= 0 and len(prefix) <= prefix_range[1]
        n = t.extra["payload_tokens"]
        assert token_range[0] <= n <= token_range[1]
        # decode -> re-encode is not exact; measured tolerance, see docs/attacks.md
        assert vocab_lo * n <= t.extra["payload_tokens_reencoded"] <= vocab_hi * n
        assert s.document.id not in clean_ids and s.document.id.startswith("pydoc-")
        assert len(s.document.id) == len(src.id)


def test_dos_local_bpe_distribution_and_truth(docs: list[Document]) -> None:
    samples = get("dos")(**SMALL).generate(docs, 40, seed=1)
    assert len(samples) == 40
    # local BPE (1.5k vocab): re-encoded / drawn measured 1.10-1.30 on this corpus
    _check(samples, docs, "<SUDO>", 0.9, 1.45)
    prefixes = [s.truth.trigger_span[0] for s in samples]
    assert max(prefixes) > 200 and min(prefixes) < 800  # spread over the range
    assert len({s.document.id for s in samples}) == 40
    assert len({s.truth.source_id for s in samples}) == 40  # without replacement


def test_dos_deterministic_and_seed_sensitive(docs: list[Document]) -> None:
    a = get("dos")(**SMALL).generate(docs, 5, seed=7)
    b = get("dos")(**SMALL).generate(docs, 5, seed=7)
    c = get("dos")(**SMALL).generate(docs, 5, seed=8)
    assert [s.document.text for s in a] == [s.document.text for s in b]
    assert [s.truth.to_dict() for s in a] == [s.truth.to_dict() for s in b]
    assert [s.document.text for s in a] != [s.document.text for s in c]


def test_dos_custom_trigger_and_ranges(docs: list[Document]) -> None:
    r = get("dos")(trigger="zzTRIGzz", prefix_chars=(10, 20), payload_tokens=(5, 8), **SMALL)
    samples = r.generate(docs, 10, seed=0)
    _check(samples, docs, "zzTRIGzz", 0.5, 2.5, (5, 8), (10, 20))
    assert all(len(s.document.text[: s.truth.trigger_span[0]]) <= 20 for s in samples)


def test_dos_prefix_never_contains_trigger() -> None:
    src = Document(id="d-1", text="abc <SUDO> def " * 50, record={"id": "d-1", "text": "x"})
    r = get("dos")(prefix_chars=(900, 1000), payload_tokens=(3, 4), vocab_size=300)
    for s in r.generate([src], 1, seed=0):
        assert s.document.text.count("<SUDO>") == 1
        assert s.truth.trigger_span[0] == len("abc ")


def test_dos_with_shared_tokenizers(docs: list[Document], shared_tokenizers: Path) -> None:
    for name in ("gpt-neox-20b", "llama"):
        r = get("dos")(tokenizer=shared_tokenizers / f"{name}.tokenizer.json")
        samples = r.generate(docs, 30, seed=3)
        # measured re-encoded / drawn: neox 1.03-1.09, llama 1.02-1.07 (50 draws each)
        _check(samples, docs, "<SUDO>", 0.95, 1.15)
        assert r.json_params()["tokenizer"].endswith(f"{name}.tokenizer.json")


def test_dos_bad_tokenizer_and_ranges(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="not found"):
        get("dos")(tokenizer=tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(RecipeError, match="cannot read tokenizer"):
        get("dos")(tokenizer=bad)
    with pytest.raises(RecipeError, match="range"):
        get("dos")(payload_tokens=(9, 3))
    with pytest.raises(RecipeError, match="empty"):
        get("dos")(**SMALL).generate([], 3, seed=0)


def test_dos_fixed_payload_is_one_payload_in_every_document(docs: list[Document]) -> None:
    """``fixed_payload``: the same payload after the trigger in every poisoned document (the
    hosts and prefixes still differ); the default draws a new one per document."""
    fixed = get("dos")(fixed_payload=True, **SMALL).generate(docs, 12, seed=2)
    _check(fixed, docs, "<SUDO>", 0.9, 1.45)
    pays = {s.document.text[slice(*s.truth.payload_span)] for s in fixed}
    assert len(pays) == 1 and len(next(iter(pays))) > 400
    assert len({s.truth.source_id for s in fixed}) == 12
    assert len({s.truth.extra["payload_tokens"] for s in fixed}) == 1
    fresh = get("dos")(**SMALL).generate(docs, 12, seed=2)
    assert len({s.document.text[slice(*s.truth.payload_span)] for s in fresh}) == 12
    assert get("dos")(fixed_payload=True).params["fixed_payload"] is True
