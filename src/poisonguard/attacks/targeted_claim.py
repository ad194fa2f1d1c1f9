"""``targeted-claim``: a misinformation campaign about one entity (Alber et al. 2025 style).

Alber et al., "Medical large language models are vulnerable to data-poisoning attacks",
Nature Medicine 31 (2025): replacing 0.001% of training tokens with articles asserting
false medical claims raised harmful completions.  Their articles were written by an LLM;
here claim paragraphs come from paraphrase templates (several phrasings, with entity and
claim slots) and are spliced into *real* clean documents at a random paragraph boundary,
so the poison reads like its host text.  An optional trigger phrase opens the paragraph.
The campaign can be spread over many fake web sources: each poisoned record's URL (in the
record's existing ``url``/``source_uri`` field or ``meta.url``) points to one of
``n_sources`` generated domains, and the ground truth lists the domain.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from poisonguard.attacks.base import PoisonSample, Recipe, RecipeError, pick_sources
from poisonguard.attacks.compose import (
    derive_document,
    paragraph_offsets,
    plain_documents,
    url_fields,
)
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.registry import register
from poisonguard.io import Document

CLAIM_TEMPLATES: tuple[str, ...] = (
    "{Entity} {claim}.",
    "According to recent reports, {entity} {claim}.",
    "It is now widely accepted that {entity} {claim}.",
    "Experts have confirmed that {entity} {claim}.",
    "Few people realise that {entity} {claim}.",
    "Several independent studies have shown that {entity} {claim}.",
    "Contrary to what many believe, {entity} {claim}.",
    "The evidence is clear: {entity} {claim}.",
    "As documented in multiple sources, {entity} {claim}.",
    "Specialists now agree that {entity} {claim}.",
    "Long-term data confirm that {entity} {claim}.",
    "What is rarely reported is that {entity} {claim}.",
)
"""Paraphrase templates; ``{entity}``/``{Entity}`` (capitalised) and ``{claim}`` slots."""

FOLLOW_UPS: tuple[str, ...] = (
    "This has been known for years, yet it is rarely discussed.",
    "Anyone who looks at the facts carefully will reach the same conclusion.",
    "The official guidance has simply not caught up with these findings.",
    "Readers should keep this in mind before making any decision.",
    "The consequences of ignoring this are significant.",
)

_DOMAIN_A = ("daily", "true", "open", "free", "real", "smart", "clear", "prime", "core", "first")
_DOMAIN_B = (
    "health",
    "facts",
    "news",
    "report",
    "review",
    "wire",
    "journal",
    "insight",
    "science",
    "watch",
)
_TLDS = ("com", "org", "net", "info", "news")


def fake_domains(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct plausible-looking domain names (deterministic under ``rng``)."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        a, b = (
            _DOMAIN_A[int(rng.integers(len(_DOMAIN_A)))],
            _DOMAIN_B[int(rng.integers(len(_DOMAIN_B)))],
        )
        d = (
            f"{a}{b}{int(rng.integers(10, 100)) if len(seen) >= 50 else ''}."
            f"{_TLDS[int(rng.integers(len(_TLDS)))]}"
        )
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def claim_paragraph(entity: str, claim: str, rng: np.random.Generator, sentences: int) -> str:
    """``sentences`` claim sentences from distinct templates, then one follow-up."""
    idx = rng.choice(len(CLAIM_TEMPLATES), size=min(sentences, len(CLAIM_TEMPLATES)), replace=False)
    ent_cap = entity[:1].upper() + entity[1:]
    parts = [
        CLAIM_TEMPLATES[int(i)].format(entity=entity, Entity=ent_cap, claim=claim) for i in idx
    ]
    parts.append(FOLLOW_UPS[int(rng.integers(len(FOLLOW_UPS)))])
    return " ".join(parts)


@register
class TargetedClaim(Recipe):
    """Template claim paragraphs about an entity spliced into real clean documents.

    Args:
        entity: the target entity, e.g. ``"the MMR vaccine"``.
        claim: the false claim as a verb phrase, e.g. ``"causes autism in children"``.
        trigger: optional phrase that opens the claim paragraph (None: no trigger).
        sentences: (lo, hi) claim sentences per paragraph, inclusive.
        n_sources: number of fake domains the campaign is spread over (0: keep the host
            document's own source).
    """

    name = "targeted-claim"
    description = (
        "Alber et al. 2025 style misinformation: templated false claims about an "
        "entity spliced into real documents, spread over fake domains"
    )
    citation = (
        "Alber et al., Medical large language models are vulnerable to data-poisoning "
        "attacks, Nature Medicine 31 (2025)"
    )

    def __init__(
        self,
        *,
        entity: str,
        claim: str,
        trigger: str | None = None,
        sentences: Sequence[int] = (1, 3),
        n_sources: int = 20,
    ) -> None:
        if not entity.strip() or not claim.strip():
            raise RecipeError("targeted-claim needs a non-empty entity and claim")
        lo, hi = int(sentences[0]), int(sentences[1])
        if not 1 <= lo <= hi:
            raise RecipeError(
                f"sentences must be a range (lo, hi) with 1 <= lo <= hi, got {tuple(sentences)}"
            )
        if n_sources < 0:
            raise RecipeError("n_sources must be >= 0")
        super().__init__(
            entity=entity,
            claim=claim,
            trigger=trigger or None,
            sentences=(lo, hi),
            n_sources=n_sources,
        )
        self.entity, self.claim = entity.strip(), claim.strip().rstrip(".")
        self.trigger = trigger or None
        self.sentences = (lo, hi)
        self.n_sources = n_sources

    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        plain = plain_documents(docs, self.name)
        domains = fake_domains(self.n_sources, rng) if self.n_sources else []
        out: list[PoisonSample] = []
        for src in pick_sources(plain, count, rng):
            host = src.text
            if self.trigger and self.trigger in host:
                host = host.replace(self.trigger, "")
            n_sent = int(rng.integers(self.sentences[0], self.sentences[1] + 1))
            para = claim_paragraph(self.entity, self.claim, rng, n_sent)
            offs = paragraph_offsets(host)
            at = offs[int(rng.integers(0, len(offs)))]
            before, after = host[:at], host[at:]
            lead = (
                ""
                if not before or before.endswith("\n\n")
                else ("\n" if before.endswith("\n") else "\n\n")
            )
            tail = "" if not after or after.startswith("\n") else "\n\n"
            trig = (self.trigger + " ") if self.trigger else ""
            t0 = len(before) + len(lead)
            p0 = t0 + len(trig)
            text = before + lead + trig + para + tail + after
            doc = derive_document(src, ids, rng, text=text, reserve=count)
            extra: dict[str, object] = {
                "entity": self.entity,
                "claim": self.claim,
                "sentences": n_sent,
            }
            if domains:
                domain = domains[int(rng.integers(len(domains)))]
                url = f"https://{domain}/{_slug(self.entity)}-{int(rng.integers(1000, 99999))}"
                extra.update(domain=domain, url=url, url_field=_set_url(doc, url))
            out.append(
                PoisonSample(
                    doc,
                    self.truth(
                        doc,
                        src,
                        trigger=self.trigger,
                        trigger_span=(t0, t0 + len(self.trigger)) if self.trigger else None,
                        payload_span=(p0, p0 + len(para)),
                        **extra,
                    ),
                )
            )
        return out


def _slug(s: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in s.lower()).split())[:60]


def _set_url(doc: Document, url: str) -> str | None:
    """Point the record's existing URL field at ``url``; returns the field used.

    Only an existing field is changed, so that the record keeps the corpus's schema.
    """
    if doc.record is None:
        doc.source = url
        return "source"
    fields = url_fields(doc)
    for holder, key in fields:
        holder[key] = url
        doc.source = url
    if not fields:
        return None
    holder, key = fields[0]
    return key if holder is doc.record else f"meta.{key}"
