"""The embedded corpus (``builtin:python-docs``): real documents that need no download.

:func:`python_docs` builds several thousand real English documents from text that every
CPython installation ships: the ``pydoc_data`` help topics and the docstrings of the
standard library (read with :mod:`ast`, never imported, so nothing runs).  The result is
deterministic for a given Python version.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from poisonguard.io.document import Document

_SKIP_DIRS = {
    "test",
    "tests",
    "idle_test",
    "site-packages",
    "dist-packages",
    "__pycache__",
    "lib2to3",
    "turtledemo",
    "ensurepip",
    "venv",
    "config-3.11-x86_64-linux-gnu",
}


def _stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(("config-", "."))
        )
        files.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py"))
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _module_name(path: Path) -> str:
    root = Path(sysconfig.get_paths()["stdlib"])
    rel = path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
    return rel.removesuffix(".__init__")


def _docstrings(path: Path) -> Iterator[tuple[str, str]]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return
    module = _module_name(path)
    doc = ast.get_docstring(tree, clean=True)
    if doc:
        yield module, doc

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}.{child.name}"
                d = ast.get_docstring(child, clean=True)
                if d:
                    yield name, d
                if isinstance(child, ast.ClassDef):
                    yield from walk(child, name)

    yield from walk(tree, module)


def iter_python_docs(min_chars: int = 120) -> Iterator[Document]:
    """Stream the embedded corpus (see :func:`python_docs`); exact duplicates are dropped."""
    seen: set[str] = set()
    for doc in _iter_all(min_chars):
        if doc.sha256 not in seen:
            seen.add(doc.sha256)
            yield doc


def _iter_all(min_chars: int) -> Iterator[Document]:
    topics: dict[str, str] = {}
    try:
        from pydoc_data import topics as pydoc_topics
    except ImportError:  # pragma: no cover - some distributions strip pydoc_data
        pass
    else:
        topics = dict(pydoc_topics.topics)
    for name in sorted(topics):
        text = topics[name].strip()
        if len(text) >= min_chars:
            yield _doc(f"topic:{name}", text, f"pydoc_data.topics#{name}", "pydoc-topic")
    for path in _stdlib_files():
        for qualname, text in _docstrings(path):
            text = text.strip()
            if len(text) >= min_chars and _is_prose(text):
                yield _doc(f"doc:{qualname}", text, f"python-stdlib:{qualname}", "docstring")


def _is_prose(text: str) -> bool:
    """Mostly letters (not a table of numbers or a code listing)."""
    visible = [ch for ch in text if not ch.isspace()]
    return sum(ch.isalpha() for ch in visible) >= 0.6 * len(visible)


def _doc(key: str, text: str, source: str, kind: str) -> Document:
    doc_id = "pydoc-" + hashlib.sha1(key.encode()).hexdigest()[:12]
    return Document(
        id=doc_id,
        text=text,
        source=source,
        metadata={"name": key, "kind": kind, "license": "PSF-2.0"},
    )


def python_docs(min_chars: int = 120, limit: int | None = None) -> list[Document]:
    """Real English documents from the running CPython's docs and docstrings.

    Args:
        min_chars: drop texts shorter than this.
        limit: keep at most this many documents (in the deterministic order).
    """
    out: list[Document] = []
    for doc in iter_python_docs(min_chars):
        out.append(doc)
        if limit is not None and len(out) >= limit:
            break
    return out


__all__ = ["iter_python_docs", "python_docs"]
