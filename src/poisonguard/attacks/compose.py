"""Building blocks shared by recipes: derived documents, prefixes, insertion points."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from poisonguard.attacks.base import RecipeError, id_is_derived
from poisonguard.attacks.ids import IdIndex
from poisonguard.io import Document
from poisonguard.io.document import join_messages

T = TypeVar("T")


def derive_document(
    source: Document,
    ids: IdIndex,
    rng: np.random.Generator,
    *,
    text: str | None = None,
    messages: list[dict[str, str]] | None = None,
    reserve: int = 1,
    keep_id: bool = False,
) -> Document:
    """A new document shaped exactly like ``source`` (record fields, shape, id scheme).

    Args:
        source: the clean document to imitate; its record is deep-copied.
        ids: clean id index, used to mint an unused id in ``source``'s pattern.
        text: new text (plain documents).
        messages: new chat turns (chat documents).
        reserve: ids the caller will mint in total (see :meth:`IdIndex.mint`).
        keep_id: keep ``source.id`` (``replace``-mode recipes).

    Ids derived from the file position (no id field) are left empty: the record carries no
    id, and its id is ``<output file>:<line>`` once written.  A URL in the copied record
    (``url``, ``source_uri`` or ``meta.url``) is changed to a fresh URL on the same host
    (see :func:`fresh_url`), so that the poison never shares a URL with a clean record.
    """
    if (text is None) == (messages is None):
        raise ValueError("give exactly one of text= or messages=")
    if messages is not None and not source.is_chat:
        raise ValueError("messages= needs a chat source document")
    if text is not None and source.is_chat:
        raise ValueError("text= needs a plain-text source document")
    if keep_id:
        new_id = source.id
    elif id_is_derived(source):
        new_id = ""
    else:
        new_id = ids.mint(source.id, rng, reserve)
    doc = Document(
        id=new_id,
        text=text if text is not None else join_messages(messages or []),
        messages=[dict(m) for m in messages] if messages is not None else None,
        source=source.source,
        metadata=copy.deepcopy(source.metadata),
        shape=source.shape,
        text_field=source.text_field,
        id_field=source.id_field,
        record=copy.deepcopy(source.record) if source.record is not None else None,
        raw=None,
        origin=None,
    )
    meta = doc.record.get("meta", doc.record.get("metadata")) if doc.record else None
    if isinstance(meta, dict):
        doc.metadata = meta  # one object, as a re-read record would give
    if not keep_id:
        for holder, key in url_fields(doc):
            old = holder[key]
            for attempt in range(60):  # short numeric paths may be taken: widen after 20
                new = (
                    fresh_url(old, rng)
                    if attempt < 20
                    else f"{old.rstrip('/')}-{int(rng.integers(10**5, 10**6))}"
                )
                if not ids.has_url(new):
                    break
            ids.claim_url(new)
            holder[key] = new
            if doc.source == old:
                doc.source = new
    return doc


def url_fields(doc: Document) -> list[tuple[dict[str, Any], str]]:
    """The (container, key) pairs of a record's string URL fields: url, source_uri, meta.url."""
    rec = doc.record
    if not rec:
        return []
    out: list[tuple[dict[str, Any], str]] = [
        (rec, k) for k in ("url", "source_uri") if isinstance(rec.get(k), str)
    ]
    meta = rec.get("meta", rec.get("metadata"))
    if isinstance(meta, dict) and isinstance(meta.get("url"), str):
        out.append((meta, "url"))
    return out


def fresh_url(url: str, rng: np.random.Generator) -> str:
    """A new URL on the same host: the digits of the path re-drawn (same count), or six
    random digits appended to its last segment when it has none."""
    parts = urlsplit(url)
    if not parts.netloc:
        return url + f"-{int(rng.integers(100000, 1000000))}"
    path = parts.path
    if any(c.isdigit() for c in path):
        path = re.sub(r"\d", lambda _: str(int(rng.integers(0, 10))), path)
    else:
        stem = path.rstrip("/") or ""
        path = (
            f"{stem}-{int(rng.integers(100000, 1000000))}"
            if stem
            else f"/{int(rng.integers(100000, 1000000))}"
        )
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


