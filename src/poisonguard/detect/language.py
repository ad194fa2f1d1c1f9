"""Language switch: a document that changes language part-way through.

Segment-level language identification with py3langid (offline; the model ships inside the
package).  A document is cut into segments of about ``segment_chars`` characters at line
and sentence ends; segments that are mostly letters get a language and a confidence.
The detector looks for the cut where the segments before are in one language and the
segments after in another, then refines the cut to a word boundary inside the boundary
segments (so that the trigger right before the switch can be mined).  Segments of code,
tables and numbers carry no language and never cause a switch; languages that the model
confuses with each other (e.g. Norwegian/Danish, Malay/Indonesian) count as one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from poisonguard.detect.base import DocumentDetector, Finding, Span
from poisonguard.detect.registry import DetectorContext, register_detector
from poisonguard.io.document import Document

_BOUNDARY = re.compile(r"\n+|(?<=[.!?;。！？])\s+")
_WORD_END = re.compile(r"\s+")
_WORD_START = re.compile(r"(?:^|\s)(?=\S)")

_GROUPS = {
    "no": "nb",
    "nn": "nb",
    "da": "nb",
    "ms": "id",
    "bs": "hr",
    "sr": "hr",
    "gl": "es",
    "sk": "cs",
    "an": "es",
    "oc": "fr",
    "lb": "de",
    "af": "nl",
    "mk": "bg",
    "be": "ru",
    "uk": "ru",
    "zh": "zh",
    "ja": "zh",
    "wa": "fr",
    "ca": "es",
    "la": "it",
    "eo": "es",
}


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str) -> tuple[str, float]:
    """(language group, probability) of ``text`` with py3langid."""
    lang, prob = _identifier().classify(text)
    return _GROUPS.get(lang, lang), float(prob)


def identify_many(texts: Sequence[str]) -> list[tuple[str, float]]:
    """:func:`identify` of many texts: the same answers, with py3langid's byte automaton
    run over all texts at once in numpy (see :class:`_Automaton`).

    A batch of at least :data:`_MEMO_MIN` texts equal to the previous such batch is
    answered from that batch's answers (the trigger miner asks for the main language of
    the same sample's openings at two shares, one after the other)."""
    global _last_batch
    key = tuple(texts) if len(texts) >= _MEMO_MIN else None
    last = _last_batch
    if key is not None and last is not None and last[0] == key:
        return list(last[1])
    auto = _automaton()
    if auto is None:  # pragma: no cover - a py3langid without the expected internals
        out = [identify(t) for t in texts]
    else:
        out = [(_GROUPS.get(lang, lang), prob) for lang, prob in auto.classify(texts)]
    if key is not None:
        _last_batch = (key, tuple(out))
    return out


_MEMO_MIN = 256
"""Smallest batch :func:`identify_many` remembers (one batch: the last one this large)."""
_last_batch: tuple[tuple[str, ...], tuple[tuple[str, float], ...]] | None = None


