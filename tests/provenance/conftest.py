"""Fixtures for the provenance tests: a small mixed corpus, keys, a policy, a PostgreSQL URL."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from poisonguard.provenance import generate_keypair

SOURCES = [
    ("c4", "ODC-BY 1.0 (C4 / Common Crawl derived)", "https://news.example.org/a/{i}"),
    ("wikitext2", "CC BY-SA 3.0 (WikiText)", None),
    ("medquad", "CC BY 4.0", "https://www.cancer.gov/types/{i}"),
]


def make_records(n: int = 30, prefix: str = "doc") -> list[dict[str, Any]]:
    """``n`` small records over three sources, with URLs, licences and retrieved_at."""
    out = []
    for i in range(n):
        sid, lic, url = SOURCES[i % len(SOURCES)]
        rec: dict[str, Any] = {
            "id": f"{prefix}-{i:03d}",
            "text": f"Document {i} from {sid}. " + "lorem ipsum " * (i % 7),
            "source": sid,
            "license": lic,
            "meta": {"retrieved_at": f"2024-0{1 + i % 9}-15T10:00:00Z"},
        }
        if url:
            rec["meta"]["url"] = url.format(i=i)
        out.append(rec)
    return out


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "corpus.jsonl", make_records())


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three signers (alice, bob, carol) and one outsider (mallory)."""
    d = tmp_path_factory.mktemp("keys")
    return {name: generate_keypair(d / name) for name in ("alice", "bob", "carol", "mallory")}


def write_policy(
    path: Path,
    keys: dict[str, Any],
    *,
    signers: tuple[str, ...] = ("alice", "bob"),
    threshold: int = 2,
    **extra: Any,
) -> Path:
    policy: dict[str, Any] = {
        "name": "test-enclave",
        "signers": {
            "threshold": threshold,
            "keys": [
                {"keyid": keys[s].keyid, "public_key": keys[s].public_path.read_text()}
                for s in signers
            ],
        },
        "sources": {"allow_ids": ["c4", "wikitext2", "medquad"]},
        "licenses": {"allow": ["ODC-By-1.0", "CC-BY-SA-3.0", "CC-BY-4.0"]},
        "retrieved_at": {"not_before": "2024-01-01T00:00:00Z"},
    }
    policy.update(extra)
    path.write_text(json.dumps(policy, indent=2) + "\n")
    return path


@pytest.fixture
def policy(tmp_path: Path, keys: dict[str, Any]) -> Path:
    return write_policy(tmp_path / "policy.json", keys)


@pytest.fixture
def pg_url() -> Iterator[tuple[str, str]]:
    """``(url, schema)`` on the CI PostgreSQL server; a fresh schema dropped afterwards."""
    url = os.environ.get("POISONGUARD_TEST_PG_URL")
    if not url:
        pytest.skip("POISONGUARD_TEST_PG_URL is not set (no PostgreSQL server; .ci/run starts one)")
    schema = f"pgtest_{uuid.uuid4().hex[:12]}"
    yield url, schema
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    eng.dispose()