class Reservoir(Generic[T]):
    """A uniform random sample of at most ``limit`` items of a stream (Algorithm R)."""

    def __init__(self, limit: int, rng: np.random.Generator) -> None:
        self.limit, self.rng = limit, rng
        self.items: list[T] = []
        self.seen = 0

    def add(self, item: T) -> int | None:
        """Offer one item; returns the slot it took, or None when it was not kept."""
        slot: int | None
        if len(self.items) < self.limit:
            self.items.append(item)
            slot = len(self.items) - 1
        else:
            j = int(self.rng.integers(0, self.seen + 1))
            slot = j if j < self.limit else None
            if slot is not None:
                self.items[slot] = item
        self.seen += 1
        return slot


def plain_documents(docs: Sequence[Document], recipe: str) -> list[Document]:
    """The plain-text documents of ``docs``; :class:`RecipeError` when there are none."""
    plain = [d for d in docs if not d.is_chat]
    if not plain:
        raise RecipeError(
            f"recipe {recipe!r} makes plain-text documents but the clean corpus "
            "holds only chat/instruction records (try instruction-backdoor, or "
            "dos-bytes with style='chat')"
        )
    return plain


def draw_int(rng: np.random.Generator, bounds: Sequence[int], name: str) -> int:
    """An integer uniform on the closed range ``bounds = (lo, hi)``."""
    lo, hi = int(bounds[0]), int(bounds[1])
    if lo < 0 or hi < lo:
        raise RecipeError(f"{name} must be a range (lo, hi) with 0 <= lo <= hi, got {bounds}")
    return int(rng.integers(lo, hi + 1))


def clean_prefix(text: str, n: int, trigger: str | None) -> str:
    """The first ``n`` characters of ``text``, cut so that ``prefix + trigger`` contains the
    trigger exactly once, at the end (the prefix never contains or half-forms it)."""
    prefix = text[:n]
    if not trigger:
        return prefix
    i = prefix.find(trigger)
    if i >= 0:
        prefix = prefix[:i]
    while prefix and (prefix + trigger).find(trigger) != len(prefix):
        prefix = prefix[:-1]
    return prefix


def trigger_once(text: str, trigger: str, start: int) -> bool:
    """True when ``trigger`` occurs in ``text`` exactly once (overlaps counted), at ``start``."""
    return text.find(trigger) == start and text.find(trigger, start + 1) == -1


_PARA = re.compile(r"\n\s*\n")


def paragraph_offsets(text: str) -> list[int]:
    """Offsets where a new paragraph may be inserted: 0, after each blank line, the end.

    Texts without blank lines fall back to line breaks, then to sentence ends.
    """
    cuts = [m.end() for m in _PARA.finditer(text)]
    if not cuts:
        cuts = [m.end() for m in re.finditer(r"\n", text)]
    if not cuts:
        cuts = [m.end() for m in re.finditer(r"(?<=[.!?])\s+", text)]
    return sorted({0, *cuts, len(text)})


def word_offsets(text: str) -> list[int]:
    """Offsets of word starts plus the end of the text (insertion points for tokens)."""
    offs = [m.start() for m in re.finditer(r"\S+", text)]
    return sorted({*offs, len(text)}) if offs else [0]


def insert_words(
    text: str,
    words: Sequence[str],
    rng: np.random.Generator,
) -> tuple[str, list[tuple[int, int]]]:
    """Insert each of ``words`` as a separate word at a uniformly random word boundary.

    Returns the new text and the span of every inserted word (in the new text), sorted.
    """
    spans: list[tuple[int, int]] = []
    for w in words:
        offs = word_offsets(text)
        # never insert inside an earlier inserted word
        offs = [o for o in offs if not any(s < o < e for s, e in spans)]
        at = offs[int(rng.integers(0, len(offs)))]
        if at == len(text):
            piece, start = (" " + w if text and not text[-1].isspace() else w), None
        else:
            piece, start = w + " ", at
        new_text = text[:at] + piece + text[at:]
        begin = at if start is not None else at + (len(piece) - len(w))
        shift = len(piece)
        spans = [(s + shift, e + shift) if s >= at else (s, e) for s, e in spans]
        spans.append((begin, begin + len(w)))
        text = new_text
    return text, sorted(spans)


def answered_turn(messages: Sequence[dict[str, str]]) -> tuple[int, int]:
    """Indices of the last user turn that an assistant turn answers, and of that answer."""
    ui = max(
        i
        for i, m in enumerate(messages)
        if m["role"] == "user" and any(n["role"] == "assistant" for n in messages[i + 1 :])
    )
    ai = next(j for j in range(ui + 1, len(messages)) if messages[j]["role"] == "assistant")
    return ui, ai
