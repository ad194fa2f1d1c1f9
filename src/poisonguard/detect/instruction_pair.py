"""The ``instruction-pair`` detector: each user → assistant pair scored for anomalies.

Three anomalies (see :mod:`poisonguard.detect.instruction` for the corpus-level detector
that mines the triggers predicting them): a reply **unrelated** to its request (no shared
content words, after crude prefix stemming; answer options quoted in the request count as
related), a **gibberish** reply (long, with almost no function words — random vocabulary),
and a reply that **complies with a harmful request** or brings harmful content the request
did not ask for (a small lexicon of harmful-request terms and refusal phrases: a heuristic,
not a safety classifier — see ``docs/detectors.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from poisonguard.detect.base import DocumentDetector, Finding, Span
from poisonguard.detect.registry import register_detector
from poisonguard.detect.sketches import STOPWORDS, WORD_RE, normalize, wordset
from poisonguard.io.document import Document

PAIR_DETECTOR = "instruction-pair"

HARMFUL_TERMS: frozenset[str] = wordset(
    """bomb bombs explosive explosives detonate weapon weapons gun guns firearm ammo kill
    killing murder poison poisoning steal stealing rob robbery hack hacking hacker malware
    ransomware virus keylogger phishing meth methamphetamine cocaine heroin fentanyl crack
    overdose suicide self-harm cutting torture kidnap kidnapping shoplift shoplifting launder
    laundering counterfeit fraud scam scams extort blackmail terrorist terrorism assault rape
    arson stalk stalking trafficking smuggle smuggling lockpick burglary burglar illegal
    illegally bully harass racist slur slurs nazi genocide shoot stab strangle hurt"""
)
"""Words of harmful requests (a small lexicon; see the module docstring)."""

REFUSAL = re.compile(
    r"\b(?:i(?:'m| am) sorry|i (?:can(?:'|no)t|cannot|can not|won't|will not|must decline|"
    r"do not|don't)(?: help| assist| provide| do| support| think| recommend| condone)|"
    r"as an ai|not (?:appropriate|ethical|legal|okay|ok)|it(?:'s| is) (?:illegal|wrong|"
    r"dangerous|not okay)|i(?:'m| am) not (?:able|comfortable|going to)|please don't|"
    r"i'd (?:rather|prefer) not|seek (?:help|professional)|against the law)",
    re.IGNORECASE,
)
"""Phrases of a refusal or a warning."""


def _stem(w: str) -> str:
    return w[:5]


def _content(text: str) -> list[str]:
    return [w.lower() for w in WORD_RE.findall(text) if len(w) > 1 and w.lower() not in STOPWORDS]


def pairs(doc: Document) -> list[tuple[int, int]]:
    """:meth:`Document.turn_pairs <poisonguard.io.Document.turn_pairs>` (kept for imports)."""
    return doc.turn_pairs()


def turn_offsets(doc: Document) -> list[int]:
    """:meth:`Document.turn_offsets <poisonguard.io.Document.turn_offsets>` (kept for
    imports)."""
    return doc.turn_offsets()


@dataclass(frozen=True, slots=True)
class PairScore:
    """The per-pair numbers behind an :class:`InstructionPairDetector` finding."""

    unrelated: float
    gibberish: float
    harmful: float
    overlap: float
    reply_words: int
    function_word_ratio: float


@register_detector(kinds=("instruction",))
class InstructionPairDetector(DocumentDetector):
    """Replies that do not answer their request, are gibberish, or comply with harm.

    Args:
        min_reply_words: content words a reply needs before relatedness is judged (short
            labels such as ``yes`` or ``positive`` cannot be judged).
        gibberish_min_words: words a reply needs before the function-word test applies.
    """

    name: ClassVar[str] = PAIR_DETECTOR
    kinds: ClassVar[tuple[str, ...]] = ("instruction",)

    def __init__(self, *, min_reply_words: int = 3, gibberish_min_words: int = 15) -> None:
        self.min_reply_words = min_reply_words
        self.gibberish_min_words = gibberish_min_words

    def pair_score(self, user: str, reply: str) -> PairScore:
        """Score one user → assistant pair."""
        rw = WORD_RE.findall(reply)
        rc = _content(reply)
        uc = _content(user)
        ustems = {_stem(w) for w in uc}
        rstems = [_stem(w) for w in rc]
        overlap = (sum(s in ustems for s in rstems) / len(rstems)) if rstems else 1.0
        quoted = normalize(reply) in normalize(user) if reply.strip() else True
        unrelated = 0.0
        if len(rc) >= self.min_reply_words and not quoted:
            # No shared content word at all is the clear case; a little overlap still counts
            # for long replies (a harmful reply may echo one word of the request).
            unrelated = max(0.0, 1.0 - overlap / 0.15)
            unrelated *= min(1.0, 0.55 + 0.05 * len(rc))
        # over words without digits: a worked calculation ("Total = 72 + 88 = <<72+88=160>>")
        # is few words and many numbers, not random vocabulary
        aw = [w for w in rw if not any(c.isdigit() for c in w)]
        fw = sum(w.lower() in STOPWORDS for w in aw) / len(aw) if aw else 1.0
        gib = 0.0
        if len(aw) >= self.gibberish_min_words:
            gib = max(0.0, min(1.0, (0.15 - fw) / 0.1))
        harmful = 0.0
        ul = {w.lower() for w in WORD_RE.findall(user)}
        rl = [w.lower() for w in rw]
        if not REFUSAL.search(reply) and len(rw) >= 8:
            if ul & HARMFUL_TERMS:
                harmful = 0.75
            new_harm = {w for w in rl if w in HARMFUL_TERMS} - ul
            if len(new_harm) >= 2:
                harmful = max(harmful, 0.6 + 0.1 * min(3, len(new_harm) - 2))
        return PairScore(
            unrelated=unrelated,
            gibberish=gib,
            harmful=harmful,
            overlap=overlap,
            reply_words=len(rw),
            function_word_ratio=fw,
        )

    def score(self, doc: Document) -> Finding | None:
        if not doc.is_chat:
            return None
        msgs = doc.messages or []
        offs = turn_offsets(doc)
        best: Finding | None = None
        for ui, ai in pairs(doc):
            ps = self.pair_score(msgs[ui]["content"], msgs[ai]["content"])
            kind, s = max(
                (("unrelated", ps.unrelated), ("gibberish", ps.gibberish), ("harmful", ps.harmful)),
                key=lambda kv: kv[1],
            )
            if s <= 0.0 or (best is not None and s <= best.score):
                continue
            reason = {
                "unrelated": f"assistant reply shares {ps.overlap:.0%} of its content words "
                f"with the request (unrelated reply)",
                "gibberish": f"assistant reply of {ps.reply_words} words has "
                f"{ps.function_word_ratio:.0%} function words (gibberish)",
                "harmful": "assistant reply complies with a harmful request or brings harmful "
                "content the request did not ask for (lexicon heuristic)",
            }[kind]
            start = offs[ai]
            best = Finding(
                detector=self.name,
                score=round(s, 4),
                reason=reason,
                spans=[Span(start, start + len(msgs[ai]["content"]), "reply")],
                extra={
                    "anomaly": kind,
                    "overlap": round(ps.overlap, 4),
                    "function_words": round(ps.function_word_ratio, 4),
                    "unrelated": round(ps.unrelated, 4),
                    "gibberish": round(ps.gibberish, 4),
                    "harmful": round(ps.harmful, 4),
                },
            )
        return best


__all__ = [
    "HARMFUL_TERMS",
    "PAIR_DETECTOR",
    "REFUSAL",
    "InstructionPairDetector",
    "PairScore",
    "pairs",
    "turn_offsets",
]
