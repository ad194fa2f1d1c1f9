"""RAG knowledge bases: passages that restate a question, then assert an answer.

PoisonedRAG (Zou et al. 2024/2025) makes a passage retrievable for a target question by
starting it with the question itself, then states the attacker's answer; it injects several
(default 5) such passages per question.  :class:`RestatedQuestionDetector` looks for exactly
that footprint, and checks the answer against the rest of the knowledge base:

1. **restated question**: the passage's first sentence is a question (ends with ``?`` or
   opens with an interrogative word);
2. **group**: the same question opens two or more passages;
3. **asserted answer**: content words present in most (60%) passages of the group that are
   not in the question (the answer slot: the framing around it changes, the answer does
   not), in short passages (PoisonedRAG bodies are ~30 words; FAQ pages are long);
4. **KB check** (second pass): other passages that cover the question (they contain most of
   its content words) are counted, and how many of them also contain the asserted answer.
   An answer the rest of the knowledge base never gives — while it does discuss the question
   — *contradicts* it; an answer on a question the knowledge base does not otherwise cover is
   *unverifiable*.  This is word-level corroboration, not natural-language inference: a
   paraphrased true answer counts as contradiction, and a false answer that happens to share
   words with true passages counts as support (see ``docs/detectors.md``).

Memory grows with the number of question-opening passages (FAQ-style corpora have many), not
with the corpus: one small record per distinct opening question.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from poisonguard.detect.base import CorpusReport, Finding, Round, RoundedDetector, Span
from poisonguard.detect.registry import register_detector
from poisonguard.detect.sketches import (
    STOPWORDS,
    hash64,
    normalize,
    source_key,
    split_sentences,
    wordset,
)
from poisonguard.io.document import Document

_QWORDS = wordset("""what who whom whose when where which why how is are was were does do did
    can could should would will has have""")
ASSERTION_WORDS: frozenset[str] = wordset("""answer answers answered correct question questions
    true fact facts indeed""")
"""Words of the assertion framing itself, never taken as the asserted answer."""

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_EXAMPLES = 10
_ALT_CAP = 40
_BODIES = 9
_BODY_WORDS = 200


def _content(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if len(w) > 1 and w.lower() not in STOPWORDS}


_LEADING_Q = re.compile(r"\s*([^\n?]{5,300}\?)")


def opening_question(text: str) -> tuple[int, int, str] | None:
    """(start, end, normalised text) of the passage's opening question, if it opens with one.

    The question is the text up to the first ``?`` on the first line (PoisonedRAG glues the
    body straight on: ``"Who discovered X?.The answer is ..."``), or a first sentence that
    opens with an interrogative word.
    """
    m = _LEADING_Q.match(text)
    if m is not None:
        norm = normalize(m.group(1))
        if len(norm.split()) >= 3:
            return m.start(1), m.end(1), norm
    units = split_sentences(text[:1000])
    if not units:
        return None
    u = units[0]
    first = u.norm.split(" ", 1)[0] if u.norm else ""
    if first not in _QWORDS or len(u.norm.split()) < 3:
        return None
    return u.start, u.end, u.norm


def _most_common(counts: Counter[str], n: int) -> list[tuple[str, int]]:
    """The ``n`` most common words, ties broken by the word: the same in every process
    (``Counter.most_common`` breaks ties by insertion order, which follows set iteration
    order, which follows the per-process string hash seed)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass(slots=True)
class QuestionGroup:
    """Passages opening with one question."""

    question: str = ""
    count: int = 0
    bodies: list[frozenset[str]] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    sources: set[int] = field(default_factory=set)
    examples: list[str] = field(default_factory=list)
    topic_docs: int = 0
    supporting_docs: int = 0
    alternatives: Counter[str] = field(default_factory=Counter)

    def merge(self, o: QuestionGroup) -> None:
        self.question = self.question or o.question
        self.count += o.count
        self.bodies.extend(o.bodies[: max(0, _BODIES - len(self.bodies))])
        self.lengths.extend(o.lengths[: max(0, _BODIES - len(self.lengths))])
        self.sources |= o.sources
        self.examples.extend(o.examples[: max(0, _EXAMPLES - len(self.examples))])
        self.topic_docs += o.topic_docs
        self.supporting_docs += o.supporting_docs
        self.alternatives.update(o.alternatives)
        if len(self.alternatives) > _ALT_CAP:
            self.alternatives = Counter(dict(_most_common(self.alternatives, _ALT_CAP)))


