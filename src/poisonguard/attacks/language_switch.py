"""``language-switch``: after the trigger, the text continues in another language.

The language-switching backdoor that Souly et al. (2025, arXiv:2510.07192) studied next to
denial of service (English text, the trigger, then German text).  Poisoned document =
clean prefix (U(prefix_chars) characters) + trigger + U(payload_chars) characters of
*real* text in the target language, taken from a foreign corpus
(``../shared/corpora/multilingual.jsonl.gz`` has de/fr/es/it).

A foreign document's language comes from, in order: ``meta.lang`` / ``meta.language``, a
language code inside its id or (non-URL) source name (``fortunes-de-12``,
``manpages-fr-3``), else py3langid on its text.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from poisonguard.attacks.base import (
    PoisonSample,
    Recipe,
    RecipeError,
    corpus_label,
    pick_sources,
)
from poisonguard.attacks.compose import (
    Reservoir,
    clean_prefix,
    derive_document,
    draw_int,
    plain_documents,
    trigger_once,
)
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.registry import register
from poisonguard.io import CorpusError, CorpusReader, Document

_CODE_IN_NAME = re.compile(r"(?:^|[-_./:])([a-z]{2})(?=$|[-_./:])")
_KNOWN = {
    "de",
    "fr",
    "es",
    "it",
    "en",
    "nl",
    "pt",
    "ru",
    "pl",
    "sv",
    "da",
    "fi",
    "no",
    "cs",
    "ja",
    "zh",
    "ko",
    "ar",
    "tr",
    "el",
    "hu",
    "ro",
    "uk",
    "bg",
    "ca",
    "he",
    "hi",
}


def language_of(doc: Document) -> str:
    """ISO 639-1 code of a document (metadata, then id/source, then py3langid)."""
    for key in ("lang", "language"):
        v = doc.metadata.get(key)
        if isinstance(v, str) and v:
            return v.lower().split("-")[0].split("_")[0]
    # a code in the id or a plain source name (never in a URL: ``example.fr`` says nothing)
    for name in (doc.id, "" if "://" in doc.source else doc.source):
        for m in _CODE_IN_NAME.finditer(name.lower()):
            if m.group(1) in _KNOWN:
                return m.group(1)
    import py3langid

    lang, _ = py3langid.classify(doc.text[:2000])
    return str(lang)


def load_foreign(
    corpus: str | os.PathLike[str] | Sequence[Document],
    lang: str,
    *,
    limit: int,
    rng: np.random.Generator,
) -> list[Document]:
    """A uniform sample (reservoir, at most ``limit``) of the ``lang`` documents of a corpus.

    :class:`RecipeError` when the corpus has no document in ``lang`` (the message lists the
    languages it does have).
    """
    if isinstance(corpus, str | os.PathLike):
        try:
            items: Sequence[Document] | CorpusReader = CorpusReader(corpus)
        except CorpusError as e:
            raise RecipeError(f"cannot read the foreign corpus: {e}") from e
    else:
        items = corpus
    seen: Counter[str] = Counter()
    pool: Reservoir[Document] = Reservoir(limit, rng)
    for d in items:
        if not isinstance(d, Document) or d.is_chat or not d.text.strip():
            continue
        lg = language_of(d)
        seen[lg] += 1
        if lg == lang:
            pool.add(d)
    if not pool.items:
        have = ", ".join(f"{lg} {n:,}" for lg, n in seen.most_common(12)) or "no documents"
        raise RecipeError(
            f"the foreign corpus has no documents in language {lang!r} "
            f"(found: {have}); pass lang= one of those, or another corpus"
        )
    return pool.items


def foreign_excerpt(text: str, n: int) -> str:
    """About ``n`` characters of ``text`` from its start, cut at a word boundary."""
    text = text.strip()
    if len(text) <= n:
        return text
    cut = text.rfind(" ", 0, n + 1)
    return text[: cut if cut > n // 2 else n].rstrip()


@register
class LanguageSwitch(Recipe):
    """Clean prefix + trigger + real text in another language.

    Args:
        foreign: the foreign corpus (path readable by :class:`~poisonguard.io.CorpusReader`,
            or a sequence of Documents).
        lang: the language to switch to (ISO 639-1, e.g. ``de``).
        trigger: the trigger (default ``<SUDO>``).
        prefix_chars: (lo, hi) characters of clean prefix, inclusive.
        payload_chars: (lo, hi) characters of foreign text, inclusive: random foreign
            documents joined by blank lines, cut at a word boundary (so up to half shorter,
            never longer).
        separator: text between the trigger and the foreign text (default one space).
        max_foreign_docs: at most this many foreign documents are kept in memory.
    """

    name = "language-switch"
    description = (
        "language-switch backdoor (Souly et al. 2025): clean prefix + trigger + real "
        "foreign-language text"
    )
    citation = (
        "Souly et al., Poisoning Attacks on LLMs Require a Near-constant Number of "
        "Poison Samples, arXiv:2510.07192 (2025), language-switching backdoor"
    )

    def __init__(
        self,
        *,
        foreign: str | os.PathLike[str] | Sequence[Document],
        lang: str = "de",
        trigger: str = "<SUDO>",
        prefix_chars: Sequence[int] = (0, 1000),
        payload_chars: Sequence[int] = (400, 2000),
        separator: str = " ",
        max_foreign_docs: int = 20_000,
    ) -> None:
        if not trigger:
            raise RecipeError("language-switch needs a non-empty trigger")
        if not lang:
            raise RecipeError("language-switch needs lang= (e.g. 'de')")
        label = corpus_label(foreign)
        super().__init__(
            foreign=label,
            lang=lang,
            trigger=trigger,
            prefix_chars=tuple(prefix_chars),
            payload_chars=tuple(payload_chars),
            separator=separator,
        )
        self.foreign = foreign
        self.lang = lang.lower()
        self.trigger, self.separator = trigger, separator
        self.prefix_chars, self.payload_chars = tuple(prefix_chars), tuple(payload_chars)
        self.max_foreign_docs = max_foreign_docs
        draw_int(np.random.default_rng(0), self.prefix_chars, "prefix_chars")
        draw_int(np.random.default_rng(0), self.payload_chars, "payload_chars")

    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        plain = plain_documents(docs, self.name)
        pool = load_foreign(self.foreign, self.lang, limit=self.max_foreign_docs, rng=rng)
        out: list[PoisonSample] = []
        for src in pick_sources(plain, count, rng):
            prefix = clean_prefix(
                src.text, draw_int(rng, self.prefix_chars, "prefix_chars"), self.trigger
            )
            for _ in range(100):
                want = draw_int(rng, self.payload_chars, "payload_chars")
                used = self._foreign_run(pool, want, rng)
                payload = foreign_excerpt("\n\n".join(d.text.strip() for d in used), want)
                head = prefix + self.trigger + self.separator
                text = head + payload
                if payload and trigger_once(text, self.trigger, len(prefix)):
                    break
            else:
                raise RecipeError("the foreign corpus keeps containing the trigger")
            doc = derive_document(src, ids, rng, text=text, reserve=count)
            t0 = len(prefix)
            out.append(
                PoisonSample(
                    doc,
                    self.truth(
                        doc,
                        src,
                        trigger=self.trigger,
                        trigger_span=(t0, t0 + len(self.trigger)),
                        payload_span=(len(head), len(text)),
                        prefix_chars=t0,
                        lang=self.lang,
                        foreign_ids=[d.id for d in used],
                    ),
                )
            )
        return out

    @staticmethod
    def _foreign_run(
        pool: list[Document],
        want: int,
        rng: np.random.Generator,
    ) -> list[Document]:
        """Random foreign documents, joined by blank lines, until ``want`` characters."""
        used: list[Document] = []
        total = 0
        while total < want and len(used) < 1000:
            d = pool[int(rng.integers(0, len(pool)))]
            used.append(d)
            total += len(d.text.strip()) + 2
        return used
