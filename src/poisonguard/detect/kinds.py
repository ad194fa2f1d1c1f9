"""Which kind of corpus is this? Chat / instruction records scanned as plain pre-training
text make prompt templates look like triggers, so ``kind="auto"`` looks before it scans.

:func:`guess_kind` reads the first records (at most :data:`PEEK` documents): when most are
in an instruction shape (chat ``messages``, ShareGPT, Alpaca, prompt/response,
prompt/completion, preference pairs — see :mod:`poisonguard.io.document`) the corpus is
``instruction`` data; plain text carrying chat-template markers (``<|im_start|>``,
``[INST]``, ``### Instruction:``, ``Human:``/``Assistant:`` turns) stays ``pretrain`` (the
instruction detectors need turns) but the reason says how to read it as chat records.
Anything else is ``pretrain``.  RAG passages look like plain text and
are never guessed: pass ``kind="rag"``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from poisonguard.io import CorpusError, CorpusReader, Document

PEEK = 200
"""Documents read to guess the kind."""
KINDS = ("pretrain", "instruction", "rag")

_TEMPLATE = re.compile(
    r"<\|im_start\|>|<\|start_header_id\|>|\[INST\]|<start_of_turn>|^### (?:Instruction|Response):"
    r"|^(?:Human|User|USER):.*\n(?:.*\n)*?(?:Assistant|ASSISTANT|Bot):",
    re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class KindGuess:
    """The guessed kind, and the evidence for it in words."""

    kind: str
    reason: str
    looked_at: int = 0
    shapes: dict[str, int] = field(default_factory=dict)


def _peek(corpus: Any, reader_options: dict[str, Any] | None) -> list[Document] | None:
    if isinstance(corpus, str | os.PathLike):
        corpus = [corpus]
    if not isinstance(corpus, list | tuple):
        return None  # an iterator would be used up by looking at it
    items = list(corpus)
    if items and all(isinstance(x, Document) for x in items):
        return list(items[:PEEK])
    paths = [os.fspath(x) for x in items]
    if not paths or "-" in paths:  # stdin can be read once: no peeking
        return None
    try:
        reader = CorpusReader(paths, **(reader_options or {}))
        return [d for d in islice(reader, PEEK * 2) if isinstance(d, Document)][:PEEK]
    except (CorpusError, OSError, ValueError):
        return None  # the scan itself reports unusable input


def guess_kind(corpus: Any, reader_options: dict[str, Any] | None = None) -> KindGuess:
    """Guess ``pretrain`` or ``instruction`` from the first records of ``corpus``
    (paths, globs, folders or Documents)."""
    docs = _peek(corpus, reader_options)
    if docs is None:
        return KindGuess("pretrain", "input not inspected (stdin or unreadable): pretrain")
    return guess_kind_of(docs)


def guess_kind_of(docs: Iterable[Document]) -> KindGuess:
    """:func:`guess_kind` over documents already read."""
    shapes: Counter[str] = Counter()
    templated = 0
    n = 0
    for d in docs:
        n += 1
        shapes[d.shape] += 1
        if d.shape == "text" and _TEMPLATE.search(d.text[:4000]):
            templated += 1
    if n == 0:
        return KindGuess("pretrain", "no readable record to inspect: pretrain")
    chat = n - shapes.get("text", 0)
    if chat * 2 > n:
        named = ", ".join(f"{s} {c}" for s, c in shapes.most_common() if s != "text")
        return KindGuess(
            "instruction",
            f"{chat} of the first {n} records are chat/instruction records ({named})",
            n,
            dict(shapes),
        )
    if templated * 2 > n:
        return KindGuess(
            "pretrain",
            f"{templated} of the first {n} records are plain text with chat-template markers "
            "(chat data flattened to text): scanned as pretrain text, where the templates "
            "can be mined as triggers; read the records as chat turns (a messages field) "
            "and scan with --kind instruction",
            n,
            dict(shapes),
        )
    return KindGuess("pretrain", f"the first {n} records are plain text", n, dict(shapes))


__all__ = ["KINDS", "PEEK", "KindGuess", "guess_kind", "guess_kind_of"]
