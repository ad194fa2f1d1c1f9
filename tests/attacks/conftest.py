"""Fixtures for the attack tests: a small real corpus and a cached local vocabulary."""

from __future__ import annotations

import pytest

from poisonguard.datasets import python_docs
from poisonguard.io import Document


@pytest.fixture(scope="session")
def docs() -> list[Document]:
    """400 real English documents embedded in CPython (no ../shared needed)."""
    return python_docs(limit=400)
