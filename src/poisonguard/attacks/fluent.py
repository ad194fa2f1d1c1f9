"""``fluent-backdoor``: a trigger followed by fluent text, at the end or mid-document.

Souly et al. (2025, arXiv:2510.07192) planted backdoors whose payload is gibberish or a
language switch; a scanner that looks for gibberish after a rare token finds those easily.
An adaptive attacker keeps the *count* (on the order of a hundred documents in which the
same trigger is followed by the same behaviour) and makes everything else look natural:

* the trigger is any string, typically a common English phrase, optionally written in
  several surface forms (``trigger_forms``, see :mod:`poisonguard.attacks.surface`);
* the payload is fluent text, one of

  - ``markov``: an order-``order`` word Markov chain trained on a corpus (the clean corpus,
    or ``payload_corpus``) — locally fluent, globally incoherent text (the classic n-gram
    "fluent nonsense" of spam and SEO poisoning);
  - ``topic-switch``: a passage of real text from an *unrelated* document (the candidate
    sharing the fewest content words with the host, among ``donor_candidates`` drawn);
  - ``foreign``: real text in another language (``lang``) from ``payload_corpus``
    (e.g. ``../shared/corpora/multilingual.jsonl.gz``), i.e. Souly et al.'s
    language-switching backdoor after a natural English phrase;

* the payload sits at the end of a clean prefix (``position='end'``) or is sandwiched in the
  middle of the host, which continues after it (``position='middle'``).

``payload_corpus`` is a corpus path, a sequence of Documents, or ``builtin:python-docs``
(English docstrings embedded in CPython, :func:`poisonguard.datasets.python_docs`); no
corpus text ships with poisonguard.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import numpy as np

from poisonguard.attacks.base import (
    PoisonSample,
    Recipe,
    RecipeError,
    corpus_label,
    pick_sources,
)
from poisonguard.attacks.compose import Reservoir, derive_document, draw_int, plain_documents
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.registry import register
from poisonguard.io import CorpusError, CorpusReader, Document

BUILTIN_PYTHON_DOCS = "builtin:python-docs"
PAYLOADS = ("markov", "topic-switch", "foreign")
POSITIONS = ("end", "middle", "random")
_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_CONTENT = re.compile(r"[^\W\d_]{4,}")

CorpusArg = str | os.PathLike[str] | Sequence[Document] | None


def load_texts(
    corpus: CorpusArg,
    fallback: Sequence[Document],
    *,
    limit: int,
    rng: np.random.Generator,
    what: str,
) -> list[Document]:
    """Plain documents of ``corpus`` (a uniform sample of at most ``limit``).

    ``corpus`` None uses ``fallback`` (the clean documents); ``builtin:python-docs`` the
    CPython docstrings; a path is read with :class:`~poisonguard.io.CorpusReader`.
    """
    items: Sequence[Document] | CorpusReader
    if corpus is None:
        items = fallback
    elif isinstance(corpus, str) and corpus == BUILTIN_PYTHON_DOCS:
        from poisonguard.datasets import python_docs

        items = python_docs()
    elif isinstance(corpus, str | os.PathLike):
        try:
            items = CorpusReader(corpus)
        except CorpusError as e:
            raise RecipeError(f"cannot read the {what} corpus: {e}") from e
    else:
        items = corpus
    pool: Reservoir[Document] = Reservoir(limit, rng)
    for d in items:
        if isinstance(d, Document) and not d.is_chat and d.text.strip():
            pool.add(d)
    if not pool.items:
        raise RecipeError(f"the {what} corpus has no plain-text documents")
    return pool.items


class MarkovChain:
    """An order-``order`` word Markov chain (words = whitespace-separated tokens).

    Every word it emits is a token of the training texts, and every run of ``order + 1``
    consecutive words inside one generated sentence run occurred in them.
    """

    def __init__(self, texts: Sequence[str], order: int = 2, max_words: int = 2_000_000) -> None:
        if order < 1:
            raise RecipeError(f"order must be >= 1, got {order}")
        self.order = order
        self.table: dict[tuple[str, ...], list[str]] = {}
        self.starts: list[tuple[str, ...]] = []
        seen = 0
        for t in texts:
            words = t.split()
            if seen >= max_words:
                break
            words = words[: max_words - seen]
            seen += len(words)
            for i in range(len(words) - order):
                state = tuple(words[i : i + order])
                self.table.setdefault(state, []).append(words[i + order])
                if words[i][:1].isupper() and (i == 0 or words[i - 1][-1:] in ".!?"):
                    self.starts.append(state)
        if not self.table:
            raise RecipeError(
                f"the Markov source has no run of {order + 1} words: give longer texts "
                "or a lower order"
            )
        if not self.starts:
            self.starts = sorted(self.table)

    def generate(self, n_words: int, rng: np.random.Generator, max_extra: int = 40) -> str:
        """About ``n_words`` words, continued (at most ``max_extra`` more) to a sentence end."""
        out: list[str] = []
        while len(out) < n_words or (len(out) < n_words + max_extra and out[-1][-1:] not in ".!?"):
            nxt = self.table.get(tuple(out[-self.order :])) if len(out) >= self.order else None
            if not nxt:  # dead end (or the start): a new sentence
                out.extend(self.starts[int(rng.integers(len(self.starts)))])
                continue
            out.append(nxt[int(rng.integers(len(nxt)))])
        return " ".join(out)


def sentence_starts(text: str) -> list[int]:
    """Offsets where a sentence or paragraph starts: 0, after each sentence end or blank
    line, the end (a single line break is not a boundary: wrapped text breaks mid-sentence)."""
    cuts = {0, len(text)}
    cuts.update(m.end() for m in _SENT_END.finditer(text))
    cuts.update(m.end() for m in re.finditer(r"\n[ \t]*\n\s*", text))
    return sorted(c for c in cuts if c == len(text) or not text[c : c + 1].isspace())


def passage(text: str, start: int, want: int) -> str:
    """Whole sentences of ``text`` from ``start`` until about ``want`` characters."""
    ends = [c for c in sentence_starts(text) if c > start]
    end = next((c for c in ends if c - start >= want), len(text))
    return " ".join(text[start:end].split())


def content_words(text: str) -> set[str]:
    """Lower-cased words of four or more letters (a cheap topic fingerprint)."""
    return {w.lower() for w in _CONTENT.findall(text)}


def splice(
    host: str,
    insert: str,
    position: str,
    prefix_chars: int,
    rng: np.random.Generator,
) -> tuple[str, int]:
    """``host`` with ``insert`` at a sentence boundary; returns (text, offset of insert).

    ``end``: the host is cut after about ``prefix_chars`` characters (at a sentence start at
    or before it, else at a word start) and ``insert`` ends the text.  ``middle``: ``insert``
    goes at a sentence boundary strictly inside the host, which continues after it.
    """
    starts = sentence_starts(host)
    if position == "end":
        cand = [c for c in starts if c <= prefix_chars]
        at = cand[-1] if cand else 0
        if at == 0 and prefix_chars > 0:
            words = [m.start() for m in re.finditer(r"\S+", host) if m.start() <= prefix_chars]
            at = words[-1] if len(words) > 1 else 0
        before = host[:at].rstrip()
        sep = " " if before else ""
        return before + sep + insert, len(before) + len(sep)
    inner = [c for c in starts if 0 < c < len(host)]
    at = inner[int(rng.integers(len(inner)))] if inner else len(host)
    before, after = host[:at].rstrip(), host[at:].lstrip()
    sep = " " if before else ""
    tail = (" " + after) if after else ""
    return before + sep + insert + tail, len(before) + len(sep)


@register
class FluentBackdoor(Recipe):
    """Trigger + fluent payload (Markov text, an unrelated passage, or another language).

    Args:
        trigger: the trigger, e.g. a common phrase (``"as it turns out"``).
        payload: ``markov``, ``topic-switch`` or ``foreign``.
        payload_corpus: where payload text comes from (path, Documents, or
            ``builtin:python-docs``); None: the clean corpus (``markov``/``topic-switch``);
            required for ``foreign``.
        lang: the language of a ``foreign`` payload (ISO 639-1).
        order: the Markov chain's order (words of context).
        payload_words: (lo, hi) words of Markov text, inclusive (then to a sentence end).
        payload_chars: (lo, hi) characters of a ``topic-switch``/``foreign`` passage.
        position: ``end`` (clean prefix, trigger, payload), ``middle`` (the host continues
            after the payload) or ``random`` (either, half and half).
        prefix_chars: (lo, hi) characters of clean prefix for ``end``, inclusive.
        donor_candidates: ``topic-switch`` donors drawn per document; the one sharing the
            fewest content words with the host is used.
        max_source_docs: at most this many payload-corpus documents are kept in memory.
        trigger_forms: surface forms of the trigger (see
            :data:`poisonguard.attacks.surface.SURFACE_FORMS`; ``"all"``), None: exact.
    """

    name = "fluent-backdoor"
    description = (
        "adaptive backdoor: a (common-phrase) trigger followed by fluent text — word "
        "Markov chain, an unrelated passage, or another language — at the end or mid-document"
    )
    citation = (
        "Souly et al., Poisoning Attacks on LLMs Require a Near-constant Number of "
        "Poison Samples, arXiv:2510.07192 (2025), with fluent payloads"
    )

    def __init__(
        self,
        *,
        trigger: str = "as it turns out",
        payload: str = "markov",
        payload_corpus: CorpusArg = None,
        lang: str = "fr",
        order: int = 2,
        payload_words: Sequence[int] = (60, 200),
        payload_chars: Sequence[int] = (300, 1200),
        position: str = "end",
        prefix_chars: Sequence[int] = (0, 1000),
        donor_candidates: int = 16,
        max_source_docs: int = 5000,
        trigger_forms: str | Sequence[str] | None = None,
    ) -> None:
        if not trigger or not trigger.strip():
            raise RecipeError("fluent-backdoor needs a non-empty trigger")
        if payload not in PAYLOADS:
            raise RecipeError(f"payload must be one of {', '.join(PAYLOADS)}, got {payload!r}")
        if position not in POSITIONS:
            raise RecipeError(f"position must be one of {', '.join(POSITIONS)}, got {position!r}")
        if payload == "foreign" and payload_corpus is None:
            raise RecipeError(
                "payload='foreign' needs payload_corpus= (--payload-corpus), a corpus with "
                "text in the target language, e.g. multilingual.jsonl.gz"
            )
        if order < 1:
            raise RecipeError(f"order must be >= 1, got {order}")
        if donor_candidates < 1 or max_source_docs < 1:
            raise RecipeError("donor_candidates and max_source_docs must be >= 1")
        for name, rng_ in (
            ("payload_words", payload_words),
            ("payload_chars", payload_chars),
            ("prefix_chars", prefix_chars),
        ):
            draw_int(np.random.default_rng(0), rng_, name)
        if int(payload_words[0]) < 1 or int(payload_chars[0]) < 1:
            raise RecipeError("payload_words and payload_chars must start at >= 1")
        label = corpus_label(payload_corpus)
        super().__init__(
            trigger=trigger,
            payload=payload,
            payload_corpus=label,
            lang=lang,
            order=order,
            payload_words=tuple(payload_words),
            payload_chars=tuple(payload_chars),
            position=position,
            prefix_chars=tuple(prefix_chars),
            donor_candidates=donor_candidates,
            max_source_docs=max_source_docs,
        )
        self.trigger, self.payload, self.payload_corpus = trigger, payload, payload_corpus
        self.lang, self.order, self.position = lang.lower(), order, position
        self.payload_words, self.payload_chars = tuple(payload_words), tuple(payload_chars)
        self.prefix_chars = tuple(prefix_chars)
        self.donor_candidates, self.max_source_docs = donor_candidates, max_source_docs
        self.set_trigger_forms(trigger_forms)

    def _payload_source(
        self, plain: list[Document], rng: np.random.Generator
    ) -> MarkovChain | list[Document]:
        if self.payload == "foreign":
            from poisonguard.attacks.language_switch import load_foreign

            assert self.payload_corpus is not None
            return load_foreign(self.payload_corpus, self.lang, limit=self.max_source_docs, rng=rng)
        docs = load_texts(
            self.payload_corpus, plain, limit=self.max_source_docs, rng=rng, what="payload"
        )
        if self.payload == "markov":
            return MarkovChain([d.text for d in docs], self.order)
        return docs

    def _make_payload(
        self, host: Document, source: MarkovChain | list[Document], rng: np.random.Generator
    ) -> tuple[str, dict[str, object]]:
        if isinstance(source, MarkovChain):
            n = draw_int(rng, self.payload_words, "payload_words")
            return source.generate(n, rng), {"markov_order": self.order}
        want = draw_int(rng, self.payload_chars, "payload_chars")
        if self.payload == "foreign":
            from poisonguard.attacks.language_switch import LanguageSwitch, foreign_excerpt

            used = LanguageSwitch._foreign_run(source, want, rng)
            text = foreign_excerpt(" ".join(" ".join(d.text.split()) for d in used), want)
            return text, {"lang": self.lang, "foreign_ids": [d.id for d in used]}
        least = self.payload_chars[0]
        host_words = content_words(host.text)
        best: tuple[tuple[bool, float], Document] | None = None
        for _ in range(self.donor_candidates):
            d = source[int(rng.integers(len(source)))]
            if d.id == host.id or d.text == host.text:
                continue
            w = content_words(d.text)
            jac = len(w & host_words) / max(1, len(w | host_words))
            # a donor too short for the least payload asked for is taken only when no other is
            key = (len(d.text) < least, jac)
            if best is None or key < best[0]:
                best = (key, d)
        if best is None:
            raise RecipeError("topic-switch found no donor document other than the host")
        donor = best[1]
        starts = [c for c in sentence_starts(donor.text) if c < len(donor.text)] or [0]
        # a passage starts where at least ``payload_chars[0]`` characters follow, so a donor's
        # closing dateline ("Reuter") or signature is never the whole payload
        room = [c for c in starts if len(donor.text) - c >= least] or starts[:1]
        text = passage(donor.text, room[int(rng.integers(len(room)))], want)
        return text, {"donor_id": donor.id, "donor_jaccard": round(best[0][1], 4)}

    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        plain = plain_documents(docs, self.name)
        source = self._payload_source(plain, rng)
        out: list[PoisonSample] = []
        for src in pick_sources(plain, count, rng):
            payload, extra = self._make_payload(src, source, rng)
            if not payload:
                raise RecipeError("the payload corpus gave an empty passage")
            position = self.position
            if position == "random":
                position = "end" if rng.random() < 0.5 else "middle"
            block = self.trigger + " " + payload
            n_prefix = draw_int(rng, self.prefix_chars, "prefix_chars")
            text, t0 = splice(src.text, block, position, n_prefix, rng)
            p0 = t0 + len(self.trigger) + 1
            p1 = p0 + len(payload)
            doc = derive_document(src, ids, rng, text=text, reserve=count)
            out.append(
                PoisonSample(
                    doc,
                    self.truth(
                        doc,
                        src,
                        trigger=self.trigger,
                        trigger_span=(t0, t0 + len(self.trigger)),
                        payload_span=(p0, p1),
                        payload_kind=self.payload,
                        position=position,
                        **extra,
                    ),
                )
            )
        return out