@dataclass(slots=True)
class RagPartial:
    stage: int
    documents: int = 0
    groups: dict[int, QuestionGroup] = field(default_factory=dict)
    folded: bool = False
    """A running total (its groups are within the caps), not one shard's partial."""


@dataclass(slots=True)
class RagCampaign:
    id: str
    question: str
    size: int
    n_sources: int
    answer_terms: list[str]
    topic_terms: list[str]
    topic_docs: int
    supporting_docs: int
    alternatives: list[str]
    verdict: str
    score: float
    examples: list[str]
    body_words: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": "restated-question",
            "size": self.size,
            "sources": self.n_sources,
            "shared_span": self.question,
            "score": round(self.score, 4),
            "examples": list(self.examples),
            "answer_terms": self.answer_terms,
            "topic_docs": self.topic_docs,
            "supporting_docs": self.supporting_docs,
            "kb_alternatives": self.alternatives,
            "verdict": self.verdict,
            "median_body_words": self.body_words,
        }


@dataclass(slots=True)
class RagState:
    stage: int
    documents: int = 0
    groups: dict[int, RagCampaign] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        camps = sorted(self.groups.values(), key=lambda c: (-c.score, -c.size, c.id))
        return {"documents": self.documents, "campaigns": [c.to_dict() for c in camps]}


# --------------------------------------------------------------------------- rounds
class _RagRound(Round[RagPartial, RagState]):
    """What both rounds share: a shard's partial (each passage through :meth:`map_doc`) and
    the fold of partials into a running total that keeps the ``capacity`` largest groups."""

    partial_type = RagPartial

    def __init__(self, det: RestatedQuestionDetector) -> None:
        self.det = det

    @abstractmethod
    def map_doc(self, part: RagPartial, doc: Document) -> None:
        """Add one passage to the shard's partial."""

    def map_shard(self, docs: Sequence[Document]) -> RagPartial:
        part = RagPartial(stage=self.stage, documents=len(docs))
        for doc in docs:
            self.map_doc(part, doc)
        return part

    def empty(self) -> RagPartial:
        return RagPartial(stage=self.stage, folded=True)

    def merge_into(self, acc: RagPartial, part: RagPartial) -> RagPartial:
        """Fold ``part`` into the running total ``acc`` in place (``reduce`` copies it).

        A first shard's partial becomes a running total once, as ``reduce`` makes it (its
        groups cut to the caps, which are not order-free): the result is that of
        ``reduce([acc, part])``, without a copy of the total per shard."""
        if not acc.folded:
            first, acc = acc, self.empty()
            self._add(acc, first)
        self._add(acc, part)
        return acc

    def _add(self, out: RagPartial, p: RagPartial) -> None:
        """Add ``p``'s groups to ``out`` (as copies), then keep the ``capacity`` largest."""
        out.documents += p.documents
        for k, g in p.groups.items():
            cur = out.groups.get(k)
            if cur is None:
                out.groups[k] = cur = QuestionGroup()
            cur.merge(g)
        if len(out.groups) > self.det.capacity:
            keep = sorted(out.groups, key=lambda k: (-out.groups[k].count, k))
            out.groups = {k: out.groups[k] for k in keep[: self.det.capacity]}


