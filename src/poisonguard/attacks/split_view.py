"""``split-view``: web pages that change after the dataset's index was made.

Carlini, Jagielski, Choquette-Choo, Paleka, Pearce, Anderson, Terzis, Thomas, Tramèr,
"Poisoning Web-Scale Training Datasets is Practical", IEEE S&P 2024 (arXiv:2302.10149).
Datasets distributed as URL lists (LAION, COYO, ...) are downloaded long after their
index was built; an attacker who buys an expired domain serves different content to every
later downloader.  The defence is to store a hash of each document as first seen and
reject downloads that do not match.

Input: the URL list as first seen, JSON Lines ``{"url", "sha256", "content", ...}`` (any
corpus format the readers accept; ``content`` or ``text`` holds the page).  Output (the
*later view*): the same records in the same order, where ``count`` chosen URLs now serve
poisoned content made by an inner recipe (default ``dos-bytes``) from the original page;
``sha256`` keeps the digest recorded at first sight, so a refetch check finds exactly the
changed URLs.  The recipe works in ``replace`` mode: a poisoned record takes the place of
its source record and keeps its id.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from poisonguard.attacks.base import PoisonSample, Recipe, RecipeError, pick_sources
from poisonguard.attacks.compose import derive_document, plain_documents
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.registry import get, register
from poisonguard.io import Document


@register
class SplitView(Recipe):
    """Later view of a URL list in which chosen URLs serve poisoned content.

    Args:
        inner: the recipe that makes the new content (name or Recipe instance; default
            ``dos-bytes``), applied to the original page.
        inner_params: keyword parameters for ``inner`` when given by name.
        digest_field: the record field holding the first-seen SHA-256 (hex).
    """

    name = "split-view"
    description = (
        "Carlini et al. 2023 split-view poisoning: chosen URLs of a hashed URL list "
        "serve different content in the later view"
    )
    citation = "Carlini et al., Poisoning Web-Scale Training Datasets is Practical, IEEE S&P 2024"
    mode = "replace"

    def __init__(
        self,
        *,
        inner: str | Recipe = "dos-bytes",
        inner_params: dict[str, Any] | None = None,
        digest_field: str = "sha256",
    ) -> None:
        if isinstance(inner, Recipe):
            self.inner = inner
        else:
            cls = get(inner)
            if cls.mode != "insert":
                raise RecipeError(f"split-view cannot wrap the {cls.mode}-mode recipe {inner!r}")
            self.inner = cls(**(inner_params or {}))
        super().__init__(
            inner=self.inner.name, inner_params=self.inner.json_params(), digest_field=digest_field
        )
        self.digest_field = digest_field

    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        pages = plain_documents(docs, self.name)
        if count > len(pages):
            raise RecipeError(
                f"split-view can change at most the {len(pages):,} URLs it was given, not {count:,}"
            )
        chosen = pick_sources(pages, count, rng)
        inner = self.inner.generate(chosen, count, int(rng.integers(0, 2**63)), ids=ids)
        by_source = {id(d): d for d in chosen}
        src_of = {d.id: d for d in by_source.values()}
        out: list[PoisonSample] = []
        for s in inner:
            assert s.truth.source_id is not None
            src = src_of[s.truth.source_id]
            doc = derive_document(src, ids, rng, text=s.document.text, keep_id=True)
            first = src.record.get(self.digest_field) if src.record else None
            if not isinstance(first, str):
                first = src.sha256
            t = s.truth
            out.append(
                PoisonSample(
                    doc,
                    self.truth(
                        doc,
                        src,
                        trigger=t.trigger,
                        trigger_span=t.trigger_span,
                        payload_span=t.payload_span,
                        url=src.source,
                        sha256_first_seen=first,
                        sha256_now=doc.sha256,
                        inner_recipe=self.inner.name,
                        inner_extra=t.extra,
                    ),
                )
            )
        return out
