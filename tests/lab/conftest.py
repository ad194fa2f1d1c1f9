"""Fixtures of the lab tests: a small real corpus and a BPE trained on it."""

from __future__ import annotations

import pytest

from poisonguard.datasets import python_docs
from poisonguard.io import Document
from poisonguard.lab.tokenizer import LabTokenizer


@pytest.fixture(scope="session")
def docs() -> list[Document]:
    """1,200 short documents of the embedded Python docs corpus."""
    return python_docs()[400:1600]


@pytest.fixture(scope="session")
def tokenizer(docs: list[Document]) -> LabTokenizer:
    return LabTokenizer.train((d.text for d in docs), vocab_size=320)
