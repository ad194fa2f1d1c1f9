"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPORA = SHARED / "corpora"
TOKENIZERS = SHARED / "tokenizers"


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """``../shared/corpora``; the test is skipped when it is absent (fresh machines)."""
    if not (CORPORA / "web.jsonl.gz").is_file():
        pytest.skip(f"needs the shared corpora at {CORPORA} (absent on this machine)")
    return CORPORA


@pytest.fixture(scope="session")
def shared_tokenizers() -> Path:
    """``../shared/tokenizers``; skipped when absent."""
    if not (TOKENIZERS / "gpt-neox-20b.tokenizer.json").is_file():
        pytest.skip(f"needs the shared tokenizers at {TOKENIZERS} (absent on this machine)")
    return TOKENIZERS
