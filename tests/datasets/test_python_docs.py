from __future__ import annotations

from poisonguard.datasets import iter_python_docs, python_docs


def test_python_docs_is_real_english_and_deterministic() -> None:
    docs = python_docs()
    assert len(docs) >= 2000
    assert len({d.id for d in docs}) == len(docs)
    assert len({d.sha256 for d in docs}) == len(docs)
    assert all(len(d.text) >= 120 for d in docs)
    again = [d.id for d in iter_python_docs()]
    assert again == [d.id for d in docs]
    words = " ".join(d.text for d in docs[:200]).lower().split()
    assert words.count("the") > 100


def test_limit() -> None:
    assert len(python_docs(limit=10)) == 10
