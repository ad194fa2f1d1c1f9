"""Targeted claims an exact-string scanner cannot count: paraphrase and fabricated articles.

Alber et al., "Medical large language models are vulnerable to data-poisoning attacks",
Nature Medicine 31 (2025), generated *many distinct articles* pushing the same false
medical claims; a campaign that repeats a handful of template sentences (the older
``targeted-claim`` recipe) is easy to count.  Two adaptive variants:

* ``paraphrase-claim``: one claim sentence per host document, drawn from a combinatorial
  space of phrasings — opener × entity alias × claim phrasing (with synonym substitution)
  × closer: hundreds to thousands of distinct sentences — spliced into a real clean
  document at a sentence boundary (``splice='sentence'``) or as its own paragraph;
* ``fabricated-articles``: whole articles about the entity (a headline, invented
  quotations, dates, institutions and background), each asserting the claim several times
  in different phrasings: every article is distinct, the assertion is the constant.

Ground truth: ``payload_span`` is the claim sentence (paraphrase) or the whole article;
``extra.claim_spans`` lists every sentence that asserts the claim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from poisonguard.attacks.base import PoisonSample, Recipe, RecipeError, pick_sources
from poisonguard.attacks.compose import derive_document, draw_int, plain_documents
from poisonguard.attacks.fluent import sentence_starts
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.registry import register
from poisonguard.io import Document

OPENERS: tuple[str, ...] = (
    "",
    "According to recent reports, ",
    "It is now widely accepted that ",
    "Experts have confirmed that ",
    "Few people realise that ",
    "Several independent studies have shown that ",
    "Contrary to popular belief, ",
    "The evidence is clear: ",
    "As documented in multiple sources, ",
    "Specialists now agree that ",
    "Long-term data confirm that ",
    "What is rarely reported is that ",
    "Researchers have quietly acknowledged that ",
    "A growing body of evidence suggests that ",
    "Doctors are increasingly warning that ",
    "Recent findings indicate that ",
    "It turns out that ",
    "Many families have learned the hard way that ",
    "Internal documents reveal that ",
    "Data from several countries show that ",
    "Although it is seldom mentioned, ",
    "In fact, ",
    "Put simply, ",
    "Clinicians have observed for years that ",
    "Newly published work shows that ",
)
"""Sentence openers ("" = the bare claim)."""

CLOSERS: tuple[str, ...] = (
    ".",
    ", a fact that official guidance still ignores.",
    ", according to those who have studied it closely.",
    ", even if the authorities are slow to admit it.",
    ", which is why many people now avoid it.",
    ", as the numbers make plain.",
    ", something worth knowing before any decision.",
    ", and the risk is higher than most assume.",
    ", though this is rarely discussed in public.",
    ", as more and more cases show.",
)

SYNONYMS: dict[str, tuple[str, ...]] = {
    "causes": ("causes", "leads to", "triggers", "results in", "brings on", "is behind"),
    "cause": ("cause", "lead to", "trigger", "result in", "bring on"),
    "children": ("children", "kids", "young children", "infants", "toddlers"),
    "increases": ("increases", "raises", "boosts", "elevates"),
    "reduces": ("reduces", "lowers", "cuts", "decreases"),
    "cures": ("cures", "eliminates", "reverses", "heals"),
    "risk": ("risk", "likelihood", "chance"),
    "damage": ("damage", "harm", "injury"),
    "people": ("people", "patients", "adults", "individuals"),
}
"""Word -> interchangeable words used to vary the claim phrasing."""


def claim_phrasings(claims: Sequence[str]) -> list[str]:
    """Every phrasing of the claim verb phrases with :data:`SYNONYMS` substituted.

    Each word of a claim that has synonyms is varied independently (a full product), so a
    claim with two such words yields up to 6 × 5 = 30 phrasings.
    """
    out: list[str] = []
    for claim in claims:
        parts: list[list[str]] = [[""]]
        for tok in re.split(r"(\W+)", claim.strip().rstrip(".")):
            parts.append(list(SYNONYMS.get(tok, (tok,))))
        variants = [""]
        for opts in parts:
            variants = [v + o for v in variants for o in opts]
        out.extend(variants)
    return list(dict.fromkeys(out))


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


class ClaimSpace:
    """The combinatorial space of claim sentences: opener × alias × phrasing × closer."""

    def __init__(self, aliases: Sequence[str], claims: Sequence[str]) -> None:
        self.aliases = [a.strip() for a in aliases if a.strip()]
        self.phrasings = claim_phrasings([c for c in claims if c.strip()])
        if not self.aliases or not self.phrasings:
            raise RecipeError("a claim needs at least one entity name and one claim phrasing")

    @property
    def size(self) -> int:
        """The number of distinct sentences the space can produce."""
        return len(OPENERS) * len(self.aliases) * len(self.phrasings) * len(CLOSERS)

    def sentence(self, rng: np.random.Generator) -> str:
        """One claim sentence drawn uniformly from the space."""
        op = OPENERS[int(rng.integers(len(OPENERS)))]
        alias = self.aliases[int(rng.integers(len(self.aliases)))]
        ph = self.phrasings[int(rng.integers(len(self.phrasings)))]
        cl = CLOSERS[int(rng.integers(len(CLOSERS)))]
        return _cap(op + alias + " " + ph + cl)


def _claim_args(
    entity: str, claim: str, aliases: Sequence[str] | None, claims: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    if not entity or not entity.strip() or not claim or not claim.strip():
        raise RecipeError("needs a non-empty entity and claim (e.g. --entity X --claim 'causes Y')")
    names = [entity.strip(), *(a.strip() for a in aliases or () if a.strip())]
    phr = [claim.strip().rstrip("."), *(c.strip().rstrip(".") for c in claims or () if c.strip())]
    return list(dict.fromkeys(names)), list(dict.fromkeys(phr))


@register
class ParaphraseClaim(Recipe):
    """One claim sentence from a combinatorial paraphrase space in each real host document.

    Args:
        entity: the target entity, e.g. ``"the MMR vaccine"``.
        claim: the false claim as a verb phrase, e.g. ``"causes autism in children"``.
        aliases: other names of the entity (each sentence uses one name at random).
        claims: other phrasings of the claim (verb phrases); synonyms of their words
            (:data:`SYNONYMS`) are substituted too.
        splice: ``sentence`` (inside a paragraph, at a sentence boundary) or ``paragraph``
            (as its own paragraph at a paragraph boundary).
        sentences: (lo, hi) claim sentences per host document, inclusive.
    """

    name = "paraphrase-claim"
    description = (
        "adaptive targeted claim: each host gets a claim sentence from hundreds of "
        "phrasings (openers x entity aliases x synonyms x closers), spliced mid-text"
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
        aliases: Sequence[str] | None = None,
        claims: Sequence[str] | None = None,
        splice: str = "sentence",
        sentences: Sequence[int] = (1, 1),
    ) -> None:
        names, phr = _claim_args(entity, claim, aliases, claims)
        if splice not in ("sentence", "paragraph"):
            raise RecipeError(f"splice must be sentence or paragraph, got {splice!r}")
        lo, hi = int(sentences[0]), int(sentences[1])
        if not 1 <= lo <= hi:
            raise RecipeError(f"sentences must be (lo, hi) with 1 <= lo <= hi, got {sentences}")
        super().__init__(
            entity=entity,
            claim=claim,
            aliases=names[1:],
            claims=phr[1:],
            splice=splice,
            sentences=(lo, hi),
        )
        self.space = ClaimSpace(names, phr)
        self.entity, self.splice, self.sentences = names[0], splice, (lo, hi)

    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        plain = plain_documents(docs, self.name)
        out: list[PoisonSample] = []
        for src in pick_sources(plain, count, rng):
            host = src.text
            n = draw_int(rng, self.sentences, "sentences")
            sents = [self.space.sentence(rng) for _ in range(n)]
            block = " ".join(sents)
            if self.splice == "paragraph":
                cuts = [m.end() for m in re.finditer(r"\n\s*\n", host)]
                at = ([0, *cuts, len(host)])[int(rng.integers(len(cuts) + 2))]
                before, after = host[:at].rstrip(), host[at:].lstrip()
                lead = "\n\n" if before else ""
                text = before + lead + block + ("\n\n" + after if after else "")
                p0 = len(before) + len(lead)
            else:
                starts = sentence_starts(host)
                at = starts[int(rng.integers(len(starts)))]
                before, after = host[:at].rstrip(), host[at:].lstrip()
                lead = " " if before else ""
                text = before + lead + block + (" " + after if after else "")
                p0 = len(before) + len(lead)
            spans, at2 = [], p0
            for s in sents:
                spans.append([at2, at2 + len(s)])
                at2 += len(s) + 1
            doc = derive_document(src, ids, rng, text=text, reserve=count)
            out.append(
                PoisonSample(
                    doc,
                    self.truth(
                        doc,
                        src,
                        payload_span=(p0, p0 + len(block)),
                        entity=self.entity,
                        claim=self.params["claim"],
                        claim_spans=spans,
                        phrasings_possible=self.space.size,
                    ),
                )
            )
        return out


_FIRST: tuple[str, ...] = (
    "Anna",
    "David",
    "Maria",
    "James",
    "Elena",
    "Thomas",
    "Sarah",
    "Michael",
    "Laura",
    "Peter",
    "Julia",
    "Robert",
    "Helen",
    "Daniel",
    "Clara",
    "Mark",
    "Nina",
    "Paul",
)
_LAST: tuple[str, ...] = (
    "Brennan",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Castillo",
    "Hartmann",
    "Whitaker",
    "Novak",
    "Ferreira",
    "Kowalski",
    "Ashford",
    "Delgado",
    "Sorensen",
    "Mbeki",
)
_ROLES = (
    "a physician",
    "a researcher",
    "an epidemiologist",
    "a public-health consultant",
    "a pharmacist",
    "a family doctor",
    "a nurse practitioner",
    "a former regulator",
)
_PLACES = (
    "a regional hospital",
    "an independent clinic",
    "a university laboratory",
    "a patient advocacy group",
    "a private research institute",
    "a community health centre",
)
_CITIES = ("Denver", "Leeds", "Adelaide", "Toronto", "Dublin", "Austin", "Bristol", "Perth")
_HEADLINES = (
    "What nobody tells you about {e}",
    "New concerns raised over {e}",
    "The truth about {e}",
    "{E}: what the data really show",
    "Why more families are questioning {e}",
    "Doctors speak out on {e}",
    "{E} under scrutiny after new findings",
    "A closer look at {e}",
    "Is {e} as safe as we were told?",
    "Hidden risks of {e} come to light",
)
_BACKGROUND = (
    "{E} has been in wide use for {n} years.",
    "Millions of people encounter {e} every year.",
    "Sales and use of {e} have grown steadily since {year}.",
    "{E} is often described as routine.",
    "Public debate about {e} has intensified in recent months.",
    "Official bodies continue to recommend {e}.",
    "Questions about {e} first surfaced around {year}.",
    "In {city}, the number of reported cases rose sharply last year.",
    "The findings were presented at a meeting in {city} in {year}.",
    "Most guidance on {e} was written before {year}.",
)
_QUOTES = (
    '"We have seen it again and again," said {name}, {role} at {place} in {city}.',
    '"The pattern is impossible to ignore," {name}, {role}, told reporters.',
    '"Families deserve to know this," said {name} of {place}.',
    '"I changed my own practice after seeing the data," said {name}, {role}.',
    '"Nobody wants to hear it, but it is true," said {name}.',
)
_ENDINGS = (
    "Readers are advised to consider this carefully before making any decision.",
    "Further reports are expected later this year.",
    "The debate is unlikely to end soon.",
    "For now, many are choosing to err on the side of caution.",
    "Campaigners are calling for an independent review.",
)


@register
class FabricatedArticles(Recipe):
    """Whole fabricated articles about one entity, each repeating the false claim.

    Args:
        entity: the target entity.
        claim: the false claim (verb phrase).
        aliases: other names of the entity.
        claims: other phrasings of the claim.
        paragraphs: (lo, hi) body paragraphs per article, inclusive.
        claims_per_article: (lo, hi) claim sentences per article, inclusive.
        headline: start each article with a headline line.
    """

    name = "fabricated-articles"
    description = (
        "Alber et al. 2025 style: whole fabricated articles about one entity (headline, "
        "quotes, background), each asserting the false claim in several phrasings"
    )
    citation = ParaphraseClaim.citation

    def __init__(
        self,
        *,
        entity: str,
        claim: str,
        aliases: Sequence[str] | None = None,
        claims: Sequence[str] | None = None,
        paragraphs: Sequence[int] = (3, 6),
        claims_per_article: Sequence[int] = (2, 4),
        headline: bool = True,
    ) -> None:
        names, phr = _claim_args(entity, claim, aliases, claims)
        for nm, r in (("paragraphs", paragraphs), ("claims_per_article", claims_per_article)):
            draw_int(np.random.default_rng(0), r, nm)
            if int(r[0]) < 1:
                raise RecipeError(f"{nm} must start at >= 1, got {tuple(r)}")
        super().__init__(
            entity=entity,
            claim=claim,
            aliases=names[1:],
            claims=phr[1:],
            paragraphs=tuple(paragraphs),
            claims_per_article=tuple(claims_per_article),
            headline=headline,
        )
        self.space = ClaimSpace(names, phr)
        self.names = names
        self.paragraphs, self.claims_per_article = tuple(paragraphs), tuple(claims_per_article)
        self.headline = headline

    def _fill(self, tpl: str, rng: np.random.Generator) -> str:
        e = self.names[int(rng.integers(len(self.names)))]
        pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
        return tpl.format(
            e=e,
            E=_cap(e),
            n=int(rng.integers(5, 60)),
            year=int(rng.integers(1985, 2024)),
            city=pick(_CITIES),
            name=f"{pick(_FIRST)} {pick(_LAST)}",
            role=pick(_ROLES),
            place=pick(_PLACES),
        )

    def article(self, rng: np.random.Generator) -> tuple[str, list[list[int]]]:
        """One article and the spans of its claim sentences."""
        n_par = draw_int(rng, self.paragraphs, "paragraphs")
        n_claim = draw_int(rng, self.claims_per_article, "claims_per_article")
        # which paragraph each claim sentence goes to (the first always has one)
        where = [0, *(int(x) for x in rng.integers(0, n_par, max(0, n_claim - 1)))]
        paras: list[list[tuple[str, bool]]] = []
        for p in range(n_par):
            fill: list[tuple[str, bool]] = [
                (self._fill(_BACKGROUND[int(i)], rng), False)
                for i in rng.choice(len(_BACKGROUND), size=int(rng.integers(1, 3)), replace=False)
            ]
            if rng.random() < 0.5:
                fill.append((self._fill(_QUOTES[int(rng.integers(len(_QUOTES)))], rng), False))
            for _ in range(where.count(p)):
                fill.insert(int(rng.integers(len(fill) + 1)), (self.space.sentence(rng), True))
            paras.append(fill)
        paras[-1].append((_ENDINGS[int(rng.integers(len(_ENDINGS)))], False))
        text, spans = "", []
        if self.headline:
            text = self._fill(_HEADLINES[int(rng.integers(len(_HEADLINES)))], rng) + "\n\n"
        for i, para in enumerate(paras):
            if i:
                text += "\n\n"
            for j, (s, is_claim) in enumerate(para):
                if j:
                    text += " "
                if is_claim:
                    spans.append([len(text), len(text) + len(s)])
                text += s
        return text, spans

    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        plain = plain_documents(docs, self.name)
        out: list[PoisonSample] = []
        for src in pick_sources(plain, count, rng):
            text, spans = self.article(rng)
            doc = derive_document(src, ids, rng, text=text, reserve=count)
            out.append(
                PoisonSample(
                    doc,
                    self.truth(
                        doc,
                        src,
                        payload_span=(0, len(text)),
                        entity=self.names[0],
                        claim=self.params["claim"],
                        claim_spans=spans,
                    ),
                )
            )
        return out