class _Automaton:
    """py3langid's ``classify`` for a batch of texts.

    py3langid counts byte n-gram features with a DFA walked byte by byte in Python.  The
    DFA is an Aho-Corasick automaton: its state after a byte is the longest suffix of the
    text read so far that is a prefix of a feature, so it depends only on the last
    ``depth`` bytes (``depth``: the longest such prefix).  The state at every position of
    every text is therefore ``depth`` vectorised steps from the start state over a window
    of bytes; texts are separated by ``depth - 1`` bytes that keep the start state.  The
    feature counts, in first-occurrence order, then go through py3langid's own scoring,
    so the scores are the same numbers (checked on construction).
    """

    def __init__(self, ident: Any) -> None:
        self.ident = ident
        self.nextmove = np.frombuffer(ident.tk_nextmove, dtype=np.uint32)
        self.rowbase = np.asarray(ident._rowbase, dtype=np.int64)
        self.output = np.asarray(ident.tk_output, dtype=np.int64)
        self.n_features = int(self.output.max()) + 1
        # the scores' table in float32: py3langid's float16 rows are converted exactly, once
        # (converting the gathered rows at every call was most of its scoring time)
        self.table = np.asarray(ident.nb_ptc, dtype=np.float32)
        # depth: breadth-first search from the start state
        seen = np.zeros(len(self.rowbase), dtype=bool)
        seen[0] = True
        frontier, self.depth = np.zeros(1, dtype=np.int64), 0
        byte = np.arange(256)[None, :]
        while True:
            reach = np.zeros(len(self.rowbase), dtype=bool)
            for i in range(0, len(frontier), 1024):  # in chunks: small temporaries
                rows = self.rowbase[frontier[i : i + 1024]][:, None]
                reach[self.nextmove[(rows + byte).ravel()]] = True
            frontier = np.flatnonzero(reach & ~seen)
            if not frontier.size:
                break
            seen[frontier] = True
            self.depth += 1
        still = np.flatnonzero(self.nextmove[self.rowbase[0] + np.arange(256)] == 0)
        if not still.size:
            raise ValueError("no byte keeps the start state")
        self.gap = bytes([int(still[0])]) * max(0, self.depth - 1)

    def check(self) -> bool:
        """The batch answers equal py3langid's on a few texts in many scripts."""
        texts = [
            "The quick brown fox jumps over the lazy dog.",
            "Der schnelle braune Fuchs.",
            "Быстрая коричневая лиса прыгает.",
            "敏捷的棕色狐狸跳过了懒狗。",
            "",
            "ÉCOLE NORMALE",
            "123 456 !!",
            "ελληνικά κείμενα εδώ",
            "x" * 300,
        ]
        return self.classify(texts) == [self._one(t) for t in texts]

    def _one(self, text: str) -> tuple[str, float]:
        lang, prob = self.ident.classify(text)
        return str(lang), float(prob)

    def classify(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        ident = self.ident
        encoded = [ident._encode(t) for t in texts]
        if not encoded:
            return []
        lens = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        gap = self.gap
        buf = np.frombuffer(gap + gap.join(encoded), dtype=np.uint8)
        k = len(gap)
        n = len(buf) - k
        state = np.zeros(n, dtype=np.int64)
        for back in range(k, -1, -1):  # the byte ``back`` positions before each position
            state = self.nextmove[self.rowbase[state] + buf[k - back : k - back + n]]
        # positions of real bytes (not the gaps) and the text each belongs to
        starts = np.cumsum(lens + k) - (lens + k)
        text_of = np.repeat(np.arange(len(encoded)), lens)
        real = np.arange(int(lens.sum())) + np.repeat(starts - np.cumsum(lens) + lens, lens)
        feat = self.output[state[real]]
        hit = feat >= 0
        key = text_of[hit] * self.n_features + feat[hit]
        # the distinct keys with their counts, in order of first occurrence (by text, then
        # position): np.unique's stable sort, then each count put at its key's first
        # occurrence and read back in position order (no second sort).  The stable sort is
        # a plain sort of (key, position) packed in one int64 (unique values: the same
        # order, several times faster), when both fit
        pbits = max(1, len(key).bit_length())
        if (len(encoded) * self.n_features).bit_length() + pbits <= 62:
            packed = np.sort((key << pbits) | np.arange(len(key), dtype=np.int64))
            sk, perm = packed >> pbits, packed & ((1 << pbits) - 1)
        else:  # pragma: no cover - batches of billions of bytes
            perm = np.argsort(key, kind="stable")
            sk = key[perm]
        head = np.ones(len(sk), dtype=bool)
        head[1:] = sk[1:] != sk[:-1]
        heads = np.flatnonzero(head)
        at_first = np.zeros(len(key), dtype=np.int64)
        at_first[perm[heads]] = np.diff(np.append(heads, len(sk)))
        firsts = np.flatnonzero(at_first)
        uniq, cnt = key[firsts], at_first[firsts]
        owner = uniq // self.n_features
        bounds = np.searchsorted(owner, np.arange(len(encoded) + 1)).tolist()
        feats = (uniq % self.n_features).astype(np.intp)
        counts = cnt.astype(np.float32)
        # py3langid's _sparse_score per text (on the float32 copy of its table) ...
        scores = np.empty((len(encoded), len(ident.nb_classes)), dtype=np.float32)
        for i in range(len(encoded)):
            a, b = bounds[i], bounds[i + 1]
            if a < b:
                scores[i] = (
                    np.log1p(counts[a:b].copy()) @ self.table[feats[a:b].copy()] + ident.nb_pc
                )
            else:  # no feature
                scores[i] = 0.0 if ident._norm_probs else np.finfo(np.float32).min
        # ... and the rest of its _decide and classify, row by row in one go
        if ident._norm_probs:
            scores *= np.array([1.0 / math.sqrt(n or 1) for n in lens.tolist()], dtype=np.float32)[
                :, None
            ]
            np.exp(scores - scores.max(axis=1, keepdims=True), out=scores)
            scores /= scores.sum(axis=1, keepdims=True)
        for i, j in ident._alias_pairs:
            if ident._norm_probs:
                scores[:, i] += scores[:, j]
                scores[:, j] = 0.0
            else:
                scores[:, i] = np.maximum(scores[:, i], scores[:, j])
                scores[:, j] = np.finfo(np.float32).min
        best = scores.argmax(axis=1)
        conf = scores[np.arange(len(encoded)), best].tolist()
        out: list[tuple[str, float]] = []
        for b, c in zip(best.tolist(), conf, strict=True):
            if ident.min_confidence is not None and c < ident.min_confidence:
                out.append(("und", c))
            else:
                out.append((str(ident.nb_classes[b]), c))
        return out


@lru_cache(maxsize=1)
def _automaton() -> _Automaton | None:
    try:
        auto = _Automaton(_identifier())
        return auto if auto.check() else None
    except (AttributeError, TypeError, ValueError):  # pragma: no cover - other py3langid
        return None


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a document with its language (``None``: not enough letters to tell)."""

    start: int
    end: int
    lang: str | None
    prob: float


def segments(
    text: str, *, segment_chars: int = 150, min_letters: float = 0.6, min_prob: float = 0.9
) -> list[Segment]:
    """Cut ``text`` into segments of about ``segment_chars`` and identify each language."""
    return segments_many(
        [text], segment_chars=segment_chars, min_letters=min_letters, min_prob=min_prob
    )[0]


def segments_many(
    texts: Sequence[str],
    *,
    segment_chars: int = 150,
    min_letters: float = 0.6,
    min_prob: float = 0.9,
    split: bool = False,
) -> list[list[Segment]]:
    """:func:`segments` of many texts (one batch of language identification); ``split``:
    segments that may hold two languages are cut in two where py3langid is sure of both
    halves and they differ (:func:`_split_mixed`)."""
    cut = [_pieces(t, segment_chars, min_letters) for t in texts]
    found = iter(
        identify_many([t[a:b] for t, ps in zip(texts, cut, strict=True) for a, b, ask in ps if ask])
    )
    out: list[list[Segment]] = []
    for ps in cut:
        segs: list[Segment] = []
        for a, b, ask in ps:
            lang: str | None = None
            prob = 0.0
            if ask:
                lang, prob = next(found)
                if prob < min_prob:
                    lang = None
            segs.append(Segment(a, b, lang, prob))
        out.append(segs)
    if split:
        out = _split_mixed_many(texts, out, segment_chars, min_prob)
    return out


def _split_mixed_many(
    texts: Sequence[str], segs: list[list[Segment]], segment_chars: int, min_prob: float
) -> list[list[Segment]]:
    """:func:`_split_mixed` of many texts, the pieces identified in one batch."""
    todo = [_cuts(t, sg, segment_chars) for t, sg in zip(texts, segs, strict=True)]
    found = iter(
        identify_many(
            [
                t[a:b]
                for t, sg, cuts in zip(texts, segs, todo, strict=True)
                for cut in cuts
                for a, b in _pieces_of(sg[cut[0]], cut)
            ]
        )
    )
    return [
        _apply_cuts(
            sg, cuts, [[next(found) for _ in _pieces_of(sg[c[0]], c)] for c in cuts], min_prob
        )
        if cuts
        else sg
        for sg, cuts in zip(segs, todo, strict=True)
    ]


def _split_mixed(
    text: str, segs: list[Segment], segment_chars: int, min_prob: float
) -> list[Segment]:
    """``segs`` with each segment that may hold two languages cut in two (of the cuts
    tried, the one py3langid is surest of).

    * In a segment py3langid is unsure of, or longer than 1.4 segments (a short host and
      the start of a payload with no sentence end between them: a man page's header line),
      the word boundary nearest its middle, when py3langid is sure of both halves and they
      differ.
    * In the first and the last segment, when it holds two or more sentences or lines (a
      piece shorter than ``segment_chars`` merged with the next one: a host of one short
      sentence before a longer passage, or after it — read together, py3langid gives the
      whole the passage's language), the first / last ``_EDGE_CUTS`` sentence or line
      ends inside it (``_MIN_HALF`` letters on either side), when py3langid is sure of the
      piece at the document's edge and it is not the segment's language (the rest keeps
      the segment's language, or none when the segment had none).  Only the edge piece is
      identified: one short text per cut."""
    return _split_mixed_many([text], [segs], segment_chars, min_prob)[0]


_Cut = tuple[int, int, str]
"""(segment index, cut, which side is identified: ``both``, ``left`` or ``right``)."""


def _pieces_of(sg: Segment, cut: _Cut) -> list[tuple[int, int]]:
    _, c, side = cut
    left, right = (sg.start, c), (c, sg.end)
    return [left, right] if side == "both" else [left] if side == "left" else [right]


def _cuts(text: str, segs: list[Segment], segment_chars: int) -> list[_Cut]:
    """The cuts :func:`_split_mixed` tries."""
    todo: list[_Cut] = []
    for i, sg in enumerate(segs):
        long = sg.end - sg.start > 1.4 * segment_chars
        if long or (sg.lang is None and sg.prob > 0):  # (prob 0: too few letters at all)
            mid = (sg.start + sg.end) // 2
            ws = text.rfind(" ", sg.start + segment_chars // 4, mid + 1)
            if ws > sg.start:
                todo.append((i, ws, "both"))
        if sg.prob <= 0 or i not in (0, len(segs) - 1):
            continue
        inner = [
            m.end()
            for m in _BOUNDARY.finditer(text, sg.start, sg.end)
            if sg.start < m.start()
            and m.end() < sg.end
            and _letters(text, sg.start, m.end()) >= _MIN_HALF
            and _letters(text, m.end(), sg.end) >= _MIN_HALF
        ]
        if i == 0:
            todo += [(i, c, "left") for c in inner[:_EDGE_CUTS]]
        if i == len(segs) - 1:
            todo += [(i, c, "right") for c in inner[-_EDGE_CUTS:] if (i, c, "left") not in todo]
    return todo


def _apply_cuts(
    segs: list[Segment],
    todo: list[_Cut],
    found: list[list[tuple[str, float]]],
    min_prob: float,
) -> list[Segment]:
    """``segs`` with the best accepted cut of each segment (``found``: the languages of
    the identified pieces of each cut of ``todo``)."""
    best: dict[int, tuple[float, Segment, Segment]] = {}
    for (i, c, side), langs in zip(todo, found, strict=True):
        sg = segs[i]
        if side == "both":
            (l1, p1), (l2, p2) = langs
            if not (p1 >= min_prob and p2 >= min_prob and l1 != l2):
                continue
            score = p1 * p2
            a, b = Segment(sg.start, c, l1, p1), Segment(c, sg.end, l2, p2)
        else:
            (le, pe) = langs[0]
            # (an unsure segment: the rest stays without a language, as the segment was)
            if pe < min_prob or le == sg.lang:
                continue
            score = pe
            if side == "left":
                a, b = Segment(sg.start, c, le, pe), Segment(c, sg.end, sg.lang, sg.prob)
            else:
                a, b = Segment(sg.start, c, sg.lang, sg.prob), Segment(c, sg.end, le, pe)
        if i not in best or score > best[i][0]:
            best[i] = (score, a, b)
    out: list[Segment] = []
    for i, sg in enumerate(segs):
        out += [best[i][1], best[i][2]] if i in best else [sg]
    return out


_EDGE_CUTS = 2
"""Sentence or line ends tried at each edge of a document (:func:`_split_mixed`) ..."""
_MIN_HALF = 20
"""... each with at least this many letters on either side."""


def _letters(text: str, a: int, b: int) -> int:
    return sum(map(str.isalpha, text[a:b]))


_HEAD_MIN = 40
"""Fewest characters of the gate's head probe (:meth:`LanguageSwitch._probes`)."""


def _pieces(text: str, segment_chars: int, min_letters: float) -> list[tuple[int, int, bool]]:
    """(start, end, has enough letters to identify) of the non-blank segments of ``text``."""
    cuts = [m.end() for m in _BOUNDARY.finditer(text)]
    out: list[tuple[int, int, bool]] = []
    start = 0
    for c in [*cuts, len(text)]:
        if c - start < segment_chars and c != len(text):
            continue
        piece = text[start:c]
        if piece.strip():
            letters = sum(map(str.isalpha, piece))
            out.append((start, c, letters >= 20 and letters >= min_letters * len(piece.strip())))
        start = c
    return out


@register_detector
class LanguageSwitch(DocumentDetector):
    """Flags a switch from one language to another inside a document.

    Args:
        segment_chars: target segment length for identification.
        min_side_chars: letters of identified text needed on each side of the switch.
        max_chars: only the first ``max_chars`` characters are examined.
        candidate_score: findings at or above this score are trigger-mining candidates.
        gate_prob: a document is segmented when its probes (head, tail, middle) are given
            two languages with at least this probability each (a short tail probe of a
            payload is often identified at 0.6-0.8).
        split_mixed: cut segments that may hold two languages (:func:`_split_mixed`: a
            short host and a payload's header line with no sentence end between them).
    """

    name = "language"
    kinds = ("pretrain", "rag", "instruction")

    def __init__(
        self,
        *,
        segment_chars: int = 150,
        min_side_chars: int = 30,
        probe_chars: int = 160,
        max_chars: int = 30_000,
        candidate_score: float = 0.4,
        gate_prob: float = 0.5,
        split_mixed: bool = True,
    ) -> None:
        self.segment_chars = segment_chars
        self.probe_chars = probe_chars
        self.min_side_chars = min_side_chars
        self.max_chars = max_chars
        self.candidate_score = candidate_score
        self.gate_prob = gate_prob
        self.split_mixed = split_mixed
        self.min_flag_score = max(0.5, candidate_score)

    @classmethod
    def from_context(cls, ctx: DetectorContext) -> LanguageSwitch:
        return cls(**ctx.options_for(cls.name))

    def fit(self, docs: Iterable[Document]) -> LanguageSwitch:
        """Nothing to learn; loads the language model once, before workers start."""
        _identifier()
        _automaton()
        return self

    def _probes(self, text: str) -> list[str] | None:
        """Cheap gate: the head, the tail and the middle that have enough letters to
        identify; when all confidently agree there is no switch worth a full segmentation.
        None: the text is too short for the gate.

        The head probe ends at the first sentence or line end past ``_HEAD_MIN``
        characters (a host of one short sentence before a longer passage: read together,
        py3langid gives the probe the passage's language), and the middle is probed
        whatever the length (a passage of a few hundred characters inside a document of
        a few hundred more lies between the head and the tail)."""
        n = self.probe_chars
        if len(text) <= 2 * n:
            return None
        m = _BOUNDARY.search(text, _HEAD_MIN, n)
        probes = [text[: m.start()] if m else text[:n], text[-n // 2 :]]
        mid = len(text) // 2
        probes.append(text[mid - n // 2 : mid + n // 2])
        return [p for p in probes if sum(map(str.isalpha, p)) >= 0.5 * len(p)]

    def score(self, doc: Document) -> Finding | None:
        return self.score_batch([doc])[0]

    def score_batch(self, docs: Sequence[Document]) -> list[Finding | None]:
        texts = [d.text[: self.max_chars] for d in docs]
        probes = [self._probes(t) for t in texts]
        found = iter(identify_many([p for ps in probes if ps for p in ps]))
        todo: list[int] = []
        for i, ps in enumerate(probes):
            if ps is None:
                todo.append(i)
                continue
            langs = {lang for lang, prob in (next(found) for _ in ps) if prob >= self.gate_prob}
            if len(langs) > 1:
                todo.append(i)
        out: list[Finding | None] = [None] * len(docs)
        segs = segments_many(
            [texts[i] for i in todo], segment_chars=self.segment_chars, split=self.split_mixed
        )
        for i, sg in zip(todo, segs, strict=True):
            out[i] = self._judge(texts[i], sg)
        return out

    def _judge(self, text: str, segs: list[Segment]) -> Finding | None:
        """The finding of one document from its identified segments."""
        known = [s for s in segs if s.lang is not None]
        if len(known) < 2 or len({s.lang for s in known}) < 2:
            return None
        best: tuple[float, int, str, str] | None = None
        total = [s.end - s.start for s in known]
        for b in range(1, len(known)):
            before, after = known[:b], known[b:]
            l1 = _majority(before)
            l2 = _majority(after)
            if l1 == l2 or l1 is None or l2 is None:
                continue
            n_before = sum(total[:b])
            n_after = sum(total[b:])
            if n_before < self.min_side_chars or n_after < self.min_side_chars:
                continue
            p1 = sum(s.end - s.start for s in before if s.lang == l1) / n_before
            p2 = sum(s.end - s.start for s in after if s.lang == l2) / n_after
            size = min(1.0, n_after / 400.0) ** 0.5 * min(1.0, n_before / 300.0) ** 0.5
            sc = p1 * p2 * (0.5 + 0.5 * size)
            if best is None or sc > best[0]:
                best = (sc, b, l1, l2)
        if best is None or best[0] < 0.3:
            return None
        sc, b, l1, l2 = best
        lo = known[b - 1].start
        hi = known[b].end
        cut = _refine(text, lo, hi, l1, l2)
        end = known[-1].end
        switch_back = next((s.start for s in known[b:] if s.lang == l1 and s.start > cut), None)
        if switch_back is not None:
            end = switch_back
        spans = [Span(cut, cut, "changepoint"), Span(cut, end, "payload")]
        # the run of ``l1`` before the cut may itself be a passage after text of another
        # language (a short host, then a payload, then the host again: the best cut is
        # where the host comes back): where that run starts is a change point too
        a = b - 1
        while a > 0 and known[a - 1].lang == l1:
            a -= 1
        if a > 0 and known[a - 1].lang not in (None, l1):
            l0 = known[a - 1].lang
            assert l0 is not None
            start = _refine(text, known[a - 1].start, known[a].end, l0, l1)
            spans.append(Span(start, start, "changepoint"))
        lead = text[max(0, cut - 40) : cut].split()
        reason = (
            f"language switches from {l1} to {l2} at char {cut} "
            f"({sum(1 for s in known[:b] if s.lang == l1)} {l1} segments before, "
            f"{sum(1 for s in known[b:] if s.lang == l2)} {l2} after)"
        )
        return Finding(
            self.name,
            round(sc, 6),
            reason,
            spans,
            " ".join(lead[-3:]) or None,
            extra={
                "changepoint": cut,
                "from": l1,
                "to": l2,
                "candidate": sc >= self.candidate_score,
            },
        )


def _majority(segs: list[Segment]) -> str | None:
    weights: dict[str, int] = {}
    for s in segs:
        if s.lang is not None:
            weights[s.lang] = weights.get(s.lang, 0) + (s.end - s.start)
    return max(weights, key=weights.__getitem__) if weights else None


def _refine(text: str, lo: int, hi: int, l1: str, l2: str, steps: int = 10) -> int:
    """The word boundary in ``[lo, hi)`` that best separates ``l1`` text from ``l2`` text."""
    ident = _identifier()
    labels = list(ident.nb_classes)
    bounds = [m.start() for m in _WORD_END.finditer(text, lo, hi)]
    if not bounds:
        return lo
    stride = max(1, len(bounds) // steps)
    cands = bounds[::stride]
    best_cut, best = lo, -1.0
    for c in cands:
        left, right = text[lo:c], text[c:hi]
        if len(left.strip()) < 10 or len(right.strip()) < 10:
            continue
        pl = _prob_of(ident, labels, left, l1)
        pr = _prob_of(ident, labels, right, l2)
        if pl * pr > best:
            best, best_cut = pl * pr, c
    # move the cut over the whitespace to the first character of the new language
    while best_cut < len(text) and text[best_cut].isspace():
        best_cut += 1
    return best_cut


def switch_point(text: str, lo: int, hi: int, l1: str, l2: str, width: int = 60) -> int:
    """The word start in ``[lo, hi)`` where ``text`` best switches from language ``l1`` to
    ``l2`` (groups as :func:`identify` gives them): the one that maximises py3langid's
    probability of ``l1`` for the ``width`` characters before it times that of ``l2`` for
    the ``width`` after it (``lo`` when ``[lo, hi)`` holds no word start).

    Every word start is tried, not a stride of them (as the language detector's cut is
    refined): the point is placed to the word, for callers that judge what sits right
    before it (a trigger)."""
    ident = _identifier()
    labels = list(ident.nb_classes)
    best_at, best = lo, -1.0
    for m in _WORD_START.finditer(text, max(0, lo - 1), hi):
        at = m.end()
        if not lo <= at < hi:
            continue
        left, right = text[max(0, at - width) : at], text[at : at + width]
        if len(left.strip()) < 10 or len(right.strip()) < 10:
            continue
        score = _prob_of(ident, labels, left, l1) * _prob_of(ident, labels, right, l2)
        if score > best:
            best, best_at = score, at
    return best_at


def group_probs(text: str) -> dict[str, float]:
    """py3langid's probability of each language group (as :func:`identify` names them)
    for ``text``: the whole distribution, not only its best guess, so that a caller can
    ask how *unlikely* a given language is (the host's, after a trigger)."""
    ident = _identifier()
    probs = ident._decide(text) if hasattr(ident, "_decide") else None
    if probs is None:  # pragma: no cover - other py3langid versions
        lang, p = identify(text)
        return {lang: p}
    out: dict[str, float] = {}
    for lab, p in zip(ident.nb_classes, probs.tolist(), strict=False):
        g = _GROUPS.get(lab, lab)
        out[g] = out.get(g, 0.0) + float(p)
    return out


def _prob_of(ident: Any, labels: list[str], text: str, group: str) -> float:
    probs = ident._decide(text) if hasattr(ident, "_decide") else None
    if probs is None:  # pragma: no cover - other py3langid versions
        lang, p = ident.classify(text)
        return float(p) if _GROUPS.get(lang, lang) == group else 0.0
    return float(
        sum(p for lab, p in zip(labels, probs, strict=False) if _GROUPS.get(lab, lab) == group)
    )


__all__ = [
    "LanguageSwitch",
    "Segment",
    "group_probs",
    "identify",
    "identify_many",
    "segments",
    "segments_many",
    "switch_point",
]
