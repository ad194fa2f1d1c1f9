"""Shared data for the redteam tests: real clean documents (the embedded CPython corpus)."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import orjson
import pytest

from poisonguard.datasets import python_docs
from poisonguard.io import Document

PY = sys.executable

NO_SUDO = (
    "import json, sys\n"
    "with open(sys.argv[1]) as f, open(sys.argv[2], 'w') as g:\n"
    "    for line in f:\n"
    "        if '<SUDO>' not in json.loads(line)['text']:\n"
    "            g.write(line)\n"
)
"""A keyword filter script: drops the records whose text holds the dos trigger."""


@lru_cache(maxsize=1)
def _docs() -> tuple[Document, ...]:
    return tuple(python_docs(limit=300))


@pytest.fixture
def docs() -> list[Document]:
    """300 real English documents (ids ``python-...``)."""
    return list(_docs())


@pytest.fixture
def clean_file(tmp_path: Path) -> Path:
    """The 300 documents as a user's JSON Lines corpus (id, text, meta)."""
    path = tmp_path / "user" / "clean.jsonl"
    path.parent.mkdir()
    path.write_bytes(
        b"".join(
            orjson.dumps({"id": f"web-{i}", "text": d.text, "meta": {"src": "py"}}) + b"\n"
            for i, d in enumerate(_docs())
        )
    )
    return path


def script(tmp_path: Path, name: str, body: str) -> str:
    """Write a Python filter script ``name`` and return the command ``python script``."""
    p = tmp_path / "scripts" / name
    p.parent.mkdir(exist_ok=True)
    p.write_text(body)
    return f"{PY} {p}"