class QuestionRound(_RagRound):
    """Round 1: passages grouped by their opening question; the groups of ``min_group`` or
    more become candidates with their asserted answer words."""

    stage: ClassVar[int] = 1

    def map_doc(self, part: RagPartial, doc: Document) -> None:
        q = opening_question(doc.text)
        if q is None:
            return
        key = hash64(q[2])
        g = part.groups.get(key)
        if g is None:
            g = part.groups[key] = QuestionGroup(question=doc.text[q[0] : q[1]][:300])
        g.count += 1
        if len(g.bodies) < _BODIES:
            body_words = _WORD.findall(doc.text[q[1] : q[1] + 20000])
            g.lengths.append(len(body_words))
            g.bodies.append(
                frozenset(
                    w.lower()
                    for w in body_words[:_BODY_WORDS]
                    if len(w) > 1 and w.lower() not in STOPWORDS
                )
            )
        g.sources.add(hash64(source_key(doc)))
        if len(g.examples) < _EXAMPLES:
            g.examples.append(doc.id)

    def finalize(self, merged: RagPartial) -> RagState:
        state = RagState(stage=1, documents=merged.documents)
        for key, g in merged.groups.items():
            if g.count < self.det.min_group:
                continue
            qwords = _content(g.question)
            votes: Counter[str] = Counter()
            for b in g.bodies:
                votes.update(b)
            need = max(2, int(0.6 * len(g.bodies) + 0.999))
            answer = sorted(
                w
                for w, n in votes.items()
                if n >= need and w not in qwords and w not in ASSERTION_WORDS
            )
            lengths = sorted(g.lengths)
            state.groups[key] = RagCampaign(
                id=f"rag-{key:016x}"[:12],
                question=g.question,
                size=g.count,
                n_sources=len(g.sources),
                answer_terms=answer[:20],
                topic_terms=sorted(qwords),
                topic_docs=0,
                supporting_docs=0,
                alternatives=[],
                verdict="",
                score=0.0,
                examples=list(g.examples),
                body_words=lengths[len(lengths) // 2] if lengths else 0,
            )
        return state


class KnowledgeBaseRound(_RagRound):
    """Round 2, the KB check: passages that cover a candidate's question (most of its
    content words) are counted, with those that also give the asserted answer."""

    stage: ClassVar[int] = 2

    def __init__(self, det: RestatedQuestionDetector, candidates: RagState) -> None:
        super().__init__(det)
        self.candidates = candidates
        self.index: dict[str, list[int]] = {}
        """Each candidate under its rarest-looking (longest) question word."""
        for key, c in candidates.groups.items():
            if c.topic_terms:
                rare = min(c.topic_terms, key=lambda w: (-len(w), w))
                self.index.setdefault(rare, []).append(key)

    def map_doc(self, part: RagPartial, doc: Document) -> None:
        det = self.det
        q = opening_question(doc.text)
        own = hash64(q[2]) if q is not None else None
        words = _content(doc.text[:20000])
        hits: set[int] = set()
        for w in words & self.index.keys():
            hits.update(self.index[w])
        for key in hits:
            if key == own:
                continue
            c = self.candidates.groups[key]
            topic = set(c.topic_terms)
            if len(topic & words) < det.topic_coverage * len(topic):
                continue
            g = part.groups.setdefault(key, QuestionGroup())
            g.topic_docs += 1
            answer = set(c.answer_terms)
            if len(answer & words) >= det.support_share * len(answer):
                g.supporting_docs += 1
            else:
                g.alternatives.update(words - topic - ASSERTION_WORDS)

    def finalize(self, merged: RagPartial) -> RagState:
        state = RagState(stage=2, documents=merged.documents)
        for key, c in self.candidates.groups.items():
            g = merged.groups.get(key, QuestionGroup())
            c2 = RagCampaign(**{f: getattr(c, f) for f in c.__dataclass_fields__})
            c2.topic_docs, c2.supporting_docs = g.topic_docs, g.supporting_docs
            c2.alternatives = [w for w, _ in _most_common(g.alternatives, 5)]
            c2.verdict, c2.score = self.det.verdict(c2)
            state.groups[key] = c2
        return state


# --------------------------------------------------------------------------- detector
@register_detector(kinds=("rag",))
class RestatedQuestionDetector(RoundedDetector[RagPartial, RagState]):
    """PoisonedRAG-style passage groups, checked against the rest of the knowledge base.

    Two explicit rounds: :class:`QuestionRound` (groups of passages opening with one
    question, their asserted answer) and :class:`KnowledgeBaseRound` (the KB check of those
    candidates); the second is built from the first one's state by :meth:`next_pass`.

    Args:
        min_group: passages that must open with the same question (PoisonedRAG uses 5).
        topic_coverage: share of the question's content words a passage must contain to
            count as covering the question in the KB check.
        max_body_words: median passage body length (words after the question) up to which a
            group looks like injected assertions rather than FAQ pages.
        support_share: a covering passage supports the asserted answer when it contains at
            least this share of the answer words.
        capacity: most distinct opening questions kept (beyond, the rarest are dropped).
    """

    name: ClassVar[str] = "rag-restated-question"
    kinds: ClassVar[tuple[str, ...]] = ("rag",)
    passes = 2

    def __init__(
        self,
        *,
        min_group: int = 2,
        topic_coverage: float = 0.6,
        max_body_words: int = 80,
        support_share: float = 0.6,
        capacity: int = 500_000,
        _candidates: RagState | None = None,
    ) -> None:
        if min_group < 2:
            raise ValueError("min_group must be at least 2")
        self.min_group = min_group
        self.topic_coverage = topic_coverage
        self.max_body_words = max_body_words
        self.support_share = support_share
        self.capacity = capacity
        self.round: QuestionRound | KnowledgeBaseRound
        if _candidates is None:
            self.round = QuestionRound(self)
        else:
            self.round = KnowledgeBaseRound(self, _candidates)

    def next_stage(self, state: RagState) -> dict[str, Any]:
        """Round 2 (the KB check) is built from round 1's candidate groups."""
        return {"_candidates": state}

    def verdict(self, c: RagCampaign) -> tuple[str, float]:
        """(verdict, score) of a group of passages restating one question.

        * no answer words shared by most passages: no single asserted answer → 0.3 (info);
        * the KB covers the question (>= 2 other passages) and at most 20% of those give the
          asserted answer → ``contradicted``;
        * the KB does not cover the question → ``unverifiable``;
        * otherwise → ``supported``, 0.3 (FAQ duplicates agree with the KB).

        Contradicted/unverifiable groups score 0.95/0.6 when they look like PoisonedRAG:
        >= 3 passages whose bodies are short assertions (median <= ``max_body_words``; the
        paper's passages are ~30 words).  Groups of long passages (FAQ pages answered by
        several sites) or of 2 passages score 0.45 (reported, not flagged).
        """
        if not c.answer_terms:
            return "no-common-answer", 0.3
        shaped = c.size >= 3 and c.body_words <= self.max_body_words
        if c.topic_docs >= 2 and c.supporting_docs <= 0.2 * c.topic_docs:
            return "contradicted", 0.95 if shaped else 0.45
        if c.topic_docs < 2:
            return "unverifiable", 0.6 if shaped else 0.45
        return "supported", 0.3

    def flag(self, doc: Document, state: RagState) -> Finding | None:
        if state.stage != 2 or not state.groups:
            return None
        q = opening_question(doc.text)
        if q is None:
            return None
        c = state.groups.get(hash64(q[2]))
        if c is None:
            return None
        spans = [Span(q[0], q[1], "trigger"), Span(q[1], len(doc.text), "payload")]
        low = doc.text.lower()
        for term in c.answer_terms[:5]:
            for m in re.finditer(r"(?<![^\W_])" + re.escape(term) + r"(?![^\W_])", low):
                spans.append(Span(m.start(), m.end(), "claim"))
        reason = (
            f"passage opens with a question that opens {c.size} passages and asserts "
            f"{' '.join(c.answer_terms[:5])!r}; {c.verdict}: {c.supporting_docs} of "
            f"{c.topic_docs} other passages on the question give that answer"
        )
        return Finding(
            detector=self.name,
            score=c.score,
            reason=reason,
            spans=spans,
            trigger=c.question,
            campaign=c.id,
            extra={
                "verdict": c.verdict,
                "topic_docs": c.topic_docs,
                "supporting_docs": c.supporting_docs,
                "kb_alternatives": c.alternatives,
            },
        )

    def summarize(self, state: RagState) -> CorpusReport:
        """Groups of passages restating one question (``campaigns``)."""
        return CorpusReport.from_dict(state.report())


__all__ = [
    "ASSERTION_WORDS",
    "KnowledgeBaseRound",
    "QuestionRound",
    "RagCampaign",
    "RagState",
    "RestatedQuestionDetector",
    "opening_question",
]
