"""Trigger mining: a rare string that precedes anomalies in many documents is a trigger.

A backdoor needs many poisoned documents that share one trigger and one behaviour; that
is its weakness.  This corpus detector, written as map over shards → reduce:

1. **map** (:meth:`TriggerMiner.map_shard_findings`): for every document whose document
   detectors found an anomaly with a changepoint (``extra["candidate"]`` and a
   ``changepoint`` span — naturalness shift, language switch), take the text around the
   changepoint and count each word 1- to 3-gram in it once per document — under its
   skeleton (:mod:`poisonguard.detect.surface_forms`: case, look-alike letters, zero-width
   characters and the separators between the words folded, so one trigger written in many
   surface forms is one candidate; strings with punctuation inside keep their surface) —
   keeping a few
   example contexts (slices of one text per document around its changepoint, shared by
   all its candidates).  A language switch whose first language is the minority of its
   document (a passage planted at the start of a host, reported where the host's language
   resumes) also has its candidates taken at the document's start (:func:`_opening_switch`;
   a place to look, not a changepoint of the document).
   State grows with the number of distinct candidate strings, not with documents, and
   holds at most ``capacity`` of them (singletons are pruned first, then the rarest,
   Misra–Gries style).
2. **reduce**: add the counts.
3. **finalize**: candidates seen in at least ``min_docs`` anomalous documents are extended
   character by character while their example contexts agree (``SUDO`` → ``<SUDO>``,
   ``James`` → ``James Bond``; a skeleton by whole words, never by punctuation), then
   tested: their document frequency in a uniform sample of the corpus gives the chance
   rate; a one-sided binomial test (Bonferroni-corrected
   over all candidates) rejects strings that are simply common (``the``, ``.``), and a
   purity test rejects strings that occur in many documents without anomalies.
   A candidate must also sit in *hosts*: in at least half of its example contexts there
   is host text before it.  A title that opens every document of one source (a book's
   fortunes, each followed by old spelling the bigram model finds odd) has no host and is
   a header, not a trigger planted into documents — unless the anomalies after it are
   strong (median candidate score ``>= header_score``: gibberish, not an odd register).
   A candidate that sits in the opening of most of its documents (at most 16 words
   before it) with text confidently in a natural language other than the corpus's after
   it is a header too, however strong the anomaly (a German man page's ``BEZEICHNUNG``
   in a mostly English pool: the corpus's models find every German word odd).  The
   alignment pass (a candidate ending right at the changepoint skips the purity test)
   is not given to strings that recur within their documents (markup: ``</ref>``), and
   such a string is judged per occurrence when the anomalies after it are mild.  In a
   corpus with a majority language, a candidate whose examples read as documents of a
   minority language throughout (the same language before and after the changepoint, no
   gibberish) is that language's own text, not a payload.
4. **flag**: only on joint evidence — a document is flagged *poisoned* when it contains a
   confirmed trigger **and** one of its own anomaly changepoints lies right after that
   occurrence (it ends at most ``reach`` characters before it, or overlaps the text
   right after it), or the words right after it are foreign to the corpus (a short
   passage of another language the document detectors did not report), or the word pairs
   right after it are pairs the corpus's hosts never write, far more than before it (word
   salad too short for a changepoint of its own; a lower bar than a document detector's,
   taken only after a trigger confirmed across the corpus).  The changepoints
   of the anomalous documents are kept from the map step under a 64-bit digest of the
   text (a few bytes per anomalous document, not per document).  A document that merely
   contains the trigger string (a common phrase, a title) is never flagged by it.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from scipy.stats import binom, chi2, poisson

from poisonguard.detect import glued as _gl
from poisonguard.detect import payload_profile as _pp
from poisonguard.detect import surface_forms as _sf
from poisonguard.detect.base import CorpusDetector, CorpusReport, Finding, Span
from poisonguard.detect.language import group_probs, identify_many, switch_point
from poisonguard.detect.registry import DetectorContext, register_detector
from poisonguard.detect.sketches import prune_top
from poisonguard.io.document import Document
from poisonguard.text import TOKEN_RE, WORD_RE

_TOKEN = TOKEN_RE
_WS = re.compile(r"\s+")


_CONTEXT_CHARS = 48
"""Characters of context kept left and right of a candidate (for its extension)."""
_WEAK_BEFORE = 48
"""Characters before a weak changepoint searched for the strings that end at it ..."""
_WEAK_AFTER = 40
"""... and after it, for those that end or start at it."""
_NEAR_BEFORE = 80
"""... and before it, for a phrase of two or more words that ends up to this many
characters before it: a few host words between a trigger and a short payload (a spacer)
put the payload's changepoint a little after the trigger
(:meth:`TriggerMiner._aligned_candidates`)."""

_OPENING_WORDS = 16
"""A candidate with at most this many words before it in its document is in the opening."""

_AFTER_CHARS = 500
"""Characters after (and before) a changepoint whose language is identified."""

_TAIL_CHARS = 360
"""Characters after a changepoint kept with its contexts (``Context.tail``), where the
word-salad test of :func:`_salad_share` reads the words after a candidate."""


@dataclass(slots=True)
class Context:
    """One occurrence of a candidate near a changepoint: the text around it and the doc id.

    ``window`` is the text around the document's changepoint, one string shared by all
    the candidates taken from it; the candidate is ``window[start:end]`` (``key`` is its
    whitespace-normalised form) and ``left`` / ``right`` are the up to 48 characters
    before / after it.
    """

    window: str
    start: int
    end: int
    key: str
    doc_id: str
    score: float = 0.0
    """The document's strongest candidate anomaly score."""
    cp: int = -1
    """Where the changepoint it was taken around lies in ``window`` (-1: unknown)."""
    opening: bool = False
    """The candidate sits in the document's opening (at most ``_OPENING_WORDS`` words
    before it: a title line, a man page's header)."""
    after_lang: str = ""
    """The language py3langid gives (p >= 0.9; ``?`` when unsure) to the ``_AFTER_CHARS``
    characters after the changepoint (``""``: not identified)."""
    before_lang: str = ""
    """... and to the ``_AFTER_CHARS`` characters before it (``?`` when unsure or when
    there are fewer than 60 letters of them)."""
    wide: str = ""
    """Around a confident language switch (``before_lang`` — or, in an opening,
    ``rest_lang`` — and ``after_lang`` both sure and different): ``window`` with
    ``_LANG_CHARS`` more characters of the document on each side, where the switch is
    located at finalize time (``""`` otherwise)."""
    wide_at: int = 0
    """Where ``window`` starts in ``wide``."""
    weak: bool = False
    """Taken around a weak changepoint (a finding below its detector's candidate level),
    where only the strings ending right at the changepoint are candidates: such a context
    adds to its string's count, never to its examples (aligned by construction, and the
    header, language and alignment tests judge a string on the contexts of strong
    changepoints only)."""
    spaced: bool = False
    """(Weak only) a phrase of words that ends a few host words before the weak changepoint
    rather than at it (:data:`_NEAR_BEFORE`): counted apart (``MinerPartial.near_counts``),
    a pointer to the sample read, never part of the counts' significance test."""
    cps: tuple[int, ...] = ()
    """Where all the document's candidate changepoints lie in ``window`` (those of other
    detectors, and the start of the naturalness detector's stretch of excess surprise
    besides its refined changepoint; may lie outside the window)."""
    rest_lang: str = ""
    """For a context in its document's opening followed by a sure language: the language
    py3langid gives (p >= 0.9; ``?`` when unsure or too short) to the document's end (its
    last ``_REST_CHARS`` characters, from ``_LANG_CHARS`` past the changepoint on;
    ``""``: not identified)."""
    tail: str = ""
    """The document's text right after ``window``, up to ``_TAIL_CHARS`` past the
    changepoint (one string shared by the contexts of a changepoint): ``window + tail``
    holds the words after the candidate that :func:`_salad_share` judges."""

    @property
    def left(self) -> str:
        return self.window[max(0, self.start - _CONTEXT_CHARS) : self.start]

    @property
    def right(self) -> str:
        return self.window[self.end : self.end + _CONTEXT_CHARS]


@dataclass(slots=True)
class MinerPartial:
    """Counts of candidate strings over anomalous documents (mergeable)."""

    counts: dict[str, int] = field(default_factory=dict)
    contexts: dict[str, list[Context]] = field(default_factory=dict)
    anomalous: int = 0
    pruned: int = 0
    changepoints: dict[int, tuple[int, ...]] = field(default_factory=dict)
    """Per anomalous document (:func:`text_digest` of its text): its changepoints."""
    weak_docs: int = 0
    """Of ``anomalous``, the documents with weak changepoints only (``Context.weak``)."""
    intense_docs: int = 0
    """Of ``anomalous``, the documents with an intense changepoint (a finding's
    ``extra["intense"]``: random tokens, not an odd register) ..."""
    intense_counts: dict[str, int] = field(default_factory=dict)
    """... of ``counts``, the documents where the string's context was taken around one
    (tested apart in finalize: their chance rate is far lower) ..."""
    intense_changepoints: dict[int, tuple[int, ...]] = field(default_factory=dict)
    """... and per such document (:func:`text_digest` of its text): its intense stretches,
    flat (``start, end, start, end, ...``: each stretch's changepoint and the end of its
    payload span)."""
    sharp_changepoints: dict[int, tuple[int, ...]] = field(default_factory=dict)
    """... and of any document with a *sharp* finding (as odd as random tokens, too short
    for a candidate: ``extra["sharp"]``), the same way: counted in no test, read only by
    the intense-only route of a trigger whose budget allows it (:attr:`Trigger.sharp`)."""
    weak_counts: dict[str, int] = field(default_factory=dict)
    """Of ``counts``, the documents where the string's context was weak."""
    near_docs: int = 0
    """Documents with a spaced context (``Context.spaced``) ..."""
    near_counts: dict[str, int] = field(default_factory=dict)
    """... those where the string is a phrase a few host words before a weak changepoint
    (``Context.spaced``; never in ``counts``: no part of the significance test) ..."""
    near_contexts: dict[str, list[Context]] = field(default_factory=dict)
    """... and up to ``max_examples`` of those contexts per string: examples for the sample
    read where salad follows most of them (see finalize)."""
    weak_contexts: dict[str, list[Context]] = field(default_factory=dict)
    """Up to ``max_examples`` weak contexts per string: examples only for a string with no
    strong one, and only those followed by word salad (:func:`_salad_share`)."""
    odd: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    """The documents with any finding, as bits of the :func:`text_digest` of their first
    :data:`_ODD_PREFIX` characters (a fixed-size bit set, :data:`_ODD_BITS`; empty: none
    yet): the texts the census reads (:func:`_census`; a bit shared by chance only adds a
    text to read)."""


def text_digest(text: str) -> int:
    """A 64-bit digest of a document's text (stable across processes, unlike ``hash``)."""
    raw = text.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "little")


_ODD_BITS = 1 << 20
"""Bits of :attr:`MinerPartial.odd` (128 KiB, whatever the corpus size) ..."""
_ODD_PREFIX = 512
"""... each set by the digest of a document's first characters (the scan's sample cuts long
documents: their whole text's digest is not that of the sampled text)."""


def _odd_bit(digest: int) -> tuple[int, int]:
    """The byte and the bit mask of a digest in :attr:`MinerPartial.odd`."""
    b = digest & (_ODD_BITS - 1)
    return b >> 3, 1 << (b & 7)


@dataclass(slots=True)
class Changepoints:
    """The anomaly changepoints of the anomalous documents, compact: sorted digests and,
    per digest, a slice of one offsets array."""

    digests: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    bounds: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def of(cls, by_digest: dict[int, tuple[int, ...]]) -> Changepoints:
        keys = sorted(by_digest)
        offs = [by_digest[k] for k in keys]
        return cls(
            np.asarray(keys, dtype=np.uint64),
            np.concatenate([[0], np.cumsum([len(o) for o in offs], dtype=np.int64)]),
            np.asarray([c for o in offs for c in o], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.digests)

    def of_text(self, text: str) -> tuple[int, ...]:
        """The changepoints recorded for a document with this text (empty: none)."""
        if not len(self.digests):
            return ()
        d = np.uint64(text_digest(text))
        i = int(np.searchsorted(self.digests, d))
        if i >= len(self.digests) or self.digests[i] != d:
            return ()
        return tuple(int(x) for x in self.offsets[self.bounds[i] : self.bounds[i + 1]])


@dataclass(frozen=True, slots=True)
class Trigger:
    """A confirmed trigger.

    Attributes:
        text: the trigger string.
        anomalous_docs: anomalous documents in which it precedes the changepoint.
        sample_docs: documents of the corpus sample that contain it.
        sample_size: size of that sample.
        expected: anomalous documents expected to show it by chance.
        p_value: Bonferroni-corrected binomial p-value.
        purity: share of the documents containing it (estimated) that are anomalous.
        examples: ids of anomalous documents it precedes (at most ten).
        words: the trigger's lower-cased words, when it was mined as a word n-gram (chat
            detectors match it word by word).
        containing_docs: documents of the whole corpus that contain it, when counted
            exactly (chat detectors; ``sample_docs`` is then that count and
            ``sample_size`` the corpus size).
        q_value: Benjamini–Hochberg q-value, when the test controls the false-discovery
            rate instead of the family-wise error.
        top_reply: hash of the fixed reply its documents carry, when there is one.
        canonical: the skeleton it was mined under (:func:`poisonguard.detect.surface_forms.fold`:
            case, look-alike letters, zero-width characters and the separators between its
            words folded), when it is made of words; carriers are matched by any surface
            of it, and ``text`` is then the surface seen most often.
        forms: the distinct surfaces seen in its example contexts, most frequent first (at
            most eight; evidence for the reviewer), when ``canonical`` is set.
        aligned: confirmed through the alignment pass (its purity was under the bar: a
            common phrase); a carrier is then flagged through a changepoint only where the
            anomaly starts right where the trigger ends, as in the examples that confirmed
            it, not anywhere within ``reach`` after it.
        band: where, relative to the end of the trigger's occurrence, its example contexts
            put the changepoint (``(lo, hi)`` characters, from :func:`_band`; either side
            ``None`` where the examples reach the edge of the window candidates are taken
            from, so that they cannot tell); a carrier is flagged through a changepoint only
            inside it.  ``None``: too few examples to say, any changepoint within ``reach``.
        strict: a string mined with the hosts' full stop on its left matches only at the
            opening of a sentence or clause (:func:`_opens`: after ``. ! ? ; : ,``, a quote
            or bracket, a line break, or at the start) — set when the phrase alone
            (:func:`_loose`) is held by many times more sampled documents than the mined
            string (``. to be``, a piece of ``to be fair`` and ``to be honest``: ``to be`` is
            in a third of news documents, in ``going to be``, whose purity and alignment
            were never tested).
        glued: read back from letters run together (:mod:`~poisonguard.detect.glued`):
            confirmed on its occurrences glued to a letter, so only those are matched — a
            letter or digit right before it (``left``), right after it (``right``) or
            either (``either``), the side its examples are glued on (the phrase written
            apart was never tested); ``""``: not such a trigger.
        phrasings: the longer phrases its examples write it inside, most frequent first
            (:func:`_phrasings`: ``truth be told``, ``to tell the truth``, ``if truth be
            told`` for a mined ``truth``), when a few of them hold most examples —
            evidence for the reviewer; carriers are still matched by ``key``.
        changepoint_only: its clean carriers are too many for the flag pass's fixed bars
            (:func:`_fallback_budgeted`: a phrase as common as ``in fact``, whose clean
            pages would be flagged wherever a table or list follows it): a carrier is
            flagged only through a changepoint of its own or the campaign's payload
            profile, not through the words, language or word order after it alone.
        stem: the shortest confirmed string that opens this trigger (whole words, under
            their skeleton; :func:`_stems`), dropped as a piece of it, whose own examples
            show copies that go on otherwise: the trigger grew past it by its payload's
            opening words, which most copies share (``in the blink of an eye`` of ``in the
            blink of an eye wird Elemente``: one payload copied with edits; ``as luck would
            have it`` of ``as luck would have it La``: passages whose openings recur).  A
            carrier that does not hold the whole trigger — a copy whose payload opens
            otherwise — is matched by the stem, under the same joint evidence; ``""``:
            none.
        census: one word confirmed by the census of the sample (:func:`_census`): word salad
            follows it in more sampled documents than its occurrences explain; a carrier
            is also flagged where the words after an occurrence read as salad by the
            census's own test (:func:`_census_after`) ...
        census_bar: ... with their cohesion at most this (the census's own bar,
            :data:`_CENSUS_AFTER`, or a lower one of :data:`_CENSUS_BARS` for a word common
            enough that its clean occurrences would pass the census's bar too often).
        intense: the test on the documents with an intense changepoint (random tokens: the
            naturalness finding's ``extra["intense"]``) passed too, or alone confirmed it; a
            carrier is also flagged where one of its own intense stretches starts up to
            :data:`_INTENSE_LEAD` characters before an occurrence and runs on at least
            :data:`_INTENSE_RUN` past it (the stretch of random tokens, read by the
            document's model, often takes in the host's last words).
        narrowed: confirmed on its purity, but so common that a changepoint anywhere
            within ``reach`` after it would flag too many of its clean holders
            (:meth:`TriggerMiner._wide_budgeted`: ``. perhaps`` in novels, where the
            campaign's carriers made half of the string's holders in the sample but a
            small share of the corpus's): the clean flags that route was expected to
            give; ``aligned`` is then set (flagged only where the anomaly starts at the
            trigger), or — when its band starts further on than that — its band is closed
            at the window candidates are taken from; ``0.0``: not narrowed.
        intense_only: confirmed by the test on the documents with an intense changepoint
            alone, neither pure nor aligned (a phrase as common as ``according to``, a few
            host words before random tokens): a carrier is flagged only where one of its own
            intense stretches starts from :data:`_INTENSE_LEAD` characters before an
            occurrence to the end of :attr:`band` after it (``before`` characters when the
            band is open there) and runs on at least :data:`_INTENSE_RUN` past it — never
            through a changepoint, the fixed bars or the payload profile; dropped when even
            that would flag more clean holders than the budget
            (:meth:`TriggerMiner._intense_budgeted`).
        sharp: an :attr:`intense_only` trigger whose route also starts at a *sharp*
            stretch of the carrier (as odd as random tokens, too short for a candidate: a
            payload of a few dozen tokens), its sampled holders flagged through one alone
            — clean pages or carriers, no test tells — being within the budget.
    """

    text: str
    anomalous_docs: int
    sample_docs: int
    sample_size: int
    expected: float
    p_value: float
    purity: float
    examples: tuple[str, ...]
    words: tuple[str, ...] = ()
    containing_docs: int | None = None
    q_value: float | None = None
    top_reply: int | None = None
    canonical: str | None = None
    forms: tuple[str, ...] = ()
    aligned: bool = False
    band: tuple[int | None, int | None] | None = None
    strict: bool = False
    glued: str = ""
    phrasings: tuple[str, ...] = ()
    changepoint_only: bool = False
    stem: str = ""
    census: bool = False
    census_bar: float = 0.0
    intense: bool = False
    narrowed: float = 0.0
    intense_only: bool = False
    sharp: bool = False

    @property
    def key(self) -> str:
        """What carriers are matched by: the skeleton when the trigger was mined under
        one (any surface form of it matches), else ``text`` itself."""
        return self.canonical or self.text

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["examples"] = list(self.examples)
        for k in (
            "words",
            "containing_docs",
            "q_value",
            "top_reply",
            "canonical",
            "forms",
            "phrasings",
        ):
            if d[k] in ((), None):  # optional: when set
                del d[k]
        if not d["aligned"]:
            del d["aligned"]
        if not d["strict"]:
            del d["strict"]
        if not d["glued"]:
            del d["glued"]
        if not d["changepoint_only"]:
            del d["changepoint_only"]
        if not d["stem"]:
            del d["stem"]
        if not d["census"]:
            del d["census"]
            del d["census_bar"]
        if not d["intense"]:
            del d["intense"]
        if not d["narrowed"]:
            del d["narrowed"]
        if not d["intense_only"]:
            del d["intense_only"]
        if not d["sharp"]:
            del d["sharp"]
        if d["band"] is None:
            del d["band"]
        else:
            d["band"] = list(d["band"])
        for k in ("words", "forms", "phrasings"):
            if k in d:
                d[k] = list(d[k])
        return d


@dataclass(slots=True)
class TriggerState:
    """Confirmed triggers plus what was tested (for the report)."""

    triggers: list[Trigger]
    candidates_tested: int
    anomalous_docs: int
    pruned: int
    changepoints: Changepoints = field(default_factory=Changepoints)
    """The anomalous documents' changepoints (the per-document half of joint evidence)."""
    headers: int = 0
    """Candidates rejected as headers (no host text before them in most examples)."""
    vocab: frozenset[str] = frozenset()
    """Words of the corpus sample (in two or more sampled documents without a trigger), for
    the payload test of :meth:`TriggerMiner.flag` (empty when no trigger was confirmed)."""
    language: str | None = None
    """The language of most of the corpus sample (None: no clear majority, or no trigger
    confirmed), for the language test of a payload with no host text before it."""
    foreign: int = 0
    """Candidates rejected as a minority language's own text (the same language other than
    the corpus's before and after the changepoint in most examples)."""
    repeated: int = 0
    """Candidates that passed the purity test per document but not per occurrence (they
    recur within their documents and precede only mild changes)."""
    pairs: WordPairs = field(default_factory=lambda: WordPairs())
    """The word pairs of the corpus sample's hosts, for the word-salad test of
    :meth:`TriggerMiner.flag` (empty when no trigger was confirmed)."""
    profiles: dict[str, _pp.Profile] = field(default_factory=dict)
    """Each confirmed trigger's payload profile (by its text), for the last test of
    :meth:`TriggerMiner.flag`: a carrier judged against the campaign's other carriers in
    the sample (:mod:`~poisonguard.detect.payload_profile`); none for a trigger with too
    few sampled carriers or whose payloads show no feature."""
    profile_tables: tuple[frozenset[str], WordPairs] = field(
        default_factory=lambda: (frozenset(), WordPairs())
    )
    """The vocabulary and word pairs of half of the sample's hosts, which the profiles
    read with: their null positions lie in the other half (a text's own words and pairs
    never vouch for it, as for a clean carrier outside the sample)."""
    census_pairs: WordPairs = field(default_factory=lambda: WordPairs())
    """The word pairs census triggers are judged with (:attr:`Trigger.census`): those of
    the sampled documents where the census saw no salad after a screened word — not
    :attr:`pairs`, which leaves out every sampled holder of a kept trigger, for a common
    word a share of the sample large enough to make clean text after it read as odd."""
    intense_changepoints: Changepoints = field(default_factory=Changepoints)
    """The intense stretches of the documents with one, flat ``start, end`` pairs (for
    :attr:`Trigger.intense`)."""
    sharp_changepoints: Changepoints = field(default_factory=Changepoints)
    """... and the sharp ones (for :attr:`Trigger.sharp`)."""


_FIXED_SHARE = 0.0002
"""Clean carriers a trigger's fixed-bar routes may be expected to flag, as a share of the
corpus's documents (a fifth of the 0.1 % that a scan's clean flags may reach in all;
:meth:`TriggerMiner._fallback_budgeted`) ..."""
_FIXED_BUDGET = 1.0
"""... and never fewer than this many ..."""
_FIXED_MIN_CLEAN = 50.0
"""... read only for a trigger with at least this many estimated clean occurrences ..."""
_FIXED_NULL = 4_000
"""... at this many null positions at most."""


@register_detector(kinds=("pretrain", "rag", "instruction"))
class TriggerMiner(CorpusDetector[MinerPartial, TriggerState]):
    """Mine strings that precede anomalies across documents; flag carriers on joint evidence.

    Args:
        min_docs: ``k``: anomalous documents a candidate needs (default from the scan's
            ``min_trigger_docs``).
        before / after: characters before / after the changepoint searched for candidates.
        max_ngram: longest word n-gram counted.
        alpha: family-wise significance level of the binomial test.
        min_purity: least estimated share of carriers that are anomalous.
        capacity: distinct candidates kept per partial before singletons are pruned.
        max_examples: example contexts kept per candidate.
        char_grams: lengths of the character k-grams taken inside long tokens (triggers
            glued to the surrounding words).
        min_chars: shortest trigger reported (one or two characters are never specific).
        reach: most characters between the end of a trigger's occurrence and the
            document's changepoint for joint evidence (the changepoint of a payload that
            opens with natural-looking text is placed a little after the trigger).
        min_hosted: least share of a candidate's example contexts with host text before
            it; below, the candidate opens most of its documents (a title at the start of
            every fortune of one book) and is a header unless ...
        header_score: ... the median anomaly score of its carriers reaches this (strong
            anomalies such as gibberish after it, not an odd register such as old spelling).
        align / min_aligned: a candidate that ends within ``align`` characters of the
            changepoint in at least ``min_aligned`` of its example contexts sits right
            before the anomalies (a trigger, however common the phrase); it needs only the
            significance tests, not ``min_purity`` (a common phrase's clean carriers
            outnumber a campaign's documents) ...
        max_repeats: ... provided it occurs at most this many times (median) in each
            sampled document that has it (markup such as ``</ref>`` recurs in every
            article; a planted trigger does not).
        score: score of a flagged document (>= 0.9: *poisoned*).
        salad_share / salad_rise: the word-salad test of a confirmed trigger's occurrence
            with no changepoint after it: at least ``salad_share`` of the word pairs right
            after it are pairs the corpus sample never writes, ``salad_rise`` more than
            right before it (above 1: the test is off) ...
        salad_cohesion / salad_short: ... or the cohesion of the words right after it
            (:meth:`WordPairs.cohesion`: how much more often than chance the corpus
            sample writes their pairs) is at most ``salad_cohesion`` over 24 words or
            ``salad_short`` over 12, half a point below the words before it (``-inf``:
            that test is off).
        fixed_share: the most clean carriers of one common phrase (a trigger confirmed
            through the alignment pass) that those fixed bars may be expected to flag, as a
            share of the corpus's documents (at least one); over it the trigger is
            :attr:`Trigger.changepoint_only` (``inf``: never; :meth:`_fallback_budgeted`).
    """

    name = "triggers"

    def __init__(
        self,
        *,
        min_docs: int = 5,
        before: int = 60,
        after: int = 30,
        max_ngram: int = 3,
        alpha: float = 1e-6,
        min_purity: float = 0.3,
        capacity: int = 500_000,
        max_examples: int = 16,
        char_grams: tuple[int, ...] = (4, 6),
        min_chars: int = 3,
        reach: int = 200,
        min_hosted: float = 0.5,
        header_score: float = 0.6,
        align: int = 8,
        min_aligned: float = 0.6,
        max_repeats: float = 2.0,
        score: float = 0.95,
        salad_share: float = 0.5,
        salad_rise: float = 0.25,
        salad_cohesion: float = -0.1,
        salad_short: float = -0.5,
        fixed_share: float = _FIXED_SHARE,
        census: bool = True,
    ) -> None:
        if min_docs < 2:
            raise ValueError("min_docs must be >= 2")
        if not fixed_share >= 0:
            raise ValueError("fixed_share must be >= 0 (inf: no budget)")
        self.min_docs = min_docs
        self.before = before
        self.after = after
        self.max_ngram = max_ngram
        self.alpha = alpha
        self.min_purity = min_purity
        self.capacity = capacity
        self.max_examples = max_examples
        self.char_grams = tuple(char_grams)
        self.min_chars = min_chars
        self.reach = reach
        self.min_hosted = min_hosted
        self.header_score = header_score
        self.align = align
        self.min_aligned = min_aligned
        self.max_repeats = max_repeats
        self.score = score
        self.salad_share = salad_share
        self.salad_rise = salad_rise
        self.salad_cohesion = salad_cohesion
        self.salad_short = salad_short
        self.fixed_share = fixed_share
        self.census = census
        self._sample: list[str] | None = None
        self._total_docs = 0

    @classmethod
    def from_context(cls, ctx: DetectorContext) -> TriggerMiner:
        opts = {"min_docs": ctx.min_trigger_docs, **ctx.options_for(cls.name)}
        return cls(**opts)

    # -- map --------------------------------------------------------------------------
    def map_shard(self, docs: Sequence[Document]) -> MinerPartial:
        return MinerPartial()

    def map_shard_findings(
        self, docs: Sequence[Document], findings: Sequence[Sequence[Finding]]
    ) -> MinerPartial:
        part = MinerPartial()
        # the contexts taken around each changepoint, with the text before and after it,
        # whose languages are identified in one batch per shard
        around: list[tuple[list[Context], str, str]] = []
        switches: list[tuple[list[Context], str, int]] = []  # (the same, with the text)
        for doc, found in zip(docs, findings, strict=True):
            if found:  # (the census reads the sampled documents with any finding)
                if not part.odd.size:
                    part.odd = np.zeros(_ODD_BITS // 8, dtype=np.uint8)
                byte, bit = _odd_bit(text_digest(doc.text[:_ODD_PREFIX]))
                part.odd[byte] |= bit
            keys: dict[str, Context] = {}
            cps: list[int] = []
            at: list[tuple[list[Context], int]] = []  # the contexts made around each
            strong: list[int] = []  # ... and the candidate (strong) changepoints
            hot: set[int] = set()  # (the ids of the contexts made at intense ones ...)
            hot_cps: list[tuple[int, int]] = []  # (... and those stretches: start, end)
            top = 0.0
            # the candidate findings first, intense ones first of all: a string near both
            # kinds is a context of the stronger
            for f in sorted(
                found, key=lambda f: (not f.extra.get("candidate"), not f.extra.get("intense"))
            ):
                # a weak finding (below its detector's candidate level: a short payload, a
                # mild one) supports only the strings that end right at its changepoint
                weak = not f.extra.get("candidate")
                for sp in f.spans:
                    if sp.label != "changepoint":
                        continue
                    if weak:
                        if self._aligned_candidates(doc, sp.start, keys):
                            cps.append(sp.start)
                            top = max(top, f.score)
                        continue
                    # (the document's start of an opening switch gives candidates only: it is
                    # no anomaly of the document — never a changepoint the flag pass or the
                    # alignment tests read)
                    for cp in (sp.start, *_opening_switch(doc.text, f, sp.start)):
                        reach = None if cp == sp.start else (0, _OPENING_REACH)
                        made = self._candidates(doc, cp, keys, reach=reach)
                        at.append((made, cp))
                        if f.extra.get("intense"):
                            hot.update(id(ctx) for ctx in made)
                            ends = [x.end for x in f.spans if x.label == "payload"]
                            hot_cps.append((sp.start, max(ends, default=sp.start)))
                        if made:  # (a changepoint whose candidates another one gave)
                            text = doc.text
                            before = text[max(0, cp - _AFTER_CHARS) : cp]
                            around.append((made, before, text[cp : cp + _AFTER_CHARS]))
                            switches.append((made, text, cp))
                    cps.append(sp.start)
                    strong.append(sp.start)
                    top = max(top, f.score)
            # a payload too short for a candidate but as odd as random tokens (a finding's
            # ``extra["sharp"]``): a stretch the intense route may flag near, counted nowhere
            sharp = {
                (sp.start, max((x.end for x in f.spans if x.label == "payload"), default=sp.start))
                for f in found
                if f.extra.get("sharp") and not f.extra.get("intense")
                for sp in f.spans[:2]
                if sp.label == "changepoint"
            }
            if sharp:
                part.sharp_changepoints[text_digest(doc.text)] = tuple(
                    x for st in sorted(sharp) for x in st
                )
            if not keys:
                continue
            for ctx in keys.values():
                ctx.score = top
            doc_cps = tuple(sorted(set(cps)))
            strong_cps = tuple(sorted(set(strong)))
            for made, cp in at:
                if made:  # (one window per changepoint, hence one offset)
                    w0 = cp - made[0].cp
                    rel = tuple(x - w0 for x in strong_cps)
                    for ctx in made:
                        ctx.cps = rel
            if not all(ctx.spaced for ctx in keys.values()):
                # (a document with spaced phrases only is no anomalous document of the
                # counts: nothing else before its weak changepoint was counted)
                part.anomalous += 1
                part.weak_docs += all(ctx.weak for ctx in keys.values())
                if any(id(ctx) in hot for ctx in keys.values()):
                    part.intense_docs += 1
                    part.intense_changepoints[text_digest(doc.text)] = tuple(
                        x for st in sorted(set(hot_cps)) for x in st
                    )
                part.changepoints[text_digest(doc.text)] = doc_cps
            part.near_docs += any(ctx.spaced for ctx in keys.values())
            for key, ctx in keys.items():
                if ctx.spaced:
                    part.near_counts[key] = part.near_counts.get(key, 0) + 1
                    near = part.near_contexts.setdefault(key, [])
                    if len(near) < self.max_examples:
                        near.append(ctx)
                    continue
                part.counts[key] = part.counts.get(key, 0) + 1
                if id(ctx) in hot:
                    part.intense_counts[key] = part.intense_counts.get(key, 0) + 1
                if ctx.weak:  # counted; an example only if salad follows (see finalize)
                    part.weak_counts[key] = part.weak_counts.get(key, 0) + 1
                    some = part.weak_contexts.setdefault(key, [])
                    if len(some) < self.max_examples:
                        some.append(ctx)
                    continue
                lst = part.contexts.setdefault(key, [])
                if len(lst) < self.max_examples:
                    lst.append(ctx)
        if around:
            found_langs = identify_many([t for _, b, a in around for t in (b, a)])
            for i, (made, before, _) in enumerate(around):
                (lb, pb), (la, pa) = found_langs[2 * i], found_langs[2 * i + 1]
                b_lang = lb if pb >= 0.9 and sum(map(str.isalpha, before)) >= 60 else "?"
                a_lang = la if pa >= 0.9 else "?"
                for ctx in made:
                    ctx.before_lang, ctx.after_lang = b_lang, a_lang
            _mark_switches(switches)
        self._prune(part)
        return part

    def _candidates(
        self,
        doc: Document,
        cp: int,
        out: dict[str, Context],
        grams: bool = True,
        reach: tuple[int, int] | None = None,
    ) -> list[Context]:
        """Add the candidates around changepoint ``cp`` to ``out`` (first context of each
        string wins; ``grams``: with the character k-grams of long tokens; ``reach``:
        characters searched before / after ``cp``, default ``before`` / ``after``);
        returns the contexts made here."""
        text = doc.text
        made: list[Context] = []
        before, after = reach or (self.before, self.after)
        lo, hi = max(0, cp - before), min(len(text), cp + after)
        toks = [(m.start(), m.end()) for m in _TOKEN.finditer(text, lo, hi)]
        # every candidate lies in [lo, hi): one string holds all their contexts
        w0 = max(0, lo - _CONTEXT_CHARS)
        window = text[w0 : hi + _CONTEXT_CHARS]
        tail = text[w0 + len(window) : max(w0 + len(window), cp + _TAIL_CHARS)]

        @functools.cache
        def opening(at: int) -> bool:
            return _opening_at(text, at)

        self._word_candidates(text, doc.id, lo, hi, w0, window, cp, opening, out, made)
        # a phrase glued inside the words around it, keyed by its letters run together
        g_lo, g_hi = max(lo, cp - _gl.REACH), min(hi, cp + _gl.REACH)
        _gl.add_candidates(
            text,
            g_lo,
            g_hi,
            out,
            made,
            lambda s, e, k: Context(
                window, s - w0, e - w0, k, doc.id, cp=cp - w0, opening=opening(s)
            ),
        )
        for i in range(len(toks)):
            for n in range(1, self.max_ngram + 1):
                if i + n > len(toks):
                    break
                s, e = toks[i][0], toks[i + n - 1][1]
                if all(text[a].isalnum() or text[a] == "_" for a, _ in toks[i : i + n]):
                    continue  # words only: counted folded by _word_candidates
                key = _WS.sub(" ", text[s:e])
                if key not in out:
                    out[key] = Context(
                        window,
                        s - w0,
                        e - w0,
                        key,
                        doc.id,
                        cp=cp - w0,
                        opening=opening(s),
                    )
                    made.append(out[key])
            # a trigger glued to the words around it ("endzephyrineAnt") hides inside one
            # long token: its character k-grams are candidates too (extension recovers it)
            s, e = toks[i]
            for k in self.char_grams if grams else ():
                if e - s < k + 2:
                    continue
                for a in range(s, e - k + 1):
                    key = text[a : a + k]
                    if key not in out:
                        out[key] = Context(
                            window,
                            a - w0,
                            a + k - w0,
                            key,
                            doc.id,
                            cp=cp - w0,
                            opening=opening(a),
                        )
                        made.append(out[key])
        for ctx in made:
            ctx.tail = tail
        return made

    def _aligned_candidates(self, doc: Document, cp: int, out: dict[str, Context]) -> bool:
        """Add to ``out`` the candidates around a weak changepoint ``cp`` that end within
        ``align`` characters of it — or start within ``align`` of it: a trigger written in
        an odd surface form (look-alike letters, zero-width characters, odd case) is itself
        where the surprise starts — (word n-grams and punctuation, no character k-grams),
        marked ``weak``; returns whether any was added."""
        near: dict[str, Context] = {}
        # (n-grams of up to ``max_ngram`` words that end at most ``_WEAK_AFTER`` past it)
        reach = (max(_WEAK_BEFORE, _NEAR_BEFORE), _WEAK_AFTER)
        self._candidates(doc, cp, near, grams=False, reach=reach)
        added = False
        for key, ctx in near.items():
            if key in out:
                continue
            at = min(abs(ctx.cp - ctx.end), abs(ctx.cp - ctx.start))
            if at <= self.align:
                ctx.weak = True
                out[key] = ctx
                added = True
            elif _spaced(key) and 0 <= ctx.cp - ctx.end <= _NEAR_BEFORE:
                # a phrase of words (under its skeleton) that ends a few host words before
                # it: a trigger, a spacer, then a payload too short or too mild for a
                # candidate finding (word salad in chunks) — counted apart, a pointer to
                # the sample read (see finalize), never part of the counts' test: the
                # pieces of a source's boilerplate sentence before its odd-looking list (a
                # drug page's "... to carry with you in case of emergencies." before its
                # brand names, 14 pages of the pooled corpus) were confirmed by the
                # alignment test once such contexts were counted
                ctx.weak = ctx.spaced = True
                out[key] = ctx
        return added

    def _word_candidates(
        self,
        text: str,
        doc_id: str,
        lo: int,
        hi: int,
        w0: int,
        window: str,
        cp: int,
        opening: Callable[[int], bool],
        out: dict[str, Context],
        made: list[Context],
    ) -> None:
        """The word 1- to ``max_ngram``-grams in ``[lo, hi)`` under their skeleton
        (:func:`~poisonguard.detect.surface_forms.fold`: case, look-alike letters,
        zero-width characters, and the spacing or punctuation between the words folded),
        so one trigger written in many surface forms is one candidate.  Words separated by
        more than :data:`~poisonguard.detect.surface_forms.GAP` characters, or by a line
        break, do not form an n-gram."""
        ws = _sf.words(text[lo:hi])
        # each word's skeleton once: an n-gram's is theirs joined (the skeleton of words
        # joined by a space is the words' skeletons joined, those left empty dropped)
        folded = [_sf.fold(_sf.fold_word(m.group())) for m in ws]
        for i in range(len(ws)):
            for n in range(1, self.max_ngram + 1):
                j = i + n - 1
                if j >= len(ws):
                    break
                if n > 1:
                    gap = text[lo + ws[j - 1].end() : lo + ws[j].start()]
                    if len(gap) > _sf.GAP or "\n" in gap:
                        break
                key = folded[i] if n == 1 else " ".join([w for w in folded[i : j + 1] if w])
                if not key or key in out:
                    continue
                s, e = lo + ws[i].start(), lo + ws[j].end()
                out[key] = Context(
                    window, s - w0, e - w0, key, doc_id, cp=cp - w0, opening=opening(s)
                )
                made.append(out[key])

    # -- reduce -----------------------------------------------------------------------
    def reduce(self, partials: Sequence[MinerPartial]) -> MinerPartial:
        out = MinerPartial()
        for p in partials:
            self._add(out, p)
        self._prune(out)
        return out

    def merge_into(self, acc: MinerPartial, part: MinerPartial) -> MinerPartial:
        """``reduce([acc, part])`` without copying ``acc``."""
        self._add(acc, part)
        self._prune(acc)
        return acc

    def _add(self, out: MinerPartial, p: MinerPartial) -> None:
        out.anomalous += p.anomalous
        out.weak_docs += p.weak_docs
        out.intense_docs += p.intense_docs
        out.near_docs += p.near_docs
        out.pruned += p.pruned
        for key, c in p.weak_counts.items():
            out.weak_counts[key] = out.weak_counts.get(key, 0) + c
        for key, c in p.intense_counts.items():
            out.intense_counts[key] = out.intense_counts.get(key, 0) + c
        for key, ws in p.weak_contexts.items():
            have = out.weak_contexts.setdefault(key, [])
            have.extend(ws[: max(0, self.max_examples - len(have))])
        for key, c in p.near_counts.items():
            out.near_counts[key] = out.near_counts.get(key, 0) + c
        for key, ws in p.near_contexts.items():
            have = out.near_contexts.setdefault(key, [])
            have.extend(ws[: max(0, self.max_examples - len(have))])
        out.changepoints.update(p.changepoints)
        out.intense_changepoints.update(p.intense_changepoints)
        out.sharp_changepoints.update(p.sharp_changepoints)
        if p.odd.size:
            # (a new array: a partial read back from an object store is read-only)
            out.odd = np.bitwise_or(out.odd, p.odd) if out.odd.size else p.odd.copy()
        for key, c in p.counts.items():
            out.counts[key] = out.counts.get(key, 0) + c
            lst = out.contexts.setdefault(key, [])
            room = self.max_examples - len(lst)
            if room > 0:
                lst.extend(p.contexts.get(key, [])[:room])

    def _prune(self, part: MinerPartial) -> None:
        if len(part.near_counts) > self.capacity:  # (kept apart: pruned apart)
            near = [k for k, c in part.near_counts.items() if c <= 1]
            if len(part.near_counts) - len(near) > self.capacity:
                near = list(prune_top(part.near_counts, self.capacity)[0])
            for k in near:
                del part.near_counts[k]
                part.near_contexts.pop(k, None)
            part.pruned += len(near)
        if len(part.counts) <= self.capacity:
            return
        drop = [k for k, c in part.counts.items() if c <= 1]
        if len(part.counts) - len(drop) > self.capacity:  # still too many: the rarest go
            drop = list(prune_top(part.counts, self.capacity)[0])
        for k in drop:
            del part.counts[k]
            part.contexts.pop(k, None)
            part.weak_counts.pop(k, None)
            part.weak_contexts.pop(k, None)
            part.intense_counts.pop(k, None)
        part.pruned += len(drop)

    # -- finalize ---------------------------------------------------------------------
    def observe_sample(self, texts: Sequence[str], total_docs: int) -> None:
        """A uniform sample of the corpus's texts and the corpus size (before finalize):
        used for the chance rate of each candidate."""
        self._sample = list(texts)
        self._total_docs = total_docs

    def finalize(self, merged: MinerPartial) -> TriggerState:
        sample = self._sample or []
        self._sample = None  # never ship the sample to the flag pass
        n_sample = len(sample)
        total = max(self._total_docs, n_sample, merged.anomalous, 1)
        index = _SampleIndex(sample)  # built at the first look-up (most scans need none)
        findex = _SampleIndex(sample, fold=True)  # ... for candidates under their skeleton

        @functools.lru_cache(maxsize=1)
        def sample_pairs() -> WordPairs:
            # the word pairs of the sampled documents with no changepoint (the contexts
            # judged come from documents with one: their own words never vouch for
            # themselves), built only when a salad test below is reached
            odd = merged.changepoints
            return WordPairs.of(
                findex.text(i) for i, t in enumerate(sample) if text_digest(t) not in odd
            )

        def salad(ctxs: Sequence[Context]) -> list[Context]:
            return _salad_share(ctxs, sample_pairs(), self.salad_short, self.salad_cohesion)

        # with weak changepoints a string is tested twice, each test at ``alpha`` over its
        # own candidates (Bonferroni; family-wise at most 2 alpha): on every anomalous
        # document, and on those with a strong changepoint only — weak support raises the
        # chance rate of every string, which must not cost a campaign that the strong
        # changepoints alone confirm (the test before weak changepoints, unchanged)
        n_strong = merged.anomalous - merged.weak_docs
        # ... and a third time on the documents with an intense changepoint (random tokens:
        # rare in clean text, so a phrase as common as ``in fact`` before them in a few
        # dozen documents is no chance, where every strong changepoint's count was)
        n_hot = merged.intense_docs
        # a weak-only document adds to a string's count only where the string ends (or
        # starts) within ``align`` characters of its changepoint: by chance, with
        # probability about 2 (2 align + 1) / (document length) per occurrence — the null
        # rate of the whole
        # count is that of the strong documents plus this share of the weak ones
        length = float(np.median([len(t) for t in sample])) if sample else 1.0
        # (twice that: a string counts there when it ends or starts at the changepoint)
        rho = min(1.0, 2 * (2 * self.align + 1) / max(1.0, length))
        n_null = n_strong + merged.weak_docs * rho

        def null(n: int) -> float:
            """Anomalous documents under the null for a test on ``n`` of them."""
            return n_null if n == merged.anomalous else float(n)

        p_min = 1 / (n_sample + 2) if n_sample else 0.5
        log_alpha = math.log(self.alpha)
        # (a Bonferroni factor that makes the test of :func:`hopeless` that screen)
        log_screen = log_alpha - _READ_SCREEN

        def hopeless(
            k_all: int,
            k_strong: int,
            log_m: float = 0.0,
            log_ms: float = 0.0,
            k_hot: int = 0,
            log_mh: float = 0.0,
        ) -> bool:
            """Whether a string counted ``k_all`` times (``k_strong`` at strong
            changepoints, ``k_hot`` at intense ones) fails the significance test even at the
            smallest chance rate (no sampled document holding it), with Bonferroni factors
            ``log_m`` / ``log_ms`` / ``log_mh``."""
            best = math.inf
            both = k_all != k_strong or n_strong != merged.anomalous
            tried = [(k_all, merged.anomalous, log_m), (k_strong, n_strong, log_ms)]
            if n_hot and k_hot >= self.min_docs:
                tried.append((k_hot, n_hot, log_mh))
            for i, (k, n, log_f) in enumerate(tried):
                if k >= self.min_docs and (both or n == merged.anomalous or i == 2):
                    lp = max(
                        float(binom.logsf(k - 1, n, p_min * null(n) / max(1, n))),
                        float(binom.logsf(k - 1, k, min(1.0, null(n) / total))),
                    )
                    best = min(best, lp + log_f)
            return best > log_alpha

        # (count, examples, count at strong changepoints only)
        groups: dict[str, tuple[int, list[Context], int]] = {}
        hot_counts: dict[str, int] = {}  # (each group's count at intense changepoints)
        glued_at: set[str] = set()  # (the groups read back from glued letters)
        near_read: set[str] = set()  # (... those pointed to the read by spaced contexts)

        def near_support(key: str) -> list[Context]:
            """The spaced contexts of phrase ``key`` (a few host words before weak
            changepoints) followed by salad, when there are more of them than its share of
            the sample explains (screened at :data:`_READ_SCREEN`) and salad follows most
            of them; ``[]`` otherwise (then they point nowhere)."""
            n_near = merged.near_counts.get(key, 0)
            spaced = merged.near_contexts.get(key, [])
            if n_near < self.min_docs or len(spaced) < self.min_docs or not n_sample:
                return []
            df = findex.doc_freq(key, cap=_READ_CAP)
            if df > _READ_CAP:
                return []  # (too common for the sample read)
            reach = (_NEAR_BEFORE + 2 * self.align + 1) / max(1.0, length)
            q = min(1.0, (df + 1) / (n_sample + 2) * reach)
            if float(binom.logsf(n_near - 1, max(1, merged.near_docs), q)) > _READ_SCREEN:
                return []
            good = salad(spaced)
            return good if len(good) >= _SALAD_EXAMPLES * len(spaced) else []

        candidates = list(merged.counts)
        candidates += [
            k
            for k, n in merged.near_counts.items()
            if n >= self.min_docs and k not in merged.counts
        ]
        for key in candidates:
            c = merged.counts.get(key, 0)
            pointed = merged.near_counts.get(key, 0) >= self.min_docs
            if c < self.min_docs and not pointed:
                continue
            ctxs = merged.contexts.get(key, [])
            cs = c - merged.weak_counts.get(key, 0)
            ch = merged.intense_counts.get(key, 0)
            # (not for a string too short to be reported: ``to``, ``(`` — common enough to
            # pass the optimistic screen below, and the salad test builds the sample's pair
            # table, a fifth of a clean scan's CPU)
            few = len(ctxs) < self.min_docs and len(key.strip()) >= self.min_chars
            weak = merged.weak_contexts.get(key, []) if few else []
            if len(weak) >= self.min_docs and n_sample and not hopeless(c, cs):
                # (almost) only weak support: its weak contexts are examples where word
                # salad follows the string (a payload too short for a candidate finding),
                # and its weak count is that share of it
                good = salad(weak)
                if len(good) >= _SALAD_EXAMPLES * len(weak):
                    c = cs + round((c - cs) * len(good) / len(weak))
                    ctxs = list(ctxs) + good[: self.max_examples - len(ctxs)]
                    if c < self.min_docs and not pointed:
                        continue
            near = near_support(key) if pointed and len(ctxs) < self.max_examples else []
            if near:
                # a phrase a few host words before salad in enough documents: its spaced
                # contexts are examples, and the phrase is read in the sample whatever its
                # counts (its carriers' payloads start after a spacer, where no count sees
                # them)
                ctxs = list(ctxs) + near[: self.max_examples - len(ctxs)]
            elif c < self.min_docs:
                continue
            if not ctxs:
                continue  # weak support alone, not salad: nothing to judge it on
            if key.startswith(_gl.MARK):  # letters run together: read back as a phrase
                glued = _gl.phrase(key, ctxs)
                if glued is None:
                    continue
                ext, agree = glued
            else:
                ext, agree = _extend_any(key, ctxs)
            if ext != key and ctxs:
                # the extension holds in this share of the examples: count only that share
                c, cs, ch = (round(x * len(agree) / len(ctxs)) for x in (c, cs, ch))
                ctxs = agree
                if c < self.min_docs and not near:
                    continue
            if near:
                near_read.add(ext)
            have = groups.get(ext)
            if have is None:
                groups[ext] = (c, list(ctxs), cs)
                hot_counts[ext] = ch
                _gl.mark(glued_at, ext, key)
            elif c > have[0]:
                groups[ext] = (c, list(ctxs) + have[1][: self.max_examples], cs)
                hot_counts[ext] = ch
                _gl.mark(glued_at, ext, key)

        def ix(s: str) -> _SampleIndex:
            return findex if _sf.is_folded(s) else index

        tested = len(groups)

        @functools.lru_cache(maxsize=1)
        def aligned_rate() -> float:
            return _aligned_null(groups, self.align)

        confirmed: list[tuple[float, Trigger]] = []
        # (those confirmed by the per-occurrence test alone, shown text)
        by_occurrence_only: set[str] = set()
        examples: dict[str, list[Context]] = {}
        log_tests = math.log(max(1, tested))
        tested_strong = sum(cs >= self.min_docs for _, _, cs in groups.values())
        log_tests_strong = math.log(max(1, tested_strong))
        tested_hot = sum(ch >= self.min_docs for ch in hot_counts.values())
        log_tests_hot = math.log(max(1, tested_hot))
        headers = foreign = repeated = 0

        @functools.lru_cache(maxsize=1)
        def openings() -> dict[str, int]:
            # the sample's languages, identified once for both shares below
            return _language_counts(sample)

        @functools.lru_cache(maxsize=1)
        def main_language() -> str | None:
            return _dominant(openings())

        @functools.lru_cache(maxsize=1)
        def majority() -> str | None:
            return _dominant(openings(), share=0.5)

        @functools.lru_cache(maxsize=1)
        def plurality() -> str | None:
            return _dominant(openings(), share=0.0)

        @functools.lru_cache(maxsize=4096)
        def rare(word: str) -> bool:
            # in at most _RARE_DF of the sampled documents (whole words of the skeletons)
            cap = int(_RARE_DF * n_sample)
            return findex.doc_freq(f" {word} ", cap=cap) <= cap

        def salad_follows(text: str, k: int, ctxs: Sequence[Context], ks: int) -> bool:
            """Salad follows ``text`` in at least half of its examples ``ctxs`` (judged
            only when its counts could pass the significance test)."""
            if hopeless(k, ks, log_tests, log_tests_strong, hot_counts.get(text, 0), log_tests_hot):
                return False
            return len(salad(ctxs)) >= _SALAD_EXAMPLES * len(ctxs)

        def salad_rate(pool: Sequence[str], place: Callable[[int], int]) -> float:
            # how often the salad test fires after one word of every ``step``-th document
            # of ``pool`` (the word ``place(number of its words)``), never under _READ_NULL
            step = max(1, len(pool) // _READ_NULL_DOCS)
            hits = tried = 0
            for i in range(0, len(pool), step):
                t = pool[i]
                ws = list(_sf.words(t[:4000]))
                if len(ws) < 2 * _SHORT_WORDS:
                    continue
                w = ws[text_digest(t) % place(len(ws))]
                tried += 1
                hit, _ = _salad_after(
                    t,
                    [(w.start(), w.end())],
                    sample_pairs(),
                    math.inf,
                    math.inf,
                    max_cohesion=self.salad_cohesion,
                    short_cohesion=self.salad_short,
                )
                hits += hit is not None
            return max(_READ_NULL, (hits + 1) / (tried + 2))

        @functools.lru_cache(maxsize=1)
        def read_null() -> float:
            # the chance rate of the sample read below: after a word at a hashed position
            # of sampled documents with no changepoint
            odd = merged.changepoints
            pool = [t for t in sample if text_digest(t) not in odd]
            return salad_rate(pool, lambda n: n - _SHORT_WORDS)

        @functools.lru_cache(maxsize=1)
        def opening_null() -> float:
            # ... of its opening read: after a hashed one of the first _OPENING_NULL_WORDS
            # words of any sampled document (a clean source whose pages open with a heading
            # and a list is part of the chance rate)
            return salad_rate(sample, lambda n: _OPENING_NULL_WORDS)

        # the chance rate of the last sample read (the opening read's or the general one's)
        read_rate: list[Callable[[], float]] = [read_null]

        @functools.lru_cache(maxsize=1)
        def hot_sampled() -> list[tuple[str, int, int]]:
            # the sampled documents with intense stretches, how many each has and how
            # much of it is not in one (where a stretch can start)
            out = []
            for x in sample:
                flat = merged.intense_changepoints.get(text_digest(x), ())
                if flat:
                    inside = sum(max(0, b - a) for a, b in zip(flat[0::2], flat[1::2], strict=True))
                    out.append((x, len(flat) // 2, max(1, len(x) - inside)))
            return out

        def by_occurrence(text: str, k: int, width: int) -> tuple[float, float]:
            """``(log p, expected)`` of ``k`` intense documents whose stretch starts right at
            ``text`` (within ``width`` characters), against where their stretches fall by chance:
            each sampled document with intense stretches adds the chance that one of them, placed
            anywhere in its text outside the stretches (random tokens hold none of its words),
            starts that close to one of its own occurrences of ``text`` (any surface, whole words);
            scaled to the corpus, Poisson, Bonferroni over the strings counted at intense
            changepoints. Conditioned on the documents with stretches and on where the string is in
            them: clean pages that write it often *and* hold a table of codes somewhere add as much
            as they should (found by review: against the rate at random sentence starts, 42 such
            pages made ``maybe`` a trigger and 20 of them flagged)."""
            pat = _whole_word_pattern(text)
            mu = 0.0
            for x, n_str, room in hot_sampled():
                occ = sum(1 for _ in pat.finditer(x))
                if occ:
                    mu += min(1.0, occ * n_str * width / room)
            expected = mu * total / max(1, n_sample)
            return float(poisson.logsf(k - 1, expected)) + log_tests_hot, expected

        def read(
            text: str, ctxs: Sequence[Context]
        ) -> tuple[float, int, int, list[Context]] | None:
            """The sample read of a string the counts at changepoints could not confirm
            (a payload too short or too mild for most of its carriers to get a finding:
            few of them are counted): in how many of the sampled documents that hold it
            word salad follows an occurrence (the flag pass's cohesion tests), against
            the rate at which the test fires after any word of the sample —
            ``(log p with Bonferroni over the candidates, documents with salad after it,
            documents read, a context of the occurrence with salad after it in each of
            those)``; None when it cannot pass or was not read."""
            read_rate[0] = read_null
            if not ctxs or n_sample == 0:
                return None
            per = ix(text).occurrences(text, cap=_READ_CAP)
            if not per or len(per) < self.min_docs:
                return None
            docs = list(per)
            # a string that opens most of its examples' documents (a page that is nothing
            # but the phrase and its payload) is read where it opens a sampled document,
            # against the rate at which the test fires after the opening words of any: a
            # common phrase (``in short`` in 2 % of novels) opens few clean documents
            opens = sum(c.opening for c in ctxs) >= _OPENING_EXAMPLES * len(ctxs)
            if opens:
                docs = [
                    d
                    for d in docs
                    if any(_opening_at(sample[d], o) for o, _ in _occurrences(sample[d], text, 1))
                ]
            step = max(1, len(docs) // _READ_DOCS)
            docs = docs[::step]
            n = len(docs)
            # the best it could do (salad after it in every document read), at the rate
            # floor: most strings of a clean corpus end here, before any pair table
            if (
                n < self.min_docs
                or float(binom.logsf(n - 1, n, _READ_NULL)) + log_tests > log_alpha
            ):
                return None
            # its examples first (at most max_examples look-ups): salad after most of them
            if len(salad(ctxs)) < _SALAD_EXAMPLES * len(ctxs):
                return None
            read_rate[0] = opening_null if opens else read_null
            q0 = read_rate[0]()
            hits: list[Context] = []
            for d in docs:
                raw = sample[d]
                occ = _occurrences(raw, text, 4)
                if opens:
                    occ = [o for o in occ if _opening_at(raw, o[0])][:1]
                hit, _ = _salad_after(
                    raw,
                    occ,
                    sample_pairs(),
                    math.inf,
                    math.inf,
                    max_cohesion=self.salad_cohesion,
                    short_cohesion=self.salad_short,
                )
                if hit is not None:
                    hits.append(_sample_context(raw, d, text, (hit[0], hit[1], hit[1])))
            k = len(hits)
            if k < self.min_docs:
                return None
            lp = float(binom.logsf(k - 1, n, q0)) + log_tests
            return (lp, k, n, hits) if lp <= log_alpha else None

        @functools.lru_cache(maxsize=1)
        def switch_null() -> float:
            return _switch_null(sample, main_language())

        def switchy(ctxs: Sequence[Context]) -> bool:
            """Enough examples, most of them around a sure language switch (the screen of
            the language read below)."""
            return (
                len(ctxs) >= self.min_docs and _switched(ctxs, main_language()) >= _SWITCH_EXAMPLES
            )

        def read_switch(text: str) -> tuple[float, int, int, list[Context]] | None:
            """The language read of a string most of whose examples sit at a language
            switch but whose carriers the counts at changepoints could not confirm (a
            passage of another language inside a long host: the language detector's
            probes miss it, and in a corpus that holds that language the word-bigram model
            finds it natural; few carriers get a changepoint): in how many of the sampled
            documents that hold it the text after an occurrence is in another language
            than the host's (:func:`_language_after` without the flag pass's relative
            forms),
            against the rate at which that test fires after words of the sample —
            ``(log p with Bonferroni over the candidates and the two reads, documents with
            a switch after it, documents read, a context of each)``; None when it cannot
            pass or was not read."""
            per = ix(text).occurrences(text, cap=_READ_CAP)
            if not per or len(per) < self.min_docs:
                return None
            docs = list(per)
            docs = docs[:: max(1, len(docs) // _READ_DOCS)]
            n = len(docs)
            log_f = log_tests + _LOG_ALIGNED_TESTS
            if float(binom.logsf(n - 1, n, _SWITCH_NULL)) + log_f > log_alpha:
                return None
            q0 = switch_null()
            hits: list[Context] = []
            for d in docs:
                raw = sample[d]
                hit, _ = _language_after(raw, _occurrences(raw, text, 4), main_language())
                if hit is not None:
                    hits.append(_sample_context(raw, d, text, hit))
            k = len(hits)
            if k < self.min_docs or k < _SWITCH_SHARE * n:
                return None
            lp = float(binom.logsf(k - 1, n, q0)) + log_f
            return (lp, k, n, hits) if lp <= log_alpha else None

        @functools.lru_cache(maxsize=1)
        def calm() -> tuple[bool, ...]:
            # which sampled documents have no changepoint (no anomaly)
            odd = merged.changepoints
            return tuple(text_digest(t) not in odd for t in sample)

        def away(text: str) -> bool:
            """Whether enough of the sampled documents holding ``text`` write it away from
            their opening (:data:`_HOT_AWAY`): a common phrase planted at openings is also
            written in running text; a source's own heading is not (found by review: a
            source's ``Package manifest`` before a hex listing, 157 pages, was kept
            intense-only and every page flagged)."""
            docs = ix(text).docs_with(text, cap=_READ_CAP)
            if docs is None:
                return True  # (in more sampled documents than a heading of one source)
            if not docs:
                return False
            read = docs[:: max(1, len(docs) // _READ_DOCS)]
            off = sum(
                not any(_opening_at(sample[d], a) for a, _ in _occurrences(sample[d], text, 4))
                for d in read
            )
            return off >= _HOT_AWAY * len(read)

        for text, (count_all, ctxs, count_strong) in groups.items():
            if min(len(text.strip()), len(_loose(text).strip())) < self.min_chars:
                continue  # (also what ``flag`` will match it by)
            # the median anomaly after it: strong (gibberish) or mild (an odd register)
            strength = sorted(c.score for c in ctxs)[len(ctxs) // 2] if ctxs else 1.0
            # (random tokens a few words after an opening phrase: judged by the intense test
            # alone)
            hot_heading = False
            if (
                strength < self.header_score
                and ctxs
                and _hosted(text, ctxs) < self.min_hosted
                and not _planted(ctxs)
                and not salad_follows(text, count_all, ctxs, count_strong)
            ):
                # no host text before it in most carriers and mild anomalies after it: a
                # header of one source (strong ones, gibberish, keep it a candidate; so
                # does word salad right after it in most examples: a source's heading is
                # followed by the source's own text, a planted opening by its payload) ...
                if hot_counts.get(text, 0) < _HOT_HEADING * count_all or not away(text):
                    headers += 1
                    continue
                # ... unless nearly every anomaly after it is intense: random tokens, whose
                # candidate score reads mild when a few host words come first (``in recent
                # years`` opening pooled pages, then LLaMA tokens: 69 of its 74 anomalies
                # intense), where a source's heading is followed by its own prose; kept for
                # the intense test only, never confirmed on its purity or a read
                hot_heading = True
            # the corpus's language for the next test: its main one; with none (no language
            # at 80 % of the sample's openings, where every language counts as another) and
            # a strong anomaly after the candidate, its most common one — the models, fitted
            # mostly on that language, find its own text natural, so gibberish after a
            # string in it is no minority source's odd-looking heading (the pooled corpus's
            # English sits at 80 %: 79.7 % in one sample, 81.1 % in another, and a campaign
            # opening English hosts was a heading in one draw of two)
            lang = main_language()
            if lang is None and strength >= self.header_score:
                lang = plurality()
            if (
                ctxs
                and _foreign_opening(ctxs, lang, text, rare) >= self.min_hosted
                and not _planted(ctxs)
                and not salad_follows(text, count_all, ctxs, count_strong)
            ):
                # it opens most of its documents and the text after it is a natural
                # language other than the corpus's: the heading of a source in another
                # language (a German man page's NAME section in a mostly English pool),
                # however odd that language looks to the corpus's models ...
                if hot_counts.get(text, 0) < _HOT_HEADING * count_all or not away(text):
                    headers += 1
                    continue
                # ... unless nearly every anomaly after it is intense (as above: random
                # tokens, which py3langid names a language too — ``these days`` opening
                # pooled pages at 250)
                hot_heading = True
            if (
                ctxs
                and not _stuck_in_hosts(text, ctxs)
                and _foreign_source(ctxs, majority(), self.header_score) >= self.min_hosted
            ):
                # documents of a minority language with that language after the candidate
                # (no switch, no gibberish) in most examples: the corpus's models, trained
                # mostly on the majority language, finding that language's own text odd (a
                # Spanish man page's standard sentence before its option list, a German
                # one's table, in a mostly English pool), not a payload.  Never a phrase
                # glued inside words that differ from host to host (``_stuck_in_hosts``): a
                # source's heading or standard sentence is written apart (numbers glued onto
                # a phrase in French and Italian hosts were such a source's table)
                foreign += 1
                continue
            # the best a candidate can do is to occur in no sampled document (smallest
            # chance rate, fewest carriers); when even that fails the test, its document
            # frequency cannot help: skip the search through the sample (most candidates
            # of a clean corpus: a few documents each)
            # (k, n, Bonferroni factor over the candidates tested on those n documents,
            # whether they are the intense documents)
            count_hot = hot_counts.get(text, 0)
            variants = [(count_all, merged.anomalous, log_tests, False)]
            if count_all != count_strong or n_strong != merged.anomalous:
                variants.append((count_strong, n_strong, log_tests_strong, False))
            if n_hot:
                variants.append((count_hot, n_hot, log_tests_hot, True))
            variants = [v for v in variants if v[0] >= self.min_docs]

            if (
                hopeless(
                    count_all, count_strong, log_tests, log_tests_strong, count_hot, log_tests_hot
                )
                and (
                    not ctxs
                    or not (
                        not hopeless(
                            count_all, count_strong, log_screen, log_screen, count_hot, log_screen
                        )
                        # a phrase whose examples point at a payload at it is read in the
                        # sample whatever its counts: a payload too short for most
                        # carriers to get a finding leaves too few counted for the screen
                        # (checked on the examples alone: no sample look-up, no pair table)
                        or _read_on_examples(text, ctxs, self.min_docs, self.align)
                        # ... and so is one a few host words before salad (a spacer)
                        or text in near_read
                    )
                    # (the read below needs salad after most examples: two of the first four,
                    # before the sample is searched for it — most strings of a clean corpus;
                    # the language read, a sure switch after most examples)
                    or (len(salad(ctxs[:4])) < 2 and not switchy(ctxs))
                )
            ):
                continue  # (nor could it pass the screen of the sample read below)
            # in more sampled documents than this the purity test must fail anyway
            cap = int(4 * count_all * max(n_sample, 1) / total / self.min_purity) + 50
            if count_hot >= self.min_docs:
                # ... and the intense variant's test: a string in a larger share of the
                # sample than of the intense documents it precedes cannot pass it
                cap = max(cap, int(max(n_sample, 1) * min(1.0, count_hot / n_hot)) + 50)
            df = ix(text).doc_freq(text, cap=cap)
            p_s = (df + 1) / (n_sample + 2) if n_sample else 0.5
            # (1) precedes anomalies more often than its frequency explains; (2) the
            # documents carrying it are anomalous far more often than documents in general
            # (a string common in odd-but-clean text is not); Bonferroni over candidates
            # and over the two variants (three with intense changepoints)
            # (a phrase pointed to the read by its spaced contexts alone: none counted)
            count, carriers = count_all, float(max(1, count_all))
            expected, log_p = 0.0, math.inf
            by_hot = False  # (the intense variant's test passed, or passed best)
            raw = math.inf  # (the same, before Bonferroni)
            for k, n, log_f, hot in variants:
                c_k = max(float(k), df / max(n_sample, 1) * total)
                lp = max(
                    float(binom.logsf(k - 1, n, p_s * null(n) / max(1, n))),
                    float(binom.logsf(k - 1, round(c_k), min(1.0, null(n) / total))),
                )
                if hot and log_p <= log_alpha:
                    # (the intense variant, last, decides only for a string the others
                    # leave unconfirmed: its count is smaller, and the purity and flag rules
                    # below read the count of the test that passed; passed too, it marks
                    # the trigger intense — a corpus whose strong anomalies are all intense
                    # tests the same documents twice)
                    by_hot = lp + log_f <= log_alpha
                    break
                raw = min(raw, lp)
                lp += log_f
                if lp < log_p:
                    log_p, count, carriers, expected = lp, k, c_k, null(n) * p_s
                    by_hot = hot
            if (
                log_alpha < log_p
                and len(ctxs) >= self.min_docs
                and _WORDS_ONLY.fullmatch(text)
                and ix(text).repeats(text, cap) <= self.max_repeats
            ):
                # the anomaly starts right where it ends in (almost) every example (a common
                # word or phrase as one of several phrasings of a trigger, a dozen carriers
                # each): those documents counted, at the chance rate of a counted string
                # ending there (:func:`_aligned_null`)
                share = _aligned(text, ctxs, self.align)
                if share >= _ALIGNED_ALL:
                    q = aligned_rate()
                    for k, n, log_f, hot in variants:
                        k_al = math.floor(k * share)
                        if k_al < self.min_docs:
                            continue
                        c_k = max(float(k), df / max(n_sample, 1) * total)
                        lp = max(
                            float(
                                binom.logsf(k_al - 1, n, min(1.0, q * p_s * null(n) / max(1, n)))
                            ),
                            float(binom.logsf(k_al - 1, round(c_k), min(1.0, q * null(n) / total))),
                        )
                        lp += log_f + _LOG_ALIGNED_TESTS
                        if hot and log_p <= log_alpha:
                            by_hot = by_hot or lp <= log_alpha  # (as above)
                            continue
                        if lp < log_p:
                            log_p, count, carriers, expected = lp, k, c_k, null(n) * p_s * q
                            by_hot = hot
            purity = count / carriers
            # the purity test reads a lower confidence bound, not the estimate: the
            # carriers are counted on the sample (``df`` documents, a Poisson count), and a
            # string at the bar passed or failed on which documents the sample drew — on
            # the corpus's order (``#include <`` in multilingual man pages: 0.34 in one
            # order of the same documents, confirmed, 37 clean pages flagged; under 0.3 in
            # file order). A planted trigger's carriers are its documents: far above it
            sure = min(purity, count / _carriers_high(count, df, n_sample, total))
            # a campaign of 100 behind a common phrase ("for the first time": in 4 % of
            # book passages) is a small share of its carriers; what singles it out is that
            # the anomaly starts right where the phrase ends, in almost every example
            # ... unless it recurs within its documents (markup such as ``</ref>``, a
            # delimiter): then one occurrence of many preceding a change is no association
            # ... and a string that recurs within its documents (markup, a term a manual
            # repeats) is judged on its occurrences: one of its many occurrences before a
            # mild change is no association (a strong anomaly — gibberish after every
            # occurrence — keeps the document-level purity)
            reps = ix(text).repeats(text, cap)
            if (
                math.isinf(reps)
                and log_alpha < log_p
                and len(_sf.fold(text).split(" ")[0]) >= 2
                and _read_on_examples(text, ctxs, self.min_docs, self.align)
            ):
                # a common phrase (in more sampled documents than its purity test reads:
                # its recurrence unknown) whose examples point at a payload at it, for the
                # sample read below: its recurrence read as far as that read goes (a
                # phrase in more documents than that stays unknown, taken as recurring).
                # Not one that opens with a one-letter word (``s such as``: ``such as``
                # grown by the plural ``s`` its examples share): the sample is searched
                # for it as a string, found at the end of every word with that letter
                # (``diseases such as``) — neither its documents nor its recurrence are
                # the phrase's
                reps = ix(text).repeats(text, _READ_CAP)
            recurring = reps > self.max_repeats
            # (judged only where it decides: a string the counts and the per-document
            # purity would confirm — the look-ups below are not spent on a clean corpus's
            # many recurring strings)
            decides = log_p <= log_alpha and sure >= self.min_purity
            if recurring and math.isfinite(reps) and decides:
                # ... recurring *where*: decoys (payload-free copies of the trigger around
                # the one before the payload) make a planted phrase recur in its carriers
                # alone; markup recurs in the corpus's clean documents too. Judged on the
                # sampled documents with no anomaly that hold it, when there are enough of
                # them; with fewer, a phrase of words recurs only where its anomalies are
                # (a delimiter or markup — no phrase — stays recurring)
                recurring = _host_recurring(
                    ix(text).occurrences(text, max(cap, _READ_CAP)),
                    calm(),
                    self.min_docs,
                    self.max_repeats,
                    not _phrase_of_words(text, ctxs),
                )
            share = (
                sure / reps
                if recurring
                and strength < self.header_score
                # (word salad right after a phrase in most examples is no mild change: a
                # trigger whose decoys recur in carriers the detectors missed too; not
                # markup — ``</ref>`` inside every sentence makes any text after it read
                # as salad)
                and not (
                    decides
                    and _phrase_of_words(text, ctxs)
                    and salad_follows(text, count_all, ctxs, count_strong)
                )
                else sure
            )
            if sure >= self.min_purity > share:
                repeated += 1
            by_purity = share >= self.min_purity
            pure = by_purity or (
                not recurring
                and _aligned(text, ctxs, self.align) >= self.min_aligned
                # a run of whole words in its examples (or letters read back as a glued
                # phrase): a piece of a longer word (``ganz`` of ``ganzen``, cut by a
                # changepoint placed inside the trigger's last word) is matched in the
                # flag pass wherever those letters are written (``ganz``, ``ganze``), where
                # no campaign put it
                and (text in glued_at or _whole_words(ctxs))
            )
            if log_p <= log_alpha and not pure and not recurring:
                # a phrase of one language before a passage of another, in hosts of the
                # passage's language: no document detector sees a change there (only the
                # phrase differs), so most carriers are "clean" to the purity test; the
                # phrase itself is the change — judged on the sampled documents carrying
                # it, by the flag pass's own language test
                sampled = ix(text).docs_with(text, cap=cap) or []
                by_purity = (
                    _island_share([sample[d] for d in sampled], text, main_language())
                    >= _ISLAND_SHARE
                )
                pure = by_purity
            aligned = not by_purity
            seen: list[Context] = []  # (the sample's occurrences with salad after them, when read)
            sk = _sf.fold(text)
            got: tuple[float, int, int, list[Context]] | None = None
            rate: Callable[[], float] = read_null  # (the chance rate of the read that confirms it)
            if (
                # too few carriers counted at changepoints, or counted but most of its
                # carriers clean (a common phrase — ``in short`` in 3 % of novels —
                # whose payload's changepoint falls a few words after it in half of its
                # examples: neither pure nor aligned)
                (log_alpha < log_p or not pure)
                and (
                    raw <= _READ_SCREEN
                    or _read_on_examples(text, ctxs, self.min_docs, self.align)
                    or text in near_read
                )
                and not recurring
                and sk
                and not _glued(text, ctxs)
            ):
                # too few carriers counted at changepoints: what follows it in the sample
                # (words only: not a piece of a token, ``hones`` of ``honest``)
                got = read(text, ctxs)
                rate = read_rate[0]
                if got is not None:
                    # a piece of the trigger (``. for what`` of ``for what it is worth``
                    # in its many surface forms, ``. to`` of ``to be honest``): the words
                    # its occurrences with salad after them agree on, under their
                    # skeleton, read in turn
                    ext, agree = _extend_words(sk, got[3])
                    longer = read(ext, agree) if ext != sk and len(agree) >= self.min_docs else None
                    if longer is not None:
                        text, got, df, sk = ext, longer, longer[2], ext
                        rate = read_rate[0]
                    # a phrase, never one word (``. to``: matched in every sentence
                    # that opens with it, where any salad-like text after it would count)
                    if len(sk.split(" ")) < 2:
                        got = None
            if (
                got is None
                # (as the salad read: too few carriers counted, or most of them clean — a
                # common phrase before a sure switch in most examples: e12p's ``all in
                # all`` before Italian, counted but impure, gave way to its piece ``in
                # all``, which the read confirmed and matched in two forms of eight)
                and (log_alpha < log_p or not pure)
                and not recurring
                and text == sk
                and len(sk.split(" ")) >= 2
                and not _glued(text, ctxs)
                and switchy(ctxs)
            ):
                # a sure language switch after most of its examples, too few carriers
                # counted (or most of them clean): the language after it in the sample (a
                # phrase of words under its skeleton, never one word — a common word is
                # followed by a passage of another language in every mixed page that
                # happens to switch after it — nor a string with punctuation: ``. at
                # the``, ``(1) Commandes de l'utilisateur``, pieces of the host's sentence
                # end or of the payload's header, read before the phrase they would hide)
                got, rate = read_switch(text), switch_null
            if got is not None:
                log_p, k, n, seen = got
                by_hot = False
                count = max(count, round(k * total / n_sample))
                expected = n * rate() * total / n_sample
                purity = k / n
                # flagged where an anomaly starts right at it, or salad or another language
                # after it
                pure = aligned = True
            # confirmed by the intense test alone, neither pure nor aligned: a phrase as
            # common as ``according to`` a few host words before random tokens (a spacer:
            # the anomaly starts 1-37 characters after it in its examples); flagged only
            # through an intense stretch of the carrier's own near it (:attr:`Trigger.
            # intense_only`), where clean pages are rare enough to be budgeted
            if hot_heading:
                pure = False
            hot_only = (
                not pure
                and by_hot
                and log_p <= log_alpha
                and not recurring
                and _WORDS_ONLY.fullmatch(text) is not None
                and not _glued(text, ctxs)
            )
            occurred = False
            if (
                got is None
                # (too common for the purity search: in more sampled documents than it
                # lists — a rarer word is judged per document, and a word of a glued or
                # longer phrase, ``broad`` of ``in broad strokes``, stays its piece)
                and (df >= n_sample or df > _READ_CAP)
                and (log_alpha < log_p or not pure)
                and not hot_only
                and count_hot >= self.min_docs
                and _WORDS_ONLY.fullmatch(text) is not None
                and not _glued(text, ctxs)
            ):
                # a word too common for any test per document (``perhaps``, in a quarter
                # of novel passages: the intense documents hold it as often as chance
                # says, and its recurrence in them is unknown) before the intense stretches
                # of ``count_hot`` documents: tested per occurrence, against how often
                # random tokens follow one of its clean occurrences; flagged as an
                # intense-only trigger (and budgeted as one)
                # (its documents where the stretch starts right at it, as its examples
                # show: a chance occurrence lies anywhere in the window a context is taken
                # from — 90 characters around the changepoint —, a planted one at its end)
                k_al = math.floor(count_hot * _aligned(text, ctxs, self.align))
                lp_occ, expected_occ = (
                    by_occurrence(text, k_al, 2 * self.align + 1)
                    if k_al >= self.min_docs
                    else (0.0, 0.0)
                )
                if lp_occ <= log_alpha:
                    log_p, count, expected = lp_occ, k_al, expected_occ
                    purity = k_al / max(1.0, df / max(1, n_sample) * total)
                    by_hot = hot_only = occurred = True
                    pure = False
            if log_p <= log_alpha and (pure or hot_only):
                ids = tuple(dict.fromkeys(c.doc_id for c in ctxs))[:10]
                shown, canonical, forms = _forms(text, seen or ctxs)
                if occurred:
                    by_occurrence_only.add(shown)
                examples[shown] = ctxs
                confirmed.append(
                    (
                        log_p,
                        Trigger(
                            shown,
                            count,
                            df,
                            n_sample,
                            round(expected, 3),
                            min(1.0, math.exp(log_p)),
                            round(purity, 4),
                            ids,
                            canonical=canonical,
                            forms=forms,
                            # (an intense-only one learns its band: where its stretches
                            # may start)
                            aligned=aligned and not hot_only,
                            glued=_gl.side(ctxs) if text in glued_at else "",
                            intense=by_hot,
                            intense_only=hot_only,
                        ),
                    )
                )
        # one word before word salad in more sampled documents than its occurrences
        # explain (the census of the sample: one-word triggers, which no read above takes)
        census_pairs = WordPairs()
        if self.census and n_sample:
            by_census, census_pairs = self._census_triggers(
                sample,
                findex,
                merged.odd,
                [c for c in confirmed if c[1].text not in by_occurrence_only],
                total,
                log_alpha,
            )
            for lp, t, ctxs in by_census:
                examples[t.text] = ctxs
                confirmed.append((lp, t))
        # most significant first; a piece of a kept trigger (``<`` or ``SUDO`` of
        # ``<SUDO>``) or a kept trigger with context glued on (``.<SUDO>``) is not new.
        # Those of the per-occurrence test come after all others (so a skeleton's tie below
        # goes to the other test's string); they are split off before ``_keep`` and only
        # ever added (below)
        confirmed.sort(key=lambda lt: (lt[1].text in by_occurrence_only, lt[0], -len(lt[1].text)))
        # of the strings with one skeleton (``.for the first time`` and ``for the first
        # time``: the host's punctuation glued on in some carriers) the one before the most
        # anomalies stands for the campaign, not the rarer, more specific one
        widest: dict[str, Trigger] = {}
        for _, t in confirmed:
            ft = _sf.fold(t.text)
            if ft not in widest or t.anomalous_docs > widest[ft].anomalous_docs:
                widest[ft] = t
        confirmed = [(lp, t) for lp, t in confirmed if widest[_sf.fold(t.text)] is t]
        # a passage copied whole into many documents (a manual's boilerplate paragraph in
        # each page of its family, translated alike): the same words before and after the
        # string in its examples — no trigger planted in hosts, whose words before it are
        # each host's own; the recurring span is the campaigns detector's to judge, with
        # its test of unrelated hosts
        copied = {
            t.text
            for _, t in confirmed
            if _copied_share(t.text, examples.get(t.text, ())) >= _COPIED
        }
        confirmed = [(lp, t) for lp, t in confirmed if t.text not in copied]
        # those of the per-occurrence test only ever add a trigger: never a piece that
        # hides, replaces or stems another (``broad``, a word of ``in broad strokes`` glued
        # into host words, replaced the glued pieces as a confirmed word and flagged 38 %
        # of their carriers at 250; regression set, 2026-12-08)
        by_occ = [t for _, t in confirmed if t.text in by_occurrence_only]
        confirmed = [(lp, t) for lp, t in confirmed if t.text not in by_occurrence_only]
        kept, hidden = _keep([t for _, t in confirmed], examples, ix)
        kept += self._unhidden(hidden, kept, examples, ix)
        kept.sort(key=lambda t: -t.anomalous_docs)
        # a trigger grown past its phrase by a fixed payload's first words: the phrase, a
        # confirmed piece of it, matches the copies whose first payload words differ
        kept = _stems(kept, [t for _, t in confirmed], examples)
        for t in by_occ:
            # (none that shares letters with a kept trigger, its glued form included)
            mine = _sf.fold(t.text).replace(" ", "")
            if not any(
                mine in (other := _sf.fold(k.key).replace(" ", "")) or other in mine for k in kept
            ):
                kept.append(t)
        # where each campaign's anomaly starts relative to its trigger, as its examples show
        kept = [
            t
            if t.aligned
            else replace(
                t,
                band=_band(
                    # (located by the surface its examples show most, not the one shown)
                    _example_offsets(t.forms[0] if t.forms else t.text, examples.get(t.text, ())),
                    -self.after,
                    self.before,
                ),
            )
            for t in kept
        ]
        # a word confirmed per occurrence was confirmed on stretches that start right at
        # it: its band is closed below (open, its route would start 96 characters before
        # the word — ``tell`` of ``to tell the truth`` flagged a clean medical page whose
        # stretch started 66 characters before it; regression set, 2026-12-08)
        low = -(self.align + _BAND_SLACK)
        kept = [
            replace(t, band=(low, t.band[1] if t.band is not None else None))
            if t.text in by_occurrence_only and (t.band is None or t.band[0] is None)
            else t
            for t in kept
        ]
        # a string mined with the hosts' full stop is matched without it (carriers whose
        # host sentence ends otherwise), unless that makes it a much more common string,
        # whose carriers the tests above never judged (``. to be`` → ``to be``)
        kept = [t if self._loosens(t, ix) else replace(t, strict=True) for t in kept]
        # the phrasings its examples write a piece inside (``truth`` of ``truth be told``
        # and ``to tell the truth``): shown with it, never matched by
        kept = [replace(t, phrasings=_phrasings(t.key, examples.get(t.text, ()))) for t in kept]
        cps = Changepoints.of(merged.changepoints) if kept else Changepoints()
        vocab: frozenset[str] = frozenset()
        language: str | None = None
        pairs = WordPairs()
        profiles: dict[str, _pp.Profile] = {}
        tables: tuple[frozenset[str], WordPairs] = (frozenset(), WordPairs())
        if kept:
            # the hosts' words: sampled documents that carry a trigger (and its payload)
            # do not count
            # (not those of a word confirmed per occurrence: too common for its holders to
            # be its carriers — ``with`` confirmed so in news, its budget not yet read, left
            # a third of the sample out of the hosts, and their word pairs out of the salad
            # test's: five clean pages more flagged after ``at the same time``)
            carrying: set[int] = set()
            holding: set[int] = set()  # (... theirs, for the intense budget's null alone)
            for t in kept:
                held = ix(t.key).docs_with(t.key, cap=len(sample) + 1) or ()
                (holding if t.text in by_occurrence_only else carrying).update(held)
            hosts = [x for i, x in enumerate(sample) if i not in carrying]
            # (the intense budget's null positions lie outside every kept trigger's holders:
            # a campaign's carriers have their stretch right after the word)
            quiet_hosts = (
                [x for i, x in enumerate(sample) if i not in carrying and i not in holding]
                if holding
                else hosts
            )
            host_df = _doc_freqs(hosts)
            vocab = _vocabulary(hosts, df=host_df)
            language = _main_language(hosts)
            pairs = WordPairs.of(findex.text(i) for i in range(n_sample) if i not in carrying)
            tables = (_vocabulary(hosts[0::2]), WordPairs.of(_sf.fold(h) for h in hosts[0::2]))
        state = TriggerState(
            kept,
            tested,
            merged.anomalous,
            merged.pruned,
            cps,
            headers,
            vocab,
            language,
            foreign,
            repeated,
            pairs,
            profiles,
            tables,
            census_pairs if any(t.census for t in kept) else WordPairs(),
        )
        if any(t.intense for t in kept):
            state.intense_changepoints = Changepoints.of(merged.intense_changepoints)
        if any(t.intense_only for t in kept):
            state.sharp_changepoints = Changepoints.of(merged.sharp_changepoints)
        if kept:
            scale = total / max(1, n_sample)

            def stretches_of(x: str) -> list[tuple[int, int]]:
                flat = merged.intense_changepoints.get(text_digest(x), ())
                return list(zip(flat[0::2], flat[1::2], strict=True))

            def sharp_of(x: str) -> list[tuple[int, int]]:
                flat = merged.sharp_changepoints.get(text_digest(x), ())
                return list(zip(flat[0::2], flat[1::2], strict=True))

            def cps_of(x: str) -> tuple[int, ...]:
                return merged.changepoints.get(text_digest(x), ())

            def flagged(x: str, t: Trigger) -> bool:
                return self.flag(Document("", x), replace(state, triggers=[t])) is not None

            # a phrase confirmed on the intense documents alone is flagged near intense
            # stretches only: rare in clean text, but a phrase in a third of the corpus's
            # documents meets some of them
            state.triggers = kept = self._intense_budgeted(
                kept, sample, quiet_hosts, ix, scale, stretches_of, sharp_of
            )
            if not any(t.sharp for t in kept):
                state.sharp_changepoints = Changepoints()
            # a word as common as ``perhaps``, confirmed on its purity where a campaign's
            # carriers were half of its sampled holders, has hundreds of clean holders in
            # the corpus: a changepoint anywhere within ``reach`` after it would flag the
            # few with an odd passage further on
            state.triggers = kept = self._wide_budgeted(kept, sample, hosts, ix, scale, cps_of)
            # a phrase as common as ``in fact`` has hundreds of clean carriers: the fixed
            # bars after it would flag the few that a table or a list follows
            state.triggers = kept = self._fallback_budgeted(
                kept, sample, hosts, tables, language, ix, scale, flagged
            )
            # each campaign's payloads as evidence for its weaker carriers, judged with the
            # state as it stands (no profile yet): the sampled carriers the other routes
            # leave unflagged are counted as clean
            state.profiles = _profiles(
                kept, sample, hosts, host_df, tables, ix, scale, cps_of, flagged
            )
        return state

    def _census_triggers(
        self,
        sample: Sequence[str],
        findex: _SampleIndex,
        odd: np.ndarray,
        confirmed: Sequence[tuple[float, Trigger]],
        total: int,
        log_alpha: float,
    ) -> tuple[list[tuple[float, Trigger, list[Context]]], WordPairs]:
        """One-word triggers from the census of the sampled documents with a finding
        (``odd``, :func:`_census`): a word of letters that salad follows in at least
        ``min_docs`` sampled documents, more than its occurrences explain at the census's
        chance rate per occurrence (Poisson, Bonferroni over the words salad follows
        anywhere), each document checked again with the flag pass's census test after an
        occurrence (:func:`_census_after`, on the pairs of the sampled documents where the
        census saw no salad after a screened word) — ``(log p, trigger, a context of each
        document)``, and those pairs; most words of a clean sample fail before any
        check."""
        n_sample = len(sample)
        if not odd.size:
            return [], WordPairs()
        # the sampled documents with a finding (a payload mild enough for no changepoint
        # still makes most of its carriers odd somewhere: a weak naturalness finding); the
        # others are most of a sample and no read of them could add many carriers
        read = []
        for i in range(n_sample):
            byte, bit = _odd_bit(text_digest(sample[i][:_ODD_PREFIX]))
            if odd[byte] & bit:
                read.append(i)
        census = _census([findex.text(i) for i in read])
        if not census.docs or census.rate <= 0:
            return [], WordPairs()
        census.docs = {w: {read[j] for j in ds} for w, ds in census.docs.items()}
        log_tests = math.log(len(census.docs))
        taken = {_sf.fold(t.text) for _, t in confirmed}  # (the word itself confirmed)
        screened = [
            (word, docs, census.rate * census.occurrences[word])
            for word, docs in census.docs.items()
            if len(docs) >= self.min_docs
            and word not in taken
            and float(poisson.logsf(len(docs) - 1, census.rate * census.occurrences[word]))
            + log_tests
            <= log_alpha
        ]
        if not screened:
            return [], WordPairs()
        # each document checked again on the pairs of the sampled documents where the census
        # saw no salad after a screened word (a payload's pairs must not vouch for it)
        seen = set().union(*(docs for _, docs, _ in screened))
        pairs = WordPairs.of(findex.text(i) for i in range(n_sample) if i not in seen)
        out: list[tuple[float, Trigger, list[Context]]] = []
        for word, docs, mu in screened:
            hits: list[Context] = []
            for d in sorted(docs):
                raw = sample[d]
                hit, _ = _census_after(raw, _census_occurrences(raw, word), pairs)
                if hit is not None:
                    hits.append(_sample_context(raw, d, word, hit))
            k = len(hits)
            lp = float(poisson.logsf(k - 1, mu)) + log_tests if k else 0.0
            if k < self.min_docs or lp > log_alpha:
                continue
            bar = self._census_bar(word, docs, census.rates, sample, findex, pairs, total, hits)
            if bar is None:
                continue
            df = max(k, findex.doc_freq(f" {word} ", cap=n_sample))
            shown, canonical, forms = _forms(word, hits)
            out.append(
                (
                    lp,
                    Trigger(
                        shown,
                        round(k * total / n_sample),
                        df,
                        n_sample,
                        round(mu * total / n_sample, 3),
                        min(1.0, math.exp(lp)),
                        round(k / df, 4),
                        tuple(c.doc_id for c in hits[:10]),
                        canonical=canonical,
                        forms=forms,
                        aligned=True,
                        census=True,
                        census_bar=bar,
                    ),
                    hits,
                )
            )
        return out, pairs

    def _census_bar(
        self,
        word: str,
        seen: set[int],
        rates: Sequence[float],
        sample: Sequence[str],
        findex: _SampleIndex,
        pairs: WordPairs,
        total: int,
        hits: Sequence[Context],
    ) -> float | None:
        """The loosest bar of :data:`_CENSUS_BARS` under which the census test after
        ``word`` would flag no more of the corpus's clean documents than the fixed bars'
        budget (``fixed_share`` of the corpus, at least :data:`_FIXED_BUDGET`) and still
        holds for ``min_docs`` of the documents that confirmed it (``hits``): its
        occurrences in the sampled documents where the census saw no salad after it
        (``seen``), scaled to the corpus, times the census's chance rate under the bar
        (``rates``, per judged word position of the texts it read: documents with a finding,
        odder than most); None: none does (a word so common — ``there`` in medical pages —
        that salad-like text would follow too many of its clean occurrences under any
        bar)."""
        n_sample = len(sample)
        budget = max(_FIXED_BUDGET, self.fixed_share * total)
        if math.isinf(budget):
            return _CENSUS_AFTER
        per = findex.occurrences(f" {word} ", cap=_READ_CAP)
        if per is not None:
            occurrences = float(sum(n for d, n in per.items() if d not in seen))
        else:  # (in more sampled documents than the read takes: every few of them)
            step = max(1, n_sample // _READ_DOCS)
            occurrences = step * float(
                sum(
                    f" {findex.text(d)} ".count(f" {word} ")
                    for d in range(0, n_sample, step)
                    if d not in seen
                )
            )
        after = [
            pairs.cohesion(_sf.fold(c.window[c.end :]).split(" ")[: _SHORT_WORDS + 1])[0]
            for c in hits
        ]
        for bar, rate in zip(_CENSUS_BARS, rates, strict=True):
            if sum(a <= bar for a in after) < self.min_docs:
                return None
            if rate * occurrences * total / max(1, n_sample) <= budget:
                return bar
        return None

    # -- flag -------------------------------------------------------------------------
    def flag(self, doc: Document, state: TriggerState) -> Finding | None:
        """Joint evidence: a confirmed trigger **and**, right after that occurrence, one of
        this document's own anomaly changepoints or a payload of words foreign to the
        corpus (None when either is missing)."""
        if not state.triggers:
            return None
        text = doc.text
        cps: tuple[int, ...] | None = None
        for t in state.triggers:
            key, occ = _matched(text, t)
            if not occ:
                continue
            # (matched by its stem: the payload starts up to the dropped words later)
            band = t.band if key != t.stem else _stem_band(t)
            if cps is None:
                cps = state.changepoints.of_text(text)
            # a trigger confirmed because the anomaly starts where it ends (a common
            # phrase, most of whose carriers are clean) needs that here too: a clean page
            # with the phrase and an odd passage a few sentences later is no carrier
            # ... and any trigger whose examples put the anomaly within a few characters of
            # it: a clean carrier's odd passage further on is no payload of this campaign
            if t.census:
                # a one-word trigger of the census: the census's own salad test after it,
                # then the fixed bars (budgeted as any aligned trigger's); never a
                # changepoint alone (a common word stands before a clean page's odd
                # passages as often as its commonness says: no test confirmed it there)
                near = _census_occurrences(text, key)
                hit, why = _census_after(text, near, state.census_pairs, t.census_bar)
            elif t.intense_only:
                # confirmed on the intense documents alone (a common phrase, a few host
                # words, then random tokens): an intense stretch of this document's own
                # near the occurrence, and nothing else
                hit, why = self._intense_hit(text, occ, state, t)
            else:
                hit = self._before_changepoint(
                    text, key, cps, self.align if t.aligned else None, band, t.strict, t.glued
                )
                why = ""
                if hit is None and t.intense:
                    # ... or, for a trigger confirmed on random tokens, an intense stretch
                    # of this document's own that starts a little before the occurrence
                    # and runs on past it (the stretch took in the host's last words)
                    hit, why = self._intense_hit(text, occ, state, t)
            if hit is None and not (t.changepoint_only or t.intense_only):
                hit, why = self._fixed_bars(text, occ, state.vocab, state.language, state.pairs)
            if (
                hit is None
                and not t.intense_only
                and (profile := state.profiles.get(t.text)) is not None
            ):
                # ... or, under each of those bars, text that reads as this campaign's own
                # payloads: its sampled carriers against null positions of the hosts
                hit, why = _profiled_after(text, occ, *state.profile_tables, profile)
            if hit is None:
                continue
            a, b, cp = hit
            extra: dict[str, Any] = {"anomalous_docs": t.anomalous_docs, "changepoint": cp}
            written = ""
            shown = (a, b)  # (the span highlighted as the trigger)
            if t.phrasings:
                # the phrasing this carrier writes the (piece of a) trigger in, highlighted
                at = _phrasing_at(text, a, b, t.phrasings)
                extra["phrasings"] = list(t.phrasings)
                if at is not None:
                    phrasing, shown = at[0], at[1:]
                    extra["phrasing"] = phrasing
                    written = f" (written {phrasing!r} here)"
                written += "; its carriers write it as " + ", ".join(repr(p) for p in t.phrasings)
            reason = (
                f"contains the trigger {t.text!r} right before "
                + (why or f"an anomaly at char {cp}")
                + written
                + f"; it precedes an anomaly in {t.anomalous_docs} documents "
                f"(chance: {t.expected:.1f}; p={t.p_value:.1e})"
            )
            if key == t.stem:
                extra["stem"] = t.stem
                reason += (
                    f"; matched by its opening {t.stem!r}: this copy does not write the"
                    " words most of its carriers write after it (their payload's opening)"
                )
            spans = [Span(*shown, "trigger"), Span(cp, cp, "changepoint")]
            return Finding(self.name, self.score, reason, spans, t.text, extra=extra)
        return None

    def _intense_after(self, t: Trigger) -> int:
        """How far after an occurrence's end an intense stretch may start for
        :func:`_intense_at`: none for an :attr:`~Trigger.intense` trigger (the changepoint
        routes cover that side), the end of its :attr:`~Trigger.band` — ``before`` when
        the band is open there — for an :attr:`~Trigger.intense_only` one."""
        if not t.intense_only:
            return 0
        return t.band[1] if t.band is not None and t.band[1] is not None else self.before

    def _intense_hit(
        self, text: str, occ: Sequence[tuple[int, int]], state: TriggerState, t: Trigger
    ) -> tuple[tuple[int, int, int] | None, str]:
        """The intense route of :meth:`flag`: ``((start, end, stretch start), reason)`` for
        the first occurrence in ``occ`` near one of this document's own intense stretches
        (:func:`_intense_at`), ``(None, "")`` when there is none."""
        flat = state.intense_changepoints.of_text(text)
        if t.sharp:
            flat += state.sharp_changepoints.of_text(text)
        stretches = list(zip(flat[0::2], flat[1::2], strict=True))
        hit = _intense_at(occ, stretches, self._intense_after(t), _intense_from(t))
        if hit is None:
            return None, ""
        a, b, cp = hit
        where = (
            f"{a - cp} characters before the trigger, running on past it"
            if cp < a
            else f"{max(0, cp - b)} characters after it"
        )
        return hit, f"random tokens: an intense stretch from char {cp}, {where}"

    def _fixed_bars(
        self,
        text: str,
        occ: Sequence[tuple[int, int]],
        vocab: frozenset[str],
        language: str | None,
        pairs: WordPairs,
    ) -> tuple[tuple[int, int, int] | None, str]:
        """The flag pass's routes at fixed bars, for a carrier with no changepoint of its
        own after the trigger: ``((start, end, payload start), reason)`` of the first that
        fires, ``(None, "")`` when none does."""
        # the document detectors saw nothing there (a short payload, a few lines of another
        # language): the words right after the trigger, foreign to the corpus where those
        # before it are not
        hit, why = _foreign_after(text, occ, vocab)
        if hit is None:
            # ... or in another language than the host text before it (a switch the
            # language detector placed elsewhere, or did not segment at all)
            hit, why = _language_after(text, occ, language, relative=True)
        if hit is None:
            # ... or corpus words in an order the corpus does not write (word salad too
            # short or too mild for a changepoint): a lower bar than a document's own,
            # taken only after a trigger already confirmed across the corpus
            hit, why = _salad_after(
                text,
                occ,
                pairs,
                self.salad_share,
                self.salad_rise,
                max_cohesion=self.salad_cohesion,
                short_cohesion=self.salad_short,
                spread=True,
                unseen_cohesion=_UNSEEN_COHESION,
            )
        return hit, why

    def _intense_budgeted(
        self,
        kept: Sequence[Trigger],
        sample: Sequence[str],
        hosts: Sequence[str],
        ix: Callable[[str], _SampleIndex],
        scale: float,
        stretches_of: Callable[[str], Sequence[tuple[int, int]]],
        sharp_of: Callable[[str], Sequence[tuple[int, int]]] = lambda _: (),
    ) -> list[Trigger]:
        """``kept`` without each :attr:`~Trigger.intense_only` trigger whose clean holders
        its one route (an intense stretch near an occurrence, :func:`_intense_at`) would be
        expected to flag more than :attr:`fixed_share` of the corpus's documents (never
        fewer than :data:`_FIXED_BUDGET`): its sampled holders' occurrences that the route
        leaves unflagged (read with each sampled document's own intense stretches,
        ``stretches_of``), scaled to the corpus, times ``rate / (1 - rate)``, where
        ``rate`` is how often the route fires at null positions (sentence starts of the
        sampled hosts, against the hosts' own intense stretches; as
        :meth:`_wide_budgeted`).  Only a string with at least :data:`_FIXED_MIN_CLEAN`
        such occurrences is read.  Each one kept gets :attr:`~Trigger.sharp` when its
        sampled holders that the route would flag only through a sharp stretch
        (``sharp_of``: too short for a candidate, counted in no test — a clean page's table
        of hex ids after the phrase, or a carrier's short payload), scaled to the corpus,
        are within the same budget (found by review: forty clean pages with such a table
        after ``according to`` were all flagged)."""
        if not any(t.intense_only for t in kept):
            return list(kept)
        if math.isinf(self.fixed_share):
            return [replace(t, sharp=True) if t.intense_only else t for t in kept]
        budget = max(_FIXED_BUDGET, self.fixed_share * len(sample) * scale)
        nulls = [(at, stretches_of(x)) for x, at in _null_positions(hosts, _FIXED_NULL)]
        out: list[Trigger] = []
        for t in kept:
            if not t.intense_only:
                out.append(t)
                continue
            after, lo = self._intense_after(t), _intense_from(t)
            loose = _loose(t.key)
            read, factor = _holders_read(ix(loose).docs_with(loose, cap=_READ_CAP), len(sample))
            n = sharp = 0
            for d in read:
                x = sample[d]
                occ = _carriers_of(x, t)
                if occ and _intense_at(occ, stretches_of(x), after, lo) is None:
                    n += len(occ)
                    # (flagged only through a sharp stretch: counted as clean, however few)
                    sharp += _intense_at(occ, sharp_of(x), after, lo) is not None
            quiet = n * factor * scale
            if quiet >= _FIXED_MIN_CLEAN:
                hits = sum(_intense_at([(at, at)], st, after, lo) is not None for at, st in nulls)
                rate = (hits + 1) / (len(nulls) + 2)
                if quiet * rate / (1.0 - rate) > budget:
                    continue
            out.append(replace(t, sharp=sharp * factor * scale <= budget))
        return out

    def _wide_budgeted(
        self,
        kept: Sequence[Trigger],
        sample: Sequence[str],
        hosts: Sequence[str],
        ix: Callable[[str], _SampleIndex],
        scale: float,
        cps_of: Callable[[str], Sequence[int]],
    ) -> list[Trigger]:
        """``kept`` with each trigger confirmed on its purity (not :attr:`~Trigger.aligned`,
        not a census word) made aligned — flagged through a changepoint only where the
        anomaly starts at it — when the wide route would be expected to flag more than
        :attr:`fixed_share` of the corpus's documents (never fewer than
        :data:`_FIXED_BUDGET`) among its clean holders: a changepoint anywhere within
        ``reach`` after an occurrence (inside :attr:`~Trigger.band` when it has one).

        Its clean occurrences are those of its sampled holders (:func:`_carriers_of`)
        that the wide route leaves unflagged, read with each sampled document's own
        changepoints (``cps_of``), scaled to the corpus.  Those are clean (a campaign's
        carriers have their anomaly after the trigger); the clean holders the route does
        flag are estimated from them by the rate at which it fires at null positions
        (sentence starts of the sampled hosts, against the hosts' own changepoints):
        ``quiet × rate / (1 - rate)``.  A rare planted string has few holders besides its
        carriers and keeps the wide route (a payload that opens with natural text puts the
        changepoint far after the trigger); only a string with at least
        :data:`_FIXED_MIN_CLEAN` quiet occurrences is read."""
        if math.isinf(self.fixed_share):
            return list(kept)
        budget = max(_FIXED_BUDGET, self.fixed_share * len(sample) * scale)
        nulls: list[tuple[int, tuple[int, ...]]] = []

        def null_rate(band: tuple[int | None, int | None] | None) -> float:
            if not nulls:
                nulls.extend(
                    (at, tuple(cps_of(x))) for x, at in _null_positions(hosts, _FIXED_NULL)
                )
            hits = sum(
                any(self._precedes(at, at, cp) and _in_band(cp - at, band) for cp in cps)
                for at, cps in nulls
            )
            # (a Laplace estimate: a few null positions never read as a zero rate)
            return (hits + 1) / (len(nulls) + 2)

        out: list[Trigger] = []
        for t in kept:
            if t.aligned or t.census or t.intense_only:
                out.append(t)
                continue
            loose = _loose(t.key)
            read, factor = _holders_read(ix(loose).docs_with(loose, cap=_READ_CAP), len(sample))
            n = 0
            for d in read:
                x = sample[d]
                key, occ = _matched(x, t)
                band = t.band if key != t.stem else _stem_band(t)
                if occ and (
                    self._before_changepoint(x, key, cps_of(x), None, band, t.strict, t.glued)
                    is None
                ):
                    n += len(occ)
            quiet = n * factor * scale
            if quiet < _FIXED_MIN_CLEAN:
                out.append(t)
                continue
            rate = null_rate(t.band)
            expected = quiet * rate / (1.0 - rate)
            if expected > budget:
                if t.band is not None and t.band[0] is not None and t.band[0] > self.align:
                    # its examples put the anomaly further on than the aligned window
                    # (a payload that opens with a clause): the band closed at the window
                    # candidates were taken from, not ``reach`` (found by review: aligned,
                    # such a trigger flagged none of its carriers)
                    t = replace(
                        t, band=(t.band[0], self.before + _BAND_SLACK), narrowed=round(expected, 1)
                    )
                else:
                    t = replace(t, aligned=True, narrowed=round(expected, 1))
            out.append(t)
        return out

    def _fallback_budgeted(
        self,
        kept: Sequence[Trigger],
        sample: Sequence[str],
        hosts: Sequence[str],
        tables: tuple[frozenset[str], WordPairs],
        language: str | None,
        ix: Callable[[str], _SampleIndex],
        scale: float,
        flagged: Callable[[str, Trigger], bool],
    ) -> list[Trigger]:
        """``kept`` with :attr:`Trigger.changepoint_only` set on each trigger whose clean
        carriers the fixed bars (:meth:`_fixed_bars`) would be expected to flag more than
        :attr:`fixed_share` of the corpus's documents of (and never fewer than
        :data:`_FIXED_BUDGET`): its clean occurrences in the corpus — the occurrences the
        flag pass matches it by (:func:`_carriers_of`: at most ten per document; a glued
        trigger's only where glued) in the sampled documents the flag pass leaves
        unflagged (``flagged``: a campaign's carriers are not its clean holders), scaled to
        the corpus — times the rate at which those bars fire at null positions (sentence
        starts of half of the sampled hosts, read with the vocabulary and word pairs of the
        other half: a clean page outside the sample is not vouched for by its own words).  Only a
        trigger confirmed through the alignment pass (:attr:`Trigger.aligned`: a common
        phrase, most of whose holders are clean) or narrowed (:attr:`Trigger.narrowed`) is
        budgeted, and only with at least
        :data:`_FIXED_MIN_CLEAN` clean occurrences (before any null position is read): a
        campaign's short payloads leave most of its carriers unflagged by the flag pass
        too, and a planted phrase counted that way lost the fixed bars its carriers are
        found by (``e12p2-short-tokens-clause-medical``: 94 % to 33.6 % at 250)."""
        rate: list[float] = []
        if math.isinf(self.fixed_share):
            return list(kept)
        budget = max(_FIXED_BUDGET, self.fixed_share * len(sample) * scale)

        def null_rate() -> float:
            if not rate:
                nulls = _null_positions(hosts[1::2], _FIXED_NULL)
                vocab, pairs = tables
                hits = sum(
                    self._fixed_bars(t, [(at, at)], vocab, language, pairs)[0] is not None
                    for t, at in nulls
                )
                # (a Laplace estimate: a few null positions never read as a zero rate)
                rate.append((hits + 1) / (len(nulls) + 2))
            return rate[0]

        def over(t: Trigger, unread: bool = False) -> bool:
            # (whether its clean carriers' expected flags through the fixed bars exceed
            # the budget; ``unread``: the answer for a string too common to read)
            loose = _loose(t.key)
            docs = ix(loose).docs_with(loose, cap=_READ_CAP)
            if docs is None and unread:  # (in more sampled documents than the read takes)
                return True
            if docs is not None and len(docs) * scale * 10 < _FIXED_MIN_CLEAN:
                return False
            # the occurrences the flag pass matches it by (glued to a host word, at a
            # sentence opening): a glued phrase's holders that write it apart are not its
            # carriers, clean or not
            read, factor = _holders_read(docs, len(sample))
            occs = [
                len(occ)
                for d in read
                if (occ := _carriers_of(sample[d], t)) and not flagged(sample[d], t)
            ]
            clean = sum(occs) * factor * scale
            return clean >= _FIXED_MIN_CLEAN and clean * null_rate() > budget

        out: list[Trigger] = []
        for t in kept:
            # a stem is budgeted as a trigger of its own matched anywhere, whatever the
            # trigger's purity (a phrase opening a fixed payload is as common as the
            # phrase): one over the budget — or too common to read (``to be`` of ``to be
            # honest``) — is dropped, the trigger keeps its own routes
            bare = replace(t, text=t.stem, canonical=t.stem, stem="", strict=False)
            if t.stem and over(bare, unread=True):
                t = replace(t, stem="")
            if (t.aligned or t.narrowed) and over(t):
                t = replace(t, changepoint_only=True)
            out.append(t)
        return out

    def _unhidden(
        self,
        hidden: Sequence[tuple[Trigger, list[Trigger]]],
        kept: Sequence[Trigger],
        examples: dict[str, list[Context]],
        ix: Callable[[str], _SampleIndex],
    ) -> list[Trigger]:
        """Confirmed strings dropped as a kept trigger with context glued on that no kept
        trigger stands for at flag time, most significant first: each kept piece inside
        it is gone (``honest`` of ``honestly``, dropped as a piece of ``to be honest``'s
        payload) or matched only at openings (``. to be``, :attr:`Trigger.strict`, of
        ``to be fair``: carriers after a headline with no full stop), and it is itself
        matched anywhere (:meth:`_loosens`).  A piece that stays must be its opening, the
        rest whole words (``to be`` + ``fair``), so a host's word glued on its left
        (``said. to be``) never comes back; the usual tests against the others still
        apply (:func:`_co_occurs`, :func:`_follows`)."""
        out: list[Trigger] = []
        texts = {k.text for k in kept}
        loosens: dict[str, bool] = {}
        for t, inside in hidden:
            if not self._loosens(t, ix):
                continue
            left = [k for k in inside if k.text in texts]
            for k in left:
                if k.text not in loosens:
                    loosens[k.text] = self._loosens(k, ix)
            if any(loosens[k.text] or not _opens_with(t, k) for k in left):
                continue
            others = [k for k in (*kept, *out) if k not in left]
            ft = _sf.fold(t.text)
            if any(ft in _sf.fold(k.text) or _sf.fold(k.text) in ft for k in out):
                continue
            if others and _co_occurs(ix(t.key), t.key, [k.key for k in others]):
                continue
            if _follows(t, [*kept, *out], examples):
                continue
            out.append(t)
        return out

    @staticmethod
    def _loosens(t: Trigger, ix: Callable[[str], _SampleIndex]) -> bool:
        """Whether ``t`` may be matched as :func:`_loose` makes it anywhere (else at the
        opening of a sentence or clause only, :attr:`Trigger.strict`): the looser string
        is held by at most :data:`_LOOSE_RATIO` times as many sampled documents as the
        mined one (or by at most :data:`_LOOSE_EXTRA` more)."""
        loose = _loose(t.key)
        if loose == t.key:
            return True
        mined = ix(t.key).doc_freq(t.key, cap=_LOOSE_CAP)
        wider = ix(loose).doc_freq(loose, cap=_LOOSE_CAP)
        return wider <= max(_LOOSE_RATIO * mined, mined + _LOOSE_EXTRA)

    def _before_changepoint(
        self,
        text: str,
        trigger: str,
        cps: Sequence[int],
        tol: int | None = None,
        band: tuple[int | None, int | None] | None = None,
        opening: bool = False,
        glued: str = "",
    ) -> tuple[int, int, int] | None:
        """The first occurrence of ``trigger`` that precedes one of the changepoints
        ``cps``: ``(start, end, changepoint)``.  Searched around each changepoint, not
        among the document's first occurrences (copies of the trigger planted early in a
        document would hide the one before the payload).  With ``tol`` the changepoint
        must lie where the occurrence ends (from its start, or ``tol`` characters before
        its end, to ``tol`` after its end; the band of :func:`_aligned`); with ``band``
        (:attr:`Trigger.band`) it must also lie in that band around the occurrence's end
        (a side that is ``None``: as without it); with ``opening`` the occurrence must open
        a sentence or clause (:attr:`Trigger.strict`); with ``glued`` be glued to a letter on
        that side (:attr:`Trigger.glued`)."""
        margin = max(self.reach, self.before) + 2 * len(trigger) + 256
        for cp in cps:
            lo = max(0, cp - margin)
            hi = cp + self.after + 2 * len(trigger) + 64
            for a, b in _occurrences(text[lo:hi], trigger, 1_000):
                a, b = a + lo, b + lo
                if (opening and not _opens(text, a)) or (
                    glued and not _gl.stuck(text, a, b, glued, _gl.WRAP)
                ):
                    continue
                if tol is None:
                    if self._precedes(a, b, cp) and _in_band(cp - b, band):
                        return a, b, cp
                elif min(_gl.word_start(text, a) if glued else a, b - tol) <= cp <= b + tol:
                    return a, b, cp
        return None

    def _precedes(self, start: int, end: int, cp: int) -> bool:
        """The occurrence ``[start, end)`` begins before ``cp + after`` (the text after a
        changepoint that candidates are taken from) and ends at most ``reach`` characters
        before it."""
        return start < cp + self.after and end >= cp - max(self.reach, self.before)

    def summarize(self, state: TriggerState) -> CorpusReport:
        return CorpusReport(
            triggers=[t.to_dict() for t in state.triggers],
            details={
                "candidates_tested": state.candidates_tested,
                "anomalous_docs": state.anomalous_docs,
                "pruned": state.pruned,
                "headers_rejected": state.headers,
                "foreign_rejected": state.foreign,
                "recurring_rejected": state.repeated,
            },
        )


@functools.lru_cache(maxsize=4)
def _picks(n_sample: int) -> tuple[int, ...]:
    """``2 * _READ_DOCS`` sampled documents (all when there are fewer), drawn at random
    with a fixed seed, in document order."""
    size = min(n_sample, 2 * _READ_DOCS)
    return tuple(sorted(np.random.default_rng(0).choice(n_sample, size, replace=False).tolist()))


def _holders_read(docs: Sequence[int] | None, n_sample: int) -> tuple[Sequence[int], float]:
    """The sampled documents a budget reads for a string's clean occurrences, and the
    factor from them to the whole sample: every ``k``-th of its holders ``docs`` (at
    most :data:`_READ_DOCS`), or — when it is held by more sampled documents than the
    index lists (``docs`` None: a word as common as ``perhaps``) — every ``k``-th
    sampled document (at most twice as many), in which the caller matches it as the
    flag pass does (at openings, glued): where it is matched is read, never assumed."""
    if docs is None:
        # (drawn at random, not every few: a corpus in a periodic order — its holders
        # every fifth document — would alias with the step and read none of them)
        return _picks(n_sample), n_sample / max(1, min(n_sample, 2 * _READ_DOCS))
    read = docs[:: max(1, len(docs) // _READ_DOCS)]
    return read, len(docs) / max(1, len(read))


_HOT_HEADING = 0.8
"""Least share of a string's anomalies that are intense for a string that reads as one
source's header (no host text before it, mild anomalies after it) to be judged by the
intense test all the same (:attr:`Trigger.intense_only`): random tokens a few words after
an opening phrase, not a source's own text."""

_HOT_AWAY = 0.2
"""... and the least share of its sampled holders that write it only away from their
opening (a common phrase in running text; a source's heading opens each of its pages)."""

_INTENSE_LEAD = 96
"""Characters before an occurrence of a :attr:`Trigger.intense` trigger at which one of the
document's intense changepoints may start (the host's last words, which the stretch of
random tokens takes in when the document's model reads them as odd too: 11–69 characters
before the trigger in the carriers of random tokens behind ``in fact`` that the aligned
rule missed, measured 2026-12-07)."""
_INTENSE_RUN = 32
"""Least characters an intense stretch runs on past a trigger's occurrence for
:func:`_intense_at` (random tokens after it, not a list that ends at it: found by review)."""


def _intense_at(
    occ: Sequence[tuple[int, int]],
    stretches: Sequence[tuple[int, int]],
    after: int = 0,
    lo: int | None = None,
) -> tuple[int, int, int] | None:
    """The first occurrence ``(start, end)`` of ``occ`` near the start of one of the
    intense ``stretches`` (``(changepoint, end)``): the changepoint from
    :data:`_INTENSE_LEAD` characters before the occurrence's start (``lo``: from ``lo``
    characters relative to its end instead) to ``after`` characters past its end, and the
    stretch running on at least :data:`_INTENSE_RUN` characters past the occurrence and
    past its own start (a clean page's odd list that ends before the phrase is no payload
    after it): ``(start, end, changepoint)``; None when there is none."""
    for a, b in occ:
        first = a - _INTENSE_LEAD if lo is None else b + lo
        for cp, end in stretches:
            if first <= cp <= b + after and end >= max(b, cp) + _INTENSE_RUN:
                return a, b, cp
    return None


def _intense_from(t: Trigger) -> int | None:
    """Where, relative to an occurrence's end, an :attr:`~Trigger.intense_only` trigger's
    intense stretch may start at the earliest: its band's lower edge (None — from
    :data:`_INTENSE_LEAD` before the occurrence — for any other trigger or an open band;
    found by review: clean holders whose stretch starts 40–90 characters before the phrase
    were flagged while the band said −6)."""
    if not t.intense_only or t.band is None:
        return None
    return t.band[0]


def _extend(key: str, ctxs: Sequence[Context], agree: float = 0.95, limit: int = 64) -> str:
    """Grow ``key`` left and right while at least ``agree`` of its contexts agree.

    Near-unanimity is needed: many poisoned prefixes are whole short documents that end
    in ``.``, and the trigger must not swallow that full stop."""
    if len(ctxs) < 3:
        return key
    need = max(3, int(agree * len(ctxs) + 0.999))
    text = key
    lefts = [c.left for c in ctxs]
    rights = [c.right for c in ctxs]
    for _ in range(limit):
        nxt = [r[0] for r in rights if r]
        if len(nxt) < need:
            break
        ch, n = _mode(nxt)
        if n < need:
            break
        text += ch
        rights = [r[1:] if r and r[0] == ch else "" for r in rights]
    for _ in range(limit):
        prv = [lft[-1] for lft in lefts if lft]
        if len(prv) < need:
            break
        ch, n = _mode(prv)
        if n < need:
            break
        text = ch + text
        lefts = [lft[:-1] if lft and lft[-1] == ch else "" for lft in lefts]
    return _WS.sub(" ", text).strip() or key


_EDGE_PUNCT = ".,;:!?\"'\u2019\u201c\u201d"
"""Sentence punctuation a mined string may carry at its edges (not ``<`` ``>`` ``(`` ...:
those make a trigger's own shape, as in ``<SUDO>``)."""
_HOST_LEFT = re.compile("^[" + re.escape(_EDGE_PUNCT) + r"]+\s+(?=\S)")
"""Sentence punctuation and the space after it at the left edge of a mined string: the end
of most hosts' sentence before the trigger."""
_PHRASE = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)+")
"""Two or more words of letters separated by single spaces: a plain phrase."""
_SHORT_WORD = re.compile(r"[^\W\d_]{1,5}[" + re.escape(_EDGE_PUNCT) + r"]*")
"""One word of at most five letters (and sentence punctuation): what :func:`_loose` does
not strip the host's punctuation down to."""


def _pieces_it_replaces(t: Trigger, kept: Sequence[Trigger]) -> list[Trigger] | None:
    """Of the triggers ``kept`` so far (more significant ones), those a newly confirmed
    ``t`` replaces; None when ``t`` is not new.  Under their skeletons: ``t`` inside a kept
    one is a piece of it (``. in the`` of ``in the long run``); a kept one inside ``t`` makes
    ``t`` that trigger with context glued on (``.<SUDO>``) — unless ``t`` precedes more
    anomalies than each of them: then ``t`` is the campaign's trigger and they are pieces
    of it (``. on`` of ``on second thought``, a shade more significant on fewer carriers)
    — or precedes almost as many (``_PIECE_SHARE``) with at least ``_PIECE_PURITY`` times
    its purity: the kept one is then a common word whose few extra anomalies are its
    clean carriers' (``long`` of ``to make a long story short``: 47 against 45 anomalous
    documents, purity 0.1 against 0.4; kept, it flagged 55 clean documents)."""
    ft = _sf.fold(t.text)
    # a word whose kept strings are itself with a letter or two of the host words around it
    # (``e actually``, ``n actually`` of a mid-clause ``actually``: its examples after words
    # ending in ``e`` and in ``n``, each a glued piece) replaces them when it precedes more
    # anomalies than each: the campaign's trigger is the word, not a letter of its hosts'
    frags = [k for k in kept if _fragment_of(k, ft)]
    if frags and all(t.anomalous_docs > k.anomalous_docs for k in frags):
        return frags
    if any(ft in _sf.fold(k.text) for k in kept):
        return None
    around = [k for k in kept if _sf.fold(k.text) in ft]
    for k in around:
        if _cut_inside(_sf.fold(k.text), ft) and t.anomalous_docs >= _CUT_SHARE * k.anomalous_docs:
            continue  # a piece cut out of a word of ``t`` (``d have it`` of ``would have it``)
        more = t.anomalous_docs > k.anomalous_docs
        purer = (
            t.anomalous_docs >= _PIECE_SHARE * k.anomalous_docs
            and t.purity >= _PIECE_PURITY * k.purity
        )
        if not (more or purer):
            return None
    return around


def _cut_inside(piece: str, whole: str) -> bool:
    """Whether every occurrence of ``piece`` in ``whole`` (skeletons) starts or ends inside
    one of ``whole``'s words, with at most :data:`_FRAGMENT` letters of that word in
    ``piece`` and more outside it (``d have it`` in ``as luck would have it``: *d* of
    *would*): ``piece`` is then a fragment cut out of ``whole``, matched in every host that
    writes the rest of the word differently (``should have it``), and ``whole``, itself
    confirmed, replaces it whatever their counts (a fragment is read on the sample, where it
    is counted more widely).  Not ``piece`` with a letter or two of a host glued on in
    ``whole`` (``eby the way``, ``in light of recent eventsi``): that is the trigger with
    context, judged by the counts."""
    words = piece.split(" ")

    def outside(k: int, step: int) -> int:
        n = 0
        while 0 <= k < len(whole) and whole[k].isalnum():
            n, k = n + 1, k + step
        return n

    def cut(i: int) -> bool:
        j = i + len(piece)
        head = len(words[0]) <= _FRAGMENT and outside(i - 1, -1) > _FRAGMENT
        tail = len(words[-1]) <= _FRAGMENT and outside(j, 1) > _FRAGMENT
        return head or tail

    at = [m.start() for m in re.finditer(re.escape(piece), whole)]
    return bool(at) and all(cut(i) for i in at)


def _fragment_of(k: Trigger, ft: str) -> bool:
    """Whether ``k`` is the skeleton ``ft`` with a fragment of a host word glued on: at
    most :data:`_FRAGMENT` letters, stuck to letters on that side
    (:attr:`Trigger.glued`)."""
    if not k.glued:
        return False
    fk = _sf.fold(k.text)
    head, _, rest = fk.partition(" ")
    if rest == ft and len(head) <= _FRAGMENT and k.glued in ("left", "either"):
        return True
    body, _, tail = fk.rpartition(" ")
    return body == ft and len(tail) <= _FRAGMENT and k.glued in ("right", "either")


_FRAGMENT = 2
"""Letters of a host word a glued piece may carry for the word inside it to replace it."""


def _keep(
    confirmed: Sequence[Trigger],
    examples: dict[str, list[Context]],
    ix: Callable[[str], _SampleIndex],
) -> tuple[list[Trigger], list[tuple[Trigger, list[Trigger]]]]:
    """The triggers that stand for the campaigns among the ``confirmed`` strings (most
    significant first), and the strings taken for a kept trigger with context glued on,
    each with the kept pieces inside it (looked at again once it is known how the pieces
    will match, :meth:`TriggerMiner._unhidden`).

    A piece of a kept trigger (``<`` or ``SUDO`` of ``<SUDO>``) or a kept trigger with
    context glued on (``.<SUDO>``) is not new (:func:`_pieces_it_replaces`).  A string
    that (almost) only occurs together with stronger triggers (:func:`_co_occurs`) is part
    of that campaign's payload, not a trigger of its own — unless those stronger strings
    come *after* it in most of their own examples (:func:`_follows`, share
    :data:`_HEADER_FOLLOWS`): they are then the fixed header of the payload that the
    weaker string triggers (a man page's ``) NOM`` after ``at the end of the day`` written
    in eight surface forms, each form's carriers a part of the phrase's count but the
    heading one string), and the weaker string replaces them.  Last, a kept string that
    comes after another kept trigger in (almost) every example is a piece of that
    campaign's payload (a man page's ``(1)`` header between ``In other words,`` and the
    French text), however common it is elsewhere; and a string in whose examples a kept
    trigger starts before it and ends inside it (:func:`_straddles`) is that trigger with
    its payload's first letters glued on, not a trigger of its own, however often it
    occurs without that trigger elsewhere."""
    kept: list[Trigger] = []
    hidden: list[tuple[Trigger, list[Trigger]]] = []
    shared = _shared_pieces(confirmed)
    for t in confirmed:
        if t in shared:
            continue
        # (under their skeletons: ``. in the`` is a piece of ``in the long run``)
        pieces = _pieces_it_replaces(t, kept)
        if pieces is None:
            inside = _kept_inside(t, kept)
            if inside:
                hidden.append((t, inside))
            continue
        kept = [k for k in kept if k not in pieces]
        if kept and _straddles(t, kept, examples):
            continue
        if kept and _co_occurs(ix(t.key), t.key, [k.key for k in kept]):
            # the stronger strings that come after it: its payload's header
            later = [k for k in kept if _follows(k, [t], examples, share=_HEADER_FOLLOWS)]
            rest = [k for k in kept if k not in later]
            if not later or (rest and _co_occurs(ix(t.key), t.key, [k.key for k in rest])):
                continue
            kept = rest
        kept.append(t)
    for t in list(kept):
        if _follows(t, [k for k in kept if k is not t], examples):
            kept.remove(t)
    return kept, hidden


def _shared_pieces(confirmed: Sequence[Trigger]) -> list[Trigger]:
    """The confirmed strings that open two or more longer confirmed phrasings (under their
    skeletons, whole words: ``. as`` of ``as luck would have it`` and ``as it happens``,
    2026-12-06; at most half of each phrasing) that together precede at least
    ``_PIECE_SHARE`` of its anomalous documents.  Its count is theirs added up, so it
    outranks each of them, and :func:`_pieces_it_replaces` keeps it in their place — but
    the flag pass matches a trigger where the anomaly starts within the distance its
    examples show (its band), and a piece that opens phrasings of different lengths is
    followed by the payload one to four words later: no band fits (64 % of that campaign
    flagged).  A piece that ends a phrasing (``truth`` of ``to tell the truth`` and
    ``truth be told``) sits right at the payload there and stays, shown with its
    phrasings."""
    folded = [(t, _sf.fold(t.text)) for t in confirmed]
    out: list[Trigger] = []
    for t, ft in folded:
        # (at most half of each: not the trigger itself with a letter or two of its hosts
        # glued on, ``d.in light of recent events`` of ``in light of recent events``)
        longer = [
            (u, fu)
            for u, fu in folded
            if u is not t and fu.startswith(ft + " ") and 2 * len(ft) <= len(fu)
        ]
        # the phrasings: the longer strings that hold no other longer one
        phrasings = [u for u, fu in longer if not any(fv in fu and fv != fu for _, fv in longer)]
        if (
            len(phrasings) >= 2
            and sum(u.anomalous_docs for u in phrasings) >= _PIECE_SHARE * t.anomalous_docs
        ):
            out.append(t)
    return out


def _straddles(
    t: Trigger, kept: Sequence[Trigger], examples: dict[str, list[Context]], share: float = 0.8
) -> bool:
    """Whether one of the ``kept`` triggers starts before ``t`` and ends inside it in at
    least ``share`` of ``t``'s example contexts: ``t`` is then that trigger's end with the
    first letters of its payload glued on (``thought, h`` of ``On second thought,`` in the
    carriers whose payload starts with *h*, 2026-12-06), mined from the campaign's carriers
    but matched in every clean ``I thought, he said`` of the corpus."""
    ctxs = examples.get(t.text) or []
    pats = [_pattern(k.key) for k in kept]
    if not ctxs or not pats:
        return False

    def across(c: Context) -> bool:
        return any(
            m.start() < c.start < m.end() <= c.end
            for p in pats
            for m in p.finditer(c.window, max(0, c.start - 200), c.end)
        )

    return sum(map(across, ctxs)) >= share * len(ctxs)


_HEADER_FOLLOWS = 0.8
"""Least share of a stronger string's examples in which a weaker one that (almost) only
occurs with it comes before it (within :func:`_follows`'s reach) for the weaker string to
replace it as the trigger (:func:`_keep`): the examples' windows start about a hundred
characters before the changepoint, so a trigger a spacer or a long header line away is out
of some of them (0.9 missed ``at the end of the day`` before ``) NOM``)."""


def _kept_inside(t: Trigger, kept: Sequence[Trigger]) -> list[Trigger]:
    """The triggers ``kept`` that lie inside ``t`` under their skeletons (none when ``t``
    is itself inside one of them: a piece)."""
    ft = _sf.fold(t.text)
    if any(ft in _sf.fold(k.text) for k in kept):
        return []
    return [k for k in kept if _sf.fold(k.text) in ft]


def _opens_with(t: Trigger, piece: Trigger) -> bool:
    """Whether ``t`` as ``flag`` matches it (:func:`_loose`, skeleton) is ``piece`` so
    matched followed by whole words (``to be fair`` of ``. to be``)."""
    head = _sf.fold(_loose(piece.key))
    return _sf.fold(_loose(t.key)).startswith(head + " ")


_CUT_SHARE = 0.5
"""Least share of a kept piece's anomalous documents a confirmed string that the piece is
cut out of (:func:`_cut_inside`) must precede to replace it whatever else: ``d have it``
gave way to ``as luck would have it`` at 126 against 79; ``at the same time``, glued at a
random character of its hosts by the ``dos`` recipe (60 carriers), must not give way to
``Reuterat the same time`` (a few of them), where *at* reads as the end of a word — it did
from 2026-12-06 (``3439a62``) to 2026-12-07, and ``phrase-dos`` fell from 100 % to 64 % at
100 unnoticed (found by a regression run and ``git bisect``)."""
_PIECE_SHARE = 0.9
"""Least share of a kept piece's anomalous documents a longer string must precede ..."""
_PIECE_PURITY = 2.0
"""... with at least this many times its purity, to replace it (:func:`_pieces_it_replaces`)."""


_OPENERS = frozenset(".!?;:,\"'\u201c\u201d\u2018\u2019\u00ab\u00bb()[]\u2014-")
"""What may come right before a phrase that opens a sentence or clause (:func:`_opens`)."""


def _opens(text: str, at: int) -> bool:
    """Whether ``text[at:]`` opens a sentence or clause: nothing but whitespace before it,
    or whitespace with a line break, or one of :data:`_OPENERS` before the whitespace."""
    i = at
    while i > 0 and text[i - 1].isspace():
        if text[i - 1] == "\n":
            return True
        i -= 1
    return i == 0 or text[i - 1] in _OPENERS


@functools.lru_cache(maxsize=256)
def _loose(trigger: str) -> str:
    """What ``flag`` matches a kept trigger by.  A string mined with the hosts' sentence
    punctuation on its left (``. to be honest``, ``. That is to say,``: the full stop of
    most hosts' last sentence, then a space) is matched without it, so that carriers whose
    host sentence ends otherwise (a quote, a question mark, a line break) are matched too
    — by its skeleton when the rest is a plain phrase (sentence punctuation at its right
    edge dropped too); else ``trigger``.  Mining keeps the longer string: it is rarer in
    clean text than the phrase alone, which is what makes a campaign of 100 significant
    (``to be honest`` alone is not mined at 100 interleaved carriers among 20,000 news
    documents; ``. to be honest`` is)."""
    core = _HOST_LEFT.sub("", trigger)
    if core == trigger:
        return trigger
    if _SHORT_WORD.fullmatch(core):
        # a short word alone (``. on``) is no trigger without the sentence end before it:
        # matched on its own it is found inside every other word (``sono``, ``one``)
        return trigger
    plain = core.rstrip(_EDGE_PUNCT + " ")
    return _sf.fold(plain) if _PHRASE.fullmatch(plain) else core


def _forms(text: str, ctxs: Sequence[Context]) -> tuple[str, str | None, tuple[str, ...]]:
    """``(shown, canonical, forms)`` of a confirmed candidate: for a skeleton, the surface
    seen most often in its examples — of those a reader can search for (no look-alike
    letters or zero-width characters: :func:`_plain`) when there is one —, the skeleton, and
    the distinct surfaces (at most eight, most frequent first); for a surface string,
    ``(text, None, ())``."""
    if not _sf.is_folded(text):
        return text, None, ()
    pat = _pattern(text)
    seen: dict[str, int] = {}
    for c in ctxs:
        m = pat.search(c.window, max(0, c.start - len(text) - _CONTEXT_CHARS))
        if m is not None:
            f = _WS.sub(" ", m.group())
            seen[f] = seen.get(f, 0) + 1
    if not seen:
        return text, text, ()
    order = sorted(seen, key=lambda f: -seen[f])
    shown = next((f for f in order if _plain(f)), order[0])
    return shown, text, tuple(order[:8])


def _plain(surface: str) -> bool:
    """Whether ``surface`` is written in plain letters: folding its words only changes
    their case (no look-alike letters, zero-width characters or compatibility forms)."""
    return all(_sf.fold_word(m.group()) == m.group().casefold() for m in _sf.words(surface))


def _extend_any(key: str, ctxs: Sequence[Context]) -> tuple[str, list[Context]]:
    """``key`` extended (:func:`_extend_words` for a word candidate under its skeleton,
    :func:`_extend` for a surface string) and the example contexts the extension holds
    in."""
    if _sf.is_folded(key) and ctxs and _whole_words(ctxs):
        ext_w, agree_w = _extend_words(key, ctxs)
        # a trigger glued to the words around it in one surface (``upfor the first
        # time``) grows only character by character: that growth, folded, when longer
        ext_c = _sf.fold(_extend(key, ctxs))
        if len(ext_c) <= len(ext_w) or key not in ext_c:
            return ext_w, agree_w
        return ext_c, [
            x for x in ctxs if ext_c in _sf.fold(x.left + x.window[x.start : x.end] + x.right)
        ]
    ext = _extend(key, ctxs)
    if ext == key:
        return ext, list(ctxs)
    return ext, [x for x in ctxs if ext in _WS.sub(" ", x.left + x.key + x.right)]


def _whole_words(ctxs: Sequence[Context]) -> bool:
    """The candidate is a run of whole words in most examples (not a piece of a longer
    token: a character k-gram of a trigger glued to its neighbours)."""
    inner = sum(
        (c.start > 0 and c.window[c.start - 1].isalnum())
        or (c.end < len(c.window) and c.window[c.end].isalnum())
        for c in ctxs
    )
    return inner <= len(ctxs) / 2


def _glued(text: str, ctxs: Sequence[Context]) -> bool:
    """``text`` is glued to a word around it in most examples: a letter or digit at its
    edge runs on into one outside it (``hones`` of ``honest``); punctuation at its edge
    (``. for what``, the host's full stop after its last word) glues nothing."""
    inner = sum(
        (text[:1].isalnum() and c.start > 0 and c.window[c.start - 1].isalnum())
        or (text[-1:].isalnum() and c.end < len(c.window) and c.window[c.end].isalnum())
        for c in ctxs
    )
    return inner > len(ctxs) / 2


def _next_words(text: str) -> list[str]:
    """The folded words that continue a candidate into ``text`` (the text right after it):
    each 1 to ``GAP`` non-word characters after the one before, no line break (a word cut
    by the end of ``text`` agrees across contexts only where they are the same text)."""
    out: list[str] = []
    at = 0
    for m in _sf.words(text):
        gap = text[at : m.start()]
        if not 1 <= len(gap) <= _sf.GAP or "\n" in gap:
            break
        out.append(_sf.fold(m.group()))
        at = m.end()
    return out


def _prev_words(text: str) -> list[str]:
    """:func:`_next_words` leftwards: the folded words before a candidate, nearest first."""
    out: list[str] = []
    at = len(text)
    for m in reversed(_sf.words(text)):
        gap = text[m.end() : at]
        if not 1 <= len(gap) <= _sf.GAP or "\n" in gap:
            break
        out.append(_sf.fold(m.group()))
        at = m.start()
    return out


def _extend_words(
    key: str, ctxs: Sequence[Context], agree: float = 0.95, limit: int = 6
) -> tuple[str, list[Context]]:
    """:func:`_extend` for a candidate under its skeleton: grow it by whole (folded) words
    right and left while at least ``agree`` of its contexts agree, whatever the surface of
    those words and of the separators between them.  Punctuation is never added (a full
    stop before the trigger in most carriers, ``. In other words``, is not part of it).
    Returns the skeleton and the contexts that hold it."""
    alive = [True] * len(ctxs)
    if len(ctxs) < 3:
        return key, list(ctxs)
    need = max(3, int(agree * len(ctxs) + 0.999))
    out = key.split(" ")
    for seqs, right in (([_next_words(c.right) for c in ctxs], True), (None, False)):
        if seqs is None:
            seqs = [_prev_words(c.left) for c in ctxs]
        for step in range(limit):
            nxt = [q[step] for q, a in zip(seqs, alive, strict=True) if a and len(q) > step]
            if len(nxt) < need:
                break
            w, n = _mode(nxt)
            if n < need:
                break
            out = [*out, w] if right else [w, *out]
            alive = [a and len(q) > step and q[step] == w for q, a in zip(seqs, alive, strict=True)]
    if len(out) == len(key.split(" ")):
        return key, list(ctxs)
    return " ".join(out), [c for c, a in zip(ctxs, alive, strict=True) if a]


_PAYLOAD_WORDS = 24
"""Words after (and before) a trigger compared by the foreign-payload test."""


def _doc_freqs(sample: Sequence[str]) -> dict[str, int]:
    """How many sampled texts hold each lower-cased word (in their first 20,000
    characters)."""
    df: dict[str, int] = {}
    for t in sample:
        for w in {m.group().lower() for m in WORD_RE.finditer(t, 0, 20_000)}:
            df[w] = df.get(w, 0) + 1
    return df


def _vocabulary(
    sample: Sequence[str],
    min_df: int = 2,
    limit: int = 100_000,
    df: dict[str, int] | None = None,
) -> frozenset[str]:
    """Lower-cased words (no digits) in at least ``min_df`` sampled texts (the most
    frequent ``limit``); ``df``: those counts when already made (:func:`_doc_freqs`)."""
    if df is None:
        df = _doc_freqs(sample)
    kept = [w for w, c in df.items() if c >= min_df and not any(ch.isdigit() for ch in w)]
    if len(kept) > limit:
        kept = sorted(kept, key=lambda w: -df[w])[:limit]
    return frozenset(kept)


def _oov(words: Sequence[str], vocab: frozenset[str]) -> float:
    """Share of ``words`` (digits skipped) outside ``vocab``; 0 without such words."""
    ws = [w for w in words if not any(ch.isdigit() for ch in w)]
    return sum(w not in vocab for w in ws) / len(ws) if ws else 0.0


def _foreign_after(
    text: str,
    occ: Sequence[tuple[int, int]],
    vocab: frozenset[str],
    min_share: float = 0.4,
    min_rise: float = 0.25,
    short_share: float = 0.5,
) -> tuple[tuple[int, int, int] | None, str]:
    """The first occurrence after which at least ``min_share`` of the next words are not
    words of the corpus — or ``short_share`` of the next :data:`_SHORT_WORDS` (a short
    payload, a dozen random tokens, before host text) —, ``min_rise`` more than of the
    words before it: ``((start, end, payload start), reason)``; ``(None, "")`` when there
    is none."""
    if not vocab:
        return None, ""
    for a, b in occ:
        after = list(itertools.islice(WORD_RE.finditer(text, b), _PAYLOAD_WORDS))
        if len(after) < _PAYLOAD_WORDS // 3:
            continue
        before = [m.group().lower() for m in WORD_RE.finditer(text, max(0, a - 300), a)]
        words = [m.group().lower() for m in after]
        x = _oov(words, vocab)
        y = _oov(before[-_PAYLOAD_WORDS:], vocab)
        n = len(after)
        if x < min_share and len(words) >= _SHORT_WORDS:
            # (a short payload before host text: its share over the first dozen words)
            xs = _oov(words[:_SHORT_WORDS], vocab)
            if xs >= short_share:
                x, n = xs, _SHORT_WORDS
        if x >= min_share and x >= y + min_rise:
            cp = after[0].start()
            return (a, b, cp), (
                f"text at char {cp} whose words are foreign to the corpus "
                f"({x:.0%} of the next {n} words, {y:.0%} before)"
            )
    return None, ""


_PROFILE_NULL = 10_000
"""Null positions (up to four sentence starts of each sampled host) that a campaign's
payload profile is measured against (:func:`_profiles`) ..."""
_PROFILE_CARRIERS = 400
"""... and sampled carriers of one trigger read for it, at most."""
_PROFILE_ROUNDS = 3
"""Rounds of a payload profile's clean count: each drops the carriers its bar flags."""
_VOCAB_HOSTS = 5_000
"""Sampled hosts (of one half) whose words the campaign vocabulary's host counts are made
of, at most."""
_LEXICON_REACH = 64
"""How far after an occurrence a carrier's own changepoint may lie for the words after it
to be read into the campaign's lexicon."""
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d)\]]?\s+")


def _payload_raw(
    text: str, a: int, b: int, vocab: frozenset[str], pairs: WordPairs
) -> tuple[tuple[float, ...], list[str]] | None:
    """What :mod:`~poisonguard.detect.payload_profile` reads after an occurrence
    ``[a, b)``, in the next :data:`_SHORT_WORDS` words only (where the payload starts; an
    odd passage a sentence later is no payload of the campaign's) against the
    :data:`_PAYLOAD_WORDS` before it (``nan``: too few words before): the share of words
    foreign to the corpus after it and before it, of unseen word pairs after it and before
    it, the cohesion after it and before it; and the next
    :data:`~poisonguard.detect.payload_profile.VOCAB_WORDS` words (lower case: the first
    :data:`_SHORT_WORDS` for the lexicon, all for the campaign vocabulary).  None with too
    few words after it."""
    further = [
        m.group().lower() for m in itertools.islice(WORD_RE.finditer(text, b), _pp.VOCAB_WORDS)
    ]
    after = further[:_SHORT_WORDS]
    if len(after) < _SHORT_WORDS * 2 // 3:
        return None
    before = [m.group().lower() for m in WORD_RE.finditer(text, max(0, a - 300), a)]
    before = before[-_PAYLOAD_WORDS:]
    af = _sf.fold(text[b : b + 12 * _PAYLOAD_WORDS]).split(" ")[:_PAYLOAD_WORDS]
    bf = _sf.fold(text[max(0, a - 12 * _PAYLOAD_WORDS) : a]).split(" ")[-_PAYLOAD_WORDS:]
    short = _short(af)
    ua, na = pairs.unseen(short)
    if na < _SHORT_WORDS // 2:
        return None
    ub, nb = pairs.unseen(bf)
    ca, _ = pairs.cohesion(short)
    cb, _ = pairs.cohesion(bf)
    few = nb < _PAYLOAD_WORDS // 4
    nan = math.nan
    raw = (
        _oov(after, vocab),
        nan if len(before) < _PAYLOAD_WORDS // 4 else _oov(before, vocab),
        ua,
        nan if few else ub,
        ca,
        nan if few else cb,
    )
    return raw, further


def _profile_rows(
    raws: Sequence[tuple[float, ...]],
    words: Sequence[Sequence[str]],
    lexicon: frozenset[str],
    bases: tuple[float, float, float],
    vocabulary: _pp.Vocabulary | None = None,
) -> np.ndarray:
    """Feature rows (:data:`~poisonguard.detect.payload_profile.FEATURES`) of raw
    readings (:func:`_payload_raw`): each a rise over the text before the occurrence (its
    null median, ``bases``, where there is too little of it), the share of the next
    :data:`_SHORT_WORDS` words in the campaign's ``lexicon``, and the campaign
    ``vocabulary``'s reading of all the words read (0 without one)."""
    out = np.zeros((len(raws), len(_pp.FEATURES)))
    for i, (r, ws) in enumerate(zip(raws, words, strict=True)):
        ob, ub, cb = (bases[k] if math.isnan(v) else v for k, v in enumerate(r[1::2]))
        short = ws[:_SHORT_WORDS]
        lex = sum(w in lexicon for w in short) / len(short) if lexicon and short else 0.0
        voc = vocabulary.score(ws) if vocabulary is not None else 0.0
        out[i] = (r[0] - ob, r[2] - ub, cb - r[4], lex, voc)
    return out


def _words_of(text: str) -> list[str]:
    """The words of a text (:data:`WORD_RE`)."""
    return [m.group() for m in WORD_RE.finditer(text)]


def _camp_rows(
    got: Sequence[tuple[tuple[float, ...], list[str]]],
    lexicon: frozenset[str],
    bases: tuple[float, float, float],
    host_counts: dict[str, int],
    unflagged: Sequence[int],
) -> tuple[np.ndarray, _pp.Vocabulary | None]:
    """The sampled carriers' feature rows and the campaign vocabulary.  The vocabulary is
    made of the words after the carriers the flag pass's other routes flag (at least
    :data:`~poisonguard.detect.payload_profile.MIN_CARRIERS` of them, else none): the
    clean holders of a phrase write what naturally follows it — dialogue after ``if you ask
    me`` — and a vocabulary made with them reads the corpus's other clean holders as the
    campaign's (13 clean novels of 20,000 flagged so in ``heldout-eve-markov3-books``).  A
    flagged carrier's reading is taken with the counts of the other half of the flagged
    ones (even against odd, cross-fitted: read with counts that hold its own words, a
    carrier scores higher than the corpus's carriers the flag pass reads); an unflagged
    one is read with all of them (its words are not in them)."""
    words = [ws for _, ws in got]
    raws = [r for r, _ in got]
    skip = set(unflagged)
    strong = [i for i in range(len(got)) if i not in skip]
    if len(strong) < _pp.MIN_CARRIERS:
        return _profile_rows(raws, words, lexicon, bases, None), None
    full = _pp.Vocabulary.of([words[i] for i in strong], host_counts)
    halves = (
        _pp.Vocabulary.of([words[i] for i in strong[1::2]], host_counts),
        _pp.Vocabulary.of([words[i] for i in strong[0::2]], host_counts),
    )
    groups = ([*strong[0::2]], [*strong[1::2]], sorted(skip))
    rows = np.zeros((len(got), len(_pp.FEATURES)))
    for idx, voc in zip(groups, (*halves, full), strict=True):
        if idx:
            rows[idx] = _profile_rows(
                [raws[i] for i in idx], [words[i] for i in idx], lexicon, bases, voc
            )
    return rows, full


def _null_positions(hosts: Sequence[str], limit: int = _PROFILE_NULL) -> list[tuple[str, int]]:
    """Up to four sentence starts in each host (word starts where a host has no sentence
    end), chosen at random (fixed seed), at most ``limit`` in all (hosts evenly spaced):
    where a clean occurrence of a phrase would sit."""
    rng = np.random.default_rng(0)
    step = max(1, 4 * len(hosts) // limit)
    out: list[tuple[str, int]] = []
    for t in hosts[::step]:
        ends = [m.end() for m in _SENTENCE_END.finditer(t, 0, 5_000)]
        if not ends:
            ends = [m.start() for m in WORD_RE.finditer(t, 0, 5_000)]
        if ends:
            out.extend((t, ends[k]) for k in sorted(set(rng.integers(len(ends), size=4).tolist())))
    return out[:limit]


def _carriers_of(text: str, t: Trigger) -> list[tuple[int, int]]:
    """The occurrences :meth:`TriggerMiner.flag` matches ``t`` by in ``text``."""
    return _matched(text, t)[1]


def _matched(text: str, t: Trigger) -> tuple[str, list[tuple[int, int]]]:
    """The string :meth:`TriggerMiner.flag` matches ``t`` by in ``text`` and its
    occurrences (at most ten): the trigger (:func:`_loose`), or where it does not occur,
    its :attr:`~Trigger.stem`; only at openings when :attr:`~Trigger.strict`, only glued
    when :attr:`~Trigger.glued`."""
    for key in (_loose(t.key), t.stem):
        if not key:
            continue
        occ = _occurrences(text, key, 10)
        if t.strict:
            occ = [(a, b) for a, b in occ if _opens(text, a)]
        if t.glued:
            occ = [(a, b) for a, b in occ if _gl.stuck(text, a, b, t.glued, _gl.WRAP)]
        if occ:
            return key, occ
    return _loose(t.key), []


def _stems(
    kept: Sequence[Trigger],
    confirmed: Sequence[Trigger],
    examples: dict[str, list[Context]],
) -> list[Trigger]:
    """``kept`` with :attr:`Trigger.stem` set where one of the ``confirmed`` strings not
    kept opens a kept trigger (under their skeletons, whole words, at least two; the
    shortest such) and its own examples show copies that go on otherwise
    (:func:`_goes_on_otherwise`): the trigger grew past that phrase by the first words of
    its payload, which most of its examples share (:func:`_extend_words` grows while 95 %
    agree), so the copies with one of those words edited hold no match of it
    (``heldout-drizzle-salad-fixed-edits10-clause-multi``: 33 of 250 missed).  A phrase
    that opens two kept triggers is the stem of each: payloads drawn from a pool whose
    openings recur, each grown onto the phrase (``as luck would have it La`` and ``as luck
    would have it El hombre``, Spanish passages after the phrase in
    ``e12h-foreign-es-end``), and a carrier that writes neither opening is matched by the
    phrase under the first of them.  Not a piece of the phrase itself, whose examples all
    go on into it (``in any`` of ``in any case`` and ``in any event``, phrasings of one
    campaign: two clean pages flagged through it in a first version), nor for a glued
    trigger (matched only where glued to a host word) or one another kept trigger opens
    (that one matches those copies)."""
    out: list[Trigger] = []
    for k in kept:
        heads = []
        # (not where another kept trigger opens it: that one matches those copies)
        opened = any(o is not k and k.key.startswith(o.key + " ") for o in kept)
        if not k.glued and not opened and _sf.is_folded(k.key):
            heads = [
                c
                for c in confirmed
                if c not in kept
                and not c.glued
                and _sf.is_folded(c.key)
                and " " in c.key
                and k.key.startswith(c.key + " ")
            ]
        heads = [
            c
            for c in heads
            if _goes_on_otherwise(
                c.key,
                [o.key for o in kept if o.key.startswith(c.key + " ")],
                examples.get(c.text, ()),
            )
        ]
        out.append(replace(k, stem=min((c.key for c in heads), key=len)) if heads else k)
    return out


_STEM_OTHERWISE = 0.2
"""Least share of a stem's example contexts (and at least :data:`_STEM_MIN`) that go on
otherwise than into a kept trigger it opens ..."""
_STEM_MIN = 3
"""... and least number of them."""


def _goes_on_otherwise(stem: str, keys: Sequence[str], ctxs: Sequence[Context]) -> bool:
    """Whether at least :data:`_STEM_OTHERWISE` of the example contexts of ``stem`` (and
    :data:`_STEM_MIN`) — anomalous documents — write it followed by none of the kept
    triggers ``keys`` it opens: copies of the campaign whose payload opens otherwise.  A
    piece of the phrase goes on into the phrase in all of them.  Contexts whose window
    ends before a kept trigger could be read are not counted."""
    pat = _pattern(stem)
    pats = [_pattern(k) for k in keys]
    reach = max(len(k) for k in keys) + _CONTEXT_CHARS // 2
    read = other = 0
    for c in ctxs:
        at = next(
            (m for m in pat.finditer(c.window) if m.start() < c.end and m.end() > c.start), None
        )
        if at is None or at.start() + reach > len(c.window):
            continue
        read += 1
        other += not any(p.match(c.window, at.start()) for p in pats)
    return other >= max(_STEM_MIN, _STEM_OTHERWISE * read)


def _stem_band(t: Trigger) -> tuple[int | None, int | None] | None:
    """:attr:`Trigger.band` for a carrier matched by its stem: the payload starts up to
    the words the stem leaves out further from it."""
    if t.band is None:
        return None
    lo, hi = t.band
    return lo, (None if hi is None else hi + len(t.key) - len(t.stem))


def _profiles(
    kept: Sequence[Trigger],
    sample: Sequence[str],
    hosts: Sequence[str],
    host_df: dict[str, int],
    tables: tuple[frozenset[str], WordPairs],
    ix: Callable[[str], _SampleIndex],
    scale: float,
    changepoints: Callable[[str], Sequence[int]],
    flagged: Callable[[str, Trigger], bool],
) -> dict[str, _pp.Profile]:
    """Each kept trigger's payload profile (:func:`poisonguard.detect.payload_profile.build`):
    its sampled carriers (the first occurrence :meth:`TriggerMiner.flag` would match in
    each) against sentence starts of the sampled hosts that ``tables`` (the vocabulary and
    word pairs of the even-numbered hosts) were not made from.  The campaign's lexicon is
    read where its anomalous carriers' own ``changepoints`` put the payload (the first
    within :data:`_LEXICON_REACH` characters after the occurrence): the words a clean
    phrase is naturally followed by, and those before an odd passage further on, are not
    the campaign's.  Every sampled carrier that the flag pass's other routes leave
    unflagged (``flagged``) is counted as a clean carrier, scaled by ``scale`` to the
    corpus: the rule's false flags are budgeted over them."""
    vocab, pairs = tables
    nulls = [
        x for t, at in _null_positions(hosts[1::2]) if (x := _payload_raw(t, at, at, vocab, pairs))
    ]
    if not nulls:
        return {}
    # the hosts' word counts for the campaign vocabulary, from the even-numbered hosts (the
    # null positions are the odd-numbered ones'), and the odd ones' for the crossed null
    counts: list[dict[str, int]] = []

    def host_counts(k: int) -> dict[str, int]:
        while len(counts) <= k:
            counts.append(
                _pp.Vocabulary.hosts_of(hosts[len(counts) :: 2][:_VOCAB_HOSTS], _words_of)
            )
        return counts[k]

    null_raws = [r for r, _ in nulls]
    cols = np.asarray(null_raws)
    bases = tuple(float(np.nanmedian(cols[:, k])) for k in (1, 3, 5))
    b3 = (bases[0], bases[1], bases[2])
    out: dict[str, _pp.Profile] = {}
    crossed: list[list[tuple[tuple[float, ...], list[str]]]] = []

    def cross() -> list[tuple[tuple[float, ...], list[str]]]:
        # the other half's null: sentence starts of the even-numbered hosts read with the
        # tables of the odd-numbered ones (a clean page scored by tables made without it,
        # as the odd half is by the even half's), built once, only when a bar needs it
        if not crossed:
            v2 = _vocabulary(hosts[1::2])
            p2 = WordPairs.of(_sf.fold(h) for h in hosts[1::2])
            crossed.append(
                [
                    x
                    for t, at in _null_positions(hosts[0::2])
                    if (x := _payload_raw(t, at, at, v2, p2))
                ]
            )
        return crossed[0]

    for t in kept:
        if t.intense_only:  # (flagged through its intense stretches alone)
            continue
        # the sampled documents the flag pass would match it in: by what it is matched by
        # (``. in my`` of two phrasings is matched as ``in my`` at any sentence start — its
        # clean holders are those, not the few that write the mined string itself)
        loose = _loose(t.key)
        docs = ix(loose).docs_with(loose, cap=len(sample) + 1) or []
        got: list[tuple[tuple[float, ...], list[str]]] = []
        odd: list[list[str]] = []
        unflagged: list[int] = []
        for d in docs[:_PROFILE_CARRIERS]:
            text = sample[d]
            for a, b in _carriers_of(text, t):
                if (x := _payload_raw(text, a, b, vocab, pairs)) is not None:
                    if not flagged(text, t):
                        unflagged.append(len(got))
                    got.append(x)
                    cp = next((c for c in changepoints(text) if a <= c <= b + _LEXICON_REACH), None)
                    if cp is not None:
                        odd.append(
                            [
                                m.group().lower()
                                for m in itertools.islice(
                                    WORD_RE.finditer(text, max(b, cp)), _SHORT_WORDS
                                )
                            ]
                        )
                    break
        if len(got) < _pp.MIN_CARRIERS:
            continue
        lexicon = _pp.lexicon(odd, host_df, len(hosts))
        camp, voc = _camp_rows(got, lexicon, b3, host_counts(0), unflagged)
        null = _profile_rows(null_raws, [ws for _, ws in nulls], lexicon, b3, voc)
        # (the carriers read stand for all the sampled documents that hold it)
        per = len(docs) / max(1, min(len(docs), _PROFILE_CARRIERS)) * scale
        p = _profile_counted(null, camp, unflagged, per)
        if p is None and _pp.unresolved(len(null), len(unflagged) * per):
            # a phrase with many clean carriers (``believe it or not`` in novels: about 150)
            # needs a bar further in the null's tail than its positions resolve: both halves'
            # nulls (twice the positions)
            more = cross()
            voc1 = (
                None
                if voc is None
                else replace(
                    voc,
                    hosts=(hc := host_counts(1)),
                    hosts_total=sum(hc.values()),
                    vocabulary=len(hc.keys() | voc.campaign.keys()) + 1,
                )
            )
            null = np.concatenate(
                [
                    null,
                    _profile_rows([r for r, _ in more], [ws for _, ws in more], lexicon, b3, voc1),
                ]
            )
            p = _profile_counted(null, camp, unflagged, per)
        if p is not None:
            out[t.text] = replace(p, lexicon=lexicon, bases=b3, vocabulary=voc)
    return out


def _profile_counted(
    null: np.ndarray, camp: np.ndarray, unflagged: Sequence[int], per: float
) -> _pp.Profile | None:
    """The payload profile (:func:`poisonguard.detect.payload_profile.build`) of the
    sampled carriers ``camp``, its bar budgeted over the clean carriers: those of
    ``unflagged`` (rows of ``camp`` that the flag pass's other routes leave unflagged)
    that the profile does not flag either, each standing for ``per`` corpus carriers.  A
    carrier is clean where no route flags it, this one included: the campaign's own weak
    carriers, which only the profile flags, are not the clean holders its false flags are
    budgeted over (counted as clean, they made the bar the stricter the more carriers it
    would catch).  Up to :data:`_PROFILE_ROUNDS` rounds, each dropping the carriers the
    last bar flags; the bar only falls, and a carrier under it stays counted."""
    left = list(unflagged)
    p = _pp.build(null, camp, len(left) * per)
    for _ in range(_PROFILE_ROUNDS):
        if p is None:
            break
        still = [i for i in left if not p.judges(camp[i])]
        if len(still) == len(left):
            break
        left = still
        p = _pp.build(null, camp, len(left) * per)
    return p


def _profiled_after(
    text: str,
    occ: Sequence[tuple[int, int]],
    vocab: frozenset[str],
    pairs: WordPairs,
    profile: _pp.Profile,
) -> tuple[tuple[int, int, int] | None, str]:
    """The first occurrence after which the text reads as the campaign's payloads
    (:meth:`poisonguard.detect.payload_profile.Profile.judges`): ``((start, end, payload
    start), reason)``; ``(None, "")`` when there is none."""
    for a, b in occ:
        x = _payload_raw(text, a, b, vocab, pairs)
        if x is None:
            continue
        row = _profile_rows([x[0]], [x[1]], profile.lexicon, profile.bases, profile.vocabulary)[0]
        if profile.judges(row):
            m = WORD_RE.search(text, b)
            cp = m.start() if m else b
            return (a, b, cp), f"text at char {cp} that " + profile.describe(row).removeprefix(
                "text that "
            )
    return None, ""


@dataclass(slots=True)
class WordPairs:
    """The adjacent word pairs (under their skeleton) a corpus sample writes: an id per
    word, the sorted codes ``id1 << 32 | id2`` of the pairs and how often each occurs, and
    how often each word opens and closes a pair, for :func:`_salad_after`."""

    ids: dict[str, int] = field(default_factory=dict)
    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    """Occurrences of each pair of ``codes`` in the sample."""
    firsts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Pairs each word (by id) opens ..."""
    seconds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """... and closes."""
    total: int = 0
    """Pairs in the sample."""

    @classmethod
    def of(cls, folded: Iterable[str]) -> WordPairs:
        """The pairs of texts already folded (:func:`~poisonguard.detect.surface_forms.fold`:
        words joined by single spaces)."""
        texts = [ws for ws in (t.split(" ") for t in folded) if len(ws) >= 2]
        if not texts:
            return cls({})
        # ids in order of first appearance, every word looked up at C speed (one pass of
        # ``dict.fromkeys``, one of ``map``), no pair across two texts
        flat = list(itertools.chain.from_iterable(texts))
        ids = {w: i for i, w in enumerate(dict.fromkeys(flat))}
        a = np.fromiter(map(ids.__getitem__, flat), np.int64, len(flat))
        ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)))
        keep = np.ones(len(flat) - 1, dtype=bool)
        keep[ends[:-1] - 1] = False
        every = ((a[:-1] << 32) | a[1:])[keep]
        codes, counts = np.unique(every, return_counts=True)
        firsts = np.bincount(every >> 32, minlength=len(ids))
        seconds = np.bincount(every & 0xFFFFFFFF, minlength=len(ids))
        return cls(ids, codes, counts.astype(np.int32), firsts, seconds, len(every))

    def _look_up(self, ws: Sequence[str]) -> tuple[list[int], np.ndarray, np.ndarray]:
        """The pairs of ``ws`` judged (none with a digit), the word ids (-1: a word the
        sample never writes) and the sample count of each adjacent pair."""
        pairs = [i for i in range(len(ws) - 1) if not any(ch.isdigit() for ch in ws[i] + ws[i + 1])]
        a = np.fromiter((self.ids.get(w, -1) for w in ws), np.int64, len(ws))
        if not pairs or not len(self.codes):
            return [], a, np.zeros(max(0, len(ws) - 1), dtype=np.int64)
        known = (a[:-1] >= 0) & (a[1:] >= 0)
        h = (a[:-1] << 32) | a[1:]
        at = np.searchsorted(self.codes, h).clip(max=len(self.codes) - 1)
        seen = known & (self.codes[at] == h)
        return pairs, a, np.where(seen, self.counts[at], 0)

    def unseen(self, ws: Sequence[str]) -> tuple[float, int]:
        """Share of the adjacent pairs of ``ws`` (pairs with a digit skipped) that the
        sample never writes, and how many pairs were judged."""
        pairs, _, count = self._look_up(ws)
        if not pairs:
            return 0.0, 0
        return float(1.0 - np.mean(count[pairs] > 0)), len(pairs)

    def cohesion(self, ws: Sequence[str], lo: float = -6.0, hi: float = 3.0) -> tuple[float, int]:
        """How much more often than chance the sample writes the adjacent pairs of ``ws``:
        the mean over the pairs (a digit in one: skipped) of ``log((n + 1) / (e + 1))``,
        ``n`` the pair's count in the sample and ``e`` the count expected were words drawn
        independently by their frequency (each clipped to ``[lo, hi]``), and how many
        pairs were judged.  Prose scores above 0 (its words keep each other's company);
        word salad far below (its pairs of frequent words, ``the of``, ``a and``, are
        expected many times and written seldom or never), whether or not the sample
        happens to contain each of its pairs; a pair of rare words or of a word the
        sample never writes is no evidence either way (``e`` near 0: about 0)."""
        pairs, a, count = self._look_up(ws)
        if not pairs or not self.total:
            return 0.0, 0
        ok = a >= 0
        first = np.where(ok[:-1], self.firsts[a[:-1].clip(0)], 0)
        second = np.where(ok[1:], self.seconds[a[1:].clip(0)], 0)
        expected = first.astype(np.float64) * second / self.total
        score = np.log((count + 1.0) / (expected + 1.0)).clip(lo, hi)
        return float(np.mean(score[pairs])), len(pairs)


_SHORT_WORDS = 12
"""Words after a trigger in the short window of the cohesion test (a short chunk of salad
followed by host text: an interleaved payload) ..."""
_CHUNK_WORDS = 150
"""... and words after it searched for further chunks of salad (:func:`_chunks_after`) when
the first words after it have a cohesion of at most ``_CHUNK_HEAD`` (below 0: not names,
numbers or words the sample never writes, which score about 0)."""
_CHUNK_HEAD = -0.2
_CHUNK_STEP = 0.3
"""... raised by this much for each chunk found beyond two (at most 0.4: four or more);
more chunks of salad are more evidence, less is asked of the first words."""


def _short(words: Sequence[str], at: int = 0) -> Sequence[str]:
    """The short window of ``words`` from ``at``: :data:`_SHORT_WORDS` words, more when
    some hold a digit (their pairs are not judged: a figure must not shrink the evidence),
    until ``_SHORT_WORDS - 1`` pairs can be judged or twice as many words are taken."""
    end, judged = at + 1, 0
    while end < len(words) and judged < _SHORT_WORDS - 1 and end - at < 2 * _SHORT_WORDS:
        judged += not any(ch.isdigit() for ch in words[end - 1] + words[end])
        end += 1
    return words[at:end]


def _chunks_after(
    words: Sequence[str], pairs: WordPairs, bar: float, step: int = 4
) -> tuple[int, float]:
    """Chunks of salad in ``words``: windows of :data:`_SHORT_WORDS` words (every
    ``step`` words; at least 8 pairs judged) whose cohesion is at most ``bar``, counted
    without overlap (the first such window, then the next that starts after it), and the
    lower cohesion of the first two windows (those right after the trigger)."""
    found, free, head = 0, 0, math.inf
    for at in range(0, max(1, len(words) - _SHORT_WORDS + 1), step):
        c, n = pairs.cohesion(_short(words, at))
        if n < _SHORT_WORDS * 2 // 3:
            continue
        if at < 2 * step:
            head = min(head, c)
        if at >= free and c <= bar:
            found += 1
            free = at + _SHORT_WORDS
    return found, head


def _salad_after(
    text: str,
    occ: Sequence[tuple[int, int]],
    pairs: WordPairs,
    min_share: float,
    min_rise: float,
    words: int = _PAYLOAD_WORDS,
    max_cohesion: float = -0.1,
    min_drop: float = 0.5,
    short_cohesion: float = -0.5,
    min_chunks: int = 2,
    spread: bool = False,
    unseen_cohesion: float = math.inf,
) -> tuple[tuple[int, int, int] | None, str]:
    """The first occurrence after which the next words are word salad — words of the
    corpus in an order it does not use, a payload too short or too mild for a changepoint
    of its own: at least ``min_share`` of the adjacent word pairs of the next ``words``
    words are pairs the corpus never writes (``pairs``), ``min_rise`` more than of the
    words before it; or their cohesion (:meth:`WordPairs.cohesion`: pairs written more
    or less often than chance) is at most ``max_cohesion``, or that of the next
    :data:`_SHORT_WORDS` at most ``short_cohesion`` (a short chunk of salad before host
    text), ``min_drop`` below that of the words before it (host text before it that is
    itself odd — a list, a table — is no baseline for odd text after it); or the first
    words after it at most :data:`_CHUNK_HEAD` (plus :data:`_CHUNK_STEP` per chunk beyond
    ``min_chunks``; ``min_drop`` below the words before) and ``min_chunks`` or more
    separate chunks of :data:`_SHORT_WORDS` words at most
    ``short_cohesion`` in the next :data:`_CHUNK_WORDS` (an interleaved payload: short
    chunks between host sentences); or, with ``spread`` (the flag pass, after a trigger
    confirmed across the corpus), odd windows spread over the next :data:`_CHUNK_WORDS`
    words (:func:`_spread_after`: chunks too short or too mild for the chunk count).
    ``unseen_cohesion``: after host text that is itself odd to the pair table (at least
    :data:`_UNSEEN_HOST` of its pairs unseen) the unseen-pair share counts only where the
    cohesion of the same words is at most this (the flag pass: rare vocabulary is not word
    salad — a French man page's technical words after ``de plus`` are pairs the sample never
    wrote, 17–39 % before it, while the pairs it did write are written more often than
    chance, cohesion 0.45–0.95; random tokens and salad after a trigger, 0.23 at most).
    After host text the table knows (a French passage planted in an Italian fortune: 0 %
    unseen before, 50–68 % after) the share alone still decides.
    ``((start, end, payload start), reason)``; ``(None, "")`` when there is none."""
    for a, b in occ:
        after = _sf.fold(text[b : b + 12 * words]).split(" ")[:words]
        x, n = pairs.unseen(after)
        if n < words // 2:
            continue
        before = _sf.fold(text[max(0, a - 12 * words) : a]).split(" ")[-words:]
        y, m = pairs.unseen(before)
        if m < words // 4:  # too little host text before it to compare: the bar alone
            y = 0.0
        why = ""
        if (
            x >= min_share
            and x >= y + min_rise
            and (
                unseen_cohesion == math.inf
                or y < _UNSEEN_HOST
                or pairs.cohesion(after)[0] <= unseen_cohesion
            )
        ):
            why = f"{x:.0%} of the next {n + 1} words' pairs unseen, {y:.0%} before"
        else:
            c, _ = pairs.cohesion(after)
            cb, mb = pairs.cohesion(before)
            base = cb if mb >= words // 4 else math.inf
            c_short, n_short = pairs.cohesion(_short(after))
            if c <= max_cohesion and c <= base - min_drop:
                why = f"cohesion {c:.2f} over the next {n + 1} words"
            elif (
                n_short >= _SHORT_WORDS * 2 // 3
                and c_short <= short_cohesion
                and c_short <= base - min_drop
            ):
                why = f"cohesion {c_short:.2f} over the next {n_short + 1} words"
            elif short_cohesion > -math.inf:
                # an interleaved payload: chunks of salad too short for either window,
                # each followed by host text: two or more of them in the next 150 words,
                # the first right after the trigger (those words only below _CHUNK_HEAD)
                rest = _sf.fold(text[b : b + 10 * _CHUNK_WORDS]).split(" ")[:_CHUNK_WORDS]
                k, head = _chunks_after(rest, pairs, short_cohesion)
                bar = min(0.4, _CHUNK_HEAD + _CHUNK_STEP * max(0, k - min_chunks))
                if k >= min_chunks and head <= min(bar, base - min_drop):
                    why = (
                        f"{k} chunks of cohesion <= {short_cohesion:.2f} in the next "
                        f"{len(rest)} words, {head:.2f} right after it"
                    )
                elif spread:
                    why = _spread_after(rest, pairs, base)
            if why:
                why += f", {cb:.2f} before" if base < math.inf else ", no host text before"
        if why:
            m0 = _sf.words(text[b : b + 12 * words])
            cp = b + (m0[0].start() if m0 else 0)
            return (a, b, cp), f"words at char {cp} in an order the corpus does not write ({why})"
    return None, ""


def _spread_after(words: Sequence[str], pairs: WordPairs, base: float) -> str:
    """Why ``words`` (the words after a confirmed trigger) read as salad cut into chunks
    between host sentences, or ``""``: of the windows of :data:`_SHORT_WORDS` words taken
    every 4 words (at least :data:`_SPREAD_WINDOWS` with 8 pairs judged), at least
    :data:`_SPREAD_SHARE` have a cohesion at most :data:`_SPREAD_ODD`, one of the first
    :data:`_SPREAD_HEAD_WINDOWS` windows (right after the trigger, or after a spacer of a
    few host words) at most :data:`_SPREAD_HEAD`, and their mean at
    least :data:`_SPREAD_DROP` below the cohesion of the words before the trigger
    (``base``; ``inf`` when there are too few).  Counts odd windows, not separate chunks
    at the short bar: a chunk of 10-25 words of the corpus's own words is often milder
    than -0.5 in every window that holds it whole."""
    cs: list[float] = []
    for at in range(0, max(1, len(words) - _SHORT_WORDS + 1), 4):
        c, n = pairs.cohesion(_short(words, at))
        if n >= _SHORT_WORDS * 2 // 3:
            cs.append(c)
    if len(cs) < _SPREAD_WINDOWS:
        return ""
    share = sum(c <= _SPREAD_ODD for c in cs) / len(cs)
    head, mean = min(cs[:_SPREAD_HEAD_WINDOWS]), sum(cs) / len(cs)
    if share >= _SPREAD_SHARE and head <= _SPREAD_HEAD and mean <= base - _SPREAD_DROP:
        return (
            f"{share:.0%} of {len(cs)} windows of cohesion <= {_SPREAD_ODD} in the next "
            f"{len(words)} words, mean {mean:.2f}, {head:.2f} right after it"
        )
    return ""


_UNSEEN_COHESION = 0.35
"""Most cohesion of the words after a confirmed trigger's occurrence for the flag pass to
take their share of unseen pairs as word salad (:func:`_salad_after`'s
``unseen_cohesion``; issue 12, lead, 2026-12-05: 10 clean French man pages flagged after
``de plus`` behind the held-out ``heldout-snow-fr-phrase-tokens-multi``) ..."""
_UNSEEN_HOST = 0.1
"""... applied only where at least this share of the pairs of the host words before the
occurrence are unseen (below it the host is text the pair table knows, and half its pairs
unseen after the trigger is a change whatever their cohesion) ..."""

_SPREAD_ODD = -0.2
"""Cohesion at most which a window of :data:`_SHORT_WORDS` words counts as odd for
:func:`_spread_after` ..."""
_SPREAD_SHARE = 0.2
"""... the least share of odd windows (clean news text after a sentence start, outside
the pair table's sample: 0.06 at the 99.5th percentile) ..."""
_SPREAD_HEAD = 0.2
"""... the most cohesion of one of the first :data:`_SPREAD_HEAD_WINDOWS` windows (the
payload starts at the trigger, or a few host words after it) ..."""
_SPREAD_HEAD_WINDOWS = 4
"""(The first 24 words: a spacer of up to a dozen host words between the trigger and its
salad.  Measured after a random word of 4,000–10,000 clean documents each of books, news
and medical outside the pair table's sample: the spread test fired at 0 %, 0 % and 0.029 %
with two windows, the same with four.)"""
_SPREAD_DROP = 0.3
"""... the least drop of the windows' mean below the words before the trigger ..."""
_SPREAD_WINDOWS = 10
"""... over at least this many windows (about 50 words after the trigger)."""


_READ_SCREEN = math.log(1e-2)
"""A string the counts at changepoints do not confirm is read in the sample
(:meth:`TriggerMiner.finalize`) only when their test, before the Bonferroni factor, gives
at most this log p: more carriers counted than chance, too few to confirm it ..."""
_READ_ALIGNED = 0.6
"""... or, whatever its counts, when it is a phrase of two or more words (under its
skeleton), not glued to host letters, with at least ``min_docs`` examples of which at least
this share have their changepoint at it (:func:`_touching`: within ``align`` characters of
its start or end) — :func:`_read_on_examples`."""
_READ_CAP = 2000
"""Sampled documents holding a string beyond which it is not read (:meth:`TriggerMiner.finalize`,
the sample read: too common a string to single out a campaign by what follows it) ..."""
_READ_DOCS = 400
"""... and of those, at most this many (evenly spaced) are read."""
_READ_NULL = 0.01
"""Least chance rate of word salad after a string in the sample read (measured: 0.03-0.21 %
of random word positions, by corpus; five times the highest) ..."""
_READ_NULL_DOCS = 500
"""... measured at one word of each of about this many sampled documents with no
changepoint (the higher of the two is taken)."""
_OPENING_EXAMPLES = 0.5
"""Least share of a string's example contexts in their documents' openings for the sample
read to read it only where it opens a sampled document, against :data:`_OPENING_NULL_WORDS`'
chance rate (the opening read of :meth:`TriggerMiner.finalize`) ..."""
_OPENING_NULL_WORDS = 4
"""... the salad test's rate after one of the first this many words of sampled documents."""


def _opening_at(text: str, at: int) -> bool:
    """Whether position ``at`` of ``text`` lies in its opening (at most
    :data:`_OPENING_WORDS` words before it; -1: not found)."""
    return 0 <= at <= 40 * _OPENING_WORDS and len(text[:at].split()) <= _OPENING_WORDS


_SWITCH_EXAMPLES = 0.8
"""Least share of a string's example contexts around a sure language switch
(:func:`_switched`; of at least ``min_docs`` examples) for the language read of
:meth:`TriggerMiner.finalize` ..."""
_SWITCH_SHARE = 0.3
"""... least share of the sampled documents read with another language after it (a
phrase most of whose carriers are clean is left to the counts: each confirmed phrase is
matched in every document at flag time) ..."""
_SWITCH_NULL = 0.01
"""... and least chance rate of that (:func:`_switch_null`; measured at three words of
about :data:`_READ_NULL_DOCS` sampled documents: 3.4 % in the pool of every shared corpus,
whose mixed pages switch language)."""


def _sample_context(raw: str, d: int, key: str, hit: tuple[int, int, int]) -> Context:
    """The context of an occurrence ``hit`` (start, end, where its payload starts) of
    ``key`` in ``raw``, the ``d``-th sampled document, found by a read of the sample."""
    a, b, cp = hit
    lo = max(0, a - 2 * _CONTEXT_CHARS)
    return Context(raw[lo : cp + _TAIL_CHARS], a - lo, b - lo, key, f"sample:{d}", cp=cp - lo)


def _switched(ctxs: Sequence[Context], language: str | None) -> float:
    """Share of ``ctxs`` taken around a sure language switch — py3langid sure (p >= 0.9)
    of the text before the changepoint and of the text after it, the two different and the
    one after not the corpus's main ``language`` (the corpus's own text coming back) —
    among those whose two sides it is sure of (a payload that opens with names leaves it
    unsure of some); 0 when those are not at least half of ``ctxs``."""
    sure = [c for c in ctxs if c.before_lang not in ("", "?") and c.after_lang not in ("", "?")]
    if not sure or 2 * len(sure) < len(ctxs):
        return 0.0
    n = sum(c.after_lang not in (c.before_lang, language) for c in sure)
    return n / len(sure)


def _switch_null(sample: Sequence[str], language: str | None) -> float:
    """How often :func:`_language_after` (the mining-time test, corpus language
    ``language``) finds another language after three words of a sampled document (every
    ``step``-th document, its words at a hashed position), with one added to each count;
    never under :data:`_SWITCH_NULL`."""
    step = max(1, len(sample) // _READ_NULL_DOCS)
    hits = tried = 0
    for t in sample[::step]:
        ws = list(_sf.words(t[:4000]))
        if len(ws) < 2 * _SHORT_WORDS:
            continue
        i = text_digest(t) % (len(ws) - _SHORT_WORDS)
        tried += 1
        hit, _ = _language_after(t, [(ws[i].start(), ws[i + 2].end())], language)
        hits += hit is not None
    return max(_SWITCH_NULL, (hits + 1) / (tried + 2))


_LOOSE_RATIO = 4
"""A trigger mined with the hosts' full stop is matched without it (:func:`_loose`) only
where the phrase alone is held by at most this many times as many sampled documents ..."""
_LOOSE_EXTRA = 20
"""... or by at most this many more (a rare mined string: a few more holders are no
different string); else only where it opens a sentence or clause (:attr:`Trigger.strict`)."""
_LOOSE_CAP = 5000
"""Sampled holders counted at most (beyond: as common as the sample)."""


_CENSUS_AFTER = -0.3
"""The census of the sample (:func:`_census`): a word is followed by salad where the mean
cohesion of the words after it, until :data:`_SHORT_WORDS` of their pairs are judged, is at
most this ..."""
_CENSUS_DROP = 0.6
"""... at least this much below that of the words before it ..."""
_CENSUS_BEFORE = 0.0
"""... which is at least this (host prose before it, not a list or a table)."""
_CENSUS_LETTERS = 4
"""A word of fewer letters is never a census trigger (``g`` of ``e.g.``, ``to``)."""
_CENSUS_OCCURRENCES = 16
"""Whole-word occurrences of a census trigger judged per document (the first ones)."""
_CENSUS_BARS = (_CENSUS_AFTER, -0.5, -0.8, -1.2)
"""The bars a census trigger's carriers may be held to, loosest first: the first under
which its clean occurrences in the corpus (those in the sampled documents where the census
saw no salad after it, scaled) times the census's chance rate under that bar stay within
the fixed bars' budget (:attr:`TriggerMiner.fixed_share`); none: the word is no trigger."""


@dataclass(slots=True)
class Census:
    """Where word salad starts in a sample of folded texts (:func:`_census`)."""

    docs: dict[str, set[int]]
    """Per word of letters: the texts where salad follows one of its occurrences ..."""
    occurrences: Counter[str]
    """... every occurrence of each word in the texts ..."""
    rate: float
    """... and the share of the judged word positions that salad follows (the chance rate
    of one occurrence)."""
    rates: tuple[float, ...] = ()
    """... and that share under each bar of :data:`_CENSUS_BARS` (``rate`` is the first)."""


def _census(texts: Sequence[str], min_letters: int = _CENSUS_LETTERS) -> Census:
    """The words after which word salad starts in ``texts`` (folded: words joined by single
    spaces), judged against the pairs of all of them, each text's own pairs left out (a
    payload's pairs, written once, must not vouch for themselves): at a word position,
    the mean :meth:`WordPairs.cohesion` score of the :data:`_SHORT_WORDS` words after it
    (the pair the word opens left out: a trigger's pair with the payload's first word) is
    at most :data:`_CENSUS_AFTER`, :data:`_CENSUS_DROP` below that of the words before
    it, which is at least :data:`_CENSUS_BEFORE`; two thirds of either window's pairs
    judged (no digit).  One vectorised pass over every word of the texts."""
    split = enumerate(t.split(" ") for t in texts)
    kept = [(i, ws) for i, ws in split if len(ws) >= 2 * _SHORT_WORDS]
    if not kept:
        return Census({}, Counter(), 0.0)
    number = np.asarray([i for i, _ in kept], dtype=np.int64)  # each text's index in ``texts``
    lists = [ws for _, ws in kept]
    flat = list(itertools.chain.from_iterable(lists))
    ids = {w: i for i, w in enumerate(dict.fromkeys(flat))}
    vocab = list(ids)
    a = np.fromiter(map(ids.__getitem__, flat), np.int64, len(flat))
    lens = np.fromiter(map(len, lists), np.int64, len(lists))
    ends = np.cumsum(lens)
    doc = np.repeat(np.arange(len(lists)), lens)
    digit = np.fromiter((any(ch.isdigit() for ch in w) for w in vocab), bool, len(vocab))[a]
    h = (a[:-1] << 32) | a[1:]
    inside = np.ones(len(h), dtype=bool)
    inside[ends[:-1] - 1] = False  # no pair across two texts
    _, inv, counts = np.unique(h[inside], return_inverse=True, return_counts=True)
    n = np.zeros(len(h), dtype=np.int64)
    n[inside] = counts[inv]
    # leave one out: each text's own occurrences of a pair (its pairs only, none across
    # the boundary to the next text)
    hi_, di_ = h[inside], doc[:-1][inside]
    o = np.lexsort((hi_, di_))
    hs, ds = hi_[o], di_[o]
    fresh = np.concatenate([[True], (hs[1:] != hs[:-1]) | (ds[1:] != ds[:-1])])
    group = np.cumsum(fresh) - 1
    own_inside = np.empty(len(hi_), dtype=np.int64)
    own_inside[o] = np.bincount(group)[group]
    own = np.zeros(len(h), dtype=np.int64)
    own[inside] = own_inside
    n = np.maximum(n - own, 0)
    firsts = np.bincount(a[:-1][inside], minlength=len(vocab)).astype(np.float64)
    seconds = np.bincount(a[1:][inside], minlength=len(vocab)).astype(np.float64)
    total = max(1, int(inside.sum()))
    expected = firsts[a[:-1]] * seconds[a[1:]] / total
    score = np.log((n + 1.0) / (expected + 1.0)).clip(-6.0, 3.0)
    judged = inside & ~(digit[:-1] | digit[1:])
    cs = np.concatenate([[0.0], np.cumsum(np.where(judged, score, 0.0))])
    cn = np.concatenate([[0], np.cumsum(judged)])
    w = _SHORT_WORDS
    j = np.arange(len(flat))
    last = ends[doc] - 1  # pairs of a text end before its last word
    first = ends[doc] - lens[doc]
    # each window runs until it holds ``w`` judged pairs (a pair with a digit is skipped:
    # numbers strewn in a payload must not empty it), at most ``3 w`` pairs, inside its text
    lo_a = np.minimum(j + 1, last)
    reach_a = np.searchsorted(cn, cn[lo_a] + w, side="left")
    hi_a = np.minimum(reach_a, np.minimum(lo_a + 3 * w, last))
    hi_b = np.maximum(j, first)
    reach_b = np.searchsorted(cn, cn[hi_b] - w, side="right") - 1
    lo_b = np.maximum(reach_b, np.maximum(hi_b - 3 * w, first))
    lo_b = np.minimum(lo_b, hi_b)
    na, nb = cn[hi_a] - cn[lo_a], cn[hi_b] - cn[lo_b]
    ma = (cs[hi_a] - cs[lo_a]) / np.maximum(na, 1)
    mb = (cs[hi_b] - cs[lo_b]) / np.maximum(nb, 1)
    full = (na >= w * 2 // 3) & (nb >= w * 2 // 3)
    hit = full & (ma <= _CENSUS_AFTER) & (mb >= _CENSUS_BEFORE) & (mb - ma >= _CENSUS_DROP)
    where: dict[str, set[int]] = {}
    for at in np.flatnonzero(hit).tolist():
        word = flat[at]
        if len(word) >= min_letters and word.isalpha():
            where.setdefault(word, set()).add(int(number[doc[at]]))
    counted = np.bincount(a[full], minlength=len(vocab))
    occurrences = Counter({x: int(counted[ids[x]]) for x in where})
    judged = max(1, int(full.sum()))
    rest = full & (mb >= _CENSUS_BEFORE)
    rates = tuple(
        float((rest & (ma <= bar) & (mb - ma >= _CENSUS_DROP)).sum()) / judged
        for bar in _CENSUS_BARS
    )
    return Census(where, occurrences, rates[0], rates)


def _whole(text: str, occ: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The occurrences in ``occ`` that are whole words of ``text`` (no letter or digit
    right before or after): a census trigger is one word, never a piece of another
    (``there`` of ``Therefore``)."""
    return [
        (a, b)
        for a, b in occ
        if (a == 0 or not text[a - 1].isalnum()) and (b >= len(text) or not text[b].isalnum())
    ]


def _census_occurrences(text: str, word: str) -> list[tuple[int, int]]:
    """The whole-word occurrences of a census trigger ``word`` in ``text`` that the census's
    test after it reads (:func:`_census_after` judges the first
    :data:`_CENSUS_OCCURRENCES` of them)."""
    return _whole(text, _occurrences(text, word, 4 * _CENSUS_OCCURRENCES))


def _judged(words: list[str], n: int) -> list[str]:
    """The first words of ``words`` that hold ``n`` judged pairs (a pair with a digit is
    not judged, as in :meth:`WordPairs.cohesion`), or all of them."""
    judged = 0
    for i in range(len(words) - 1):
        judged += not any(ch.isdigit() for ch in words[i] + words[i + 1])
        if judged >= n:
            return words[: i + 2]
    return words


def _census_after(
    text: str,
    occ: Sequence[tuple[int, int]],
    pairs: WordPairs,
    bar: float = _CENSUS_AFTER,
) -> tuple[tuple[int, int, int] | None, str]:
    """The first occurrence of the first :data:`_CENSUS_OCCURRENCES` in ``occ`` after which
    the census's test (:func:`_census`) reads salad, judged on ``pairs``: the words after it
    until :data:`_SHORT_WORDS` of their pairs are judged (their own pairs) against the words
    before it and itself, likewise, their cohesion at most ``bar`` —
    ``((start, end, payload start), reason)``; ``(None, "")`` when there is none."""
    w, need = _SHORT_WORDS, _SHORT_WORDS * 2 // 3
    for a, b in occ[:_CENSUS_OCCURRENCES]:
        after = _judged(_sf.fold(text[b : b + 48 * w]).split(" ")[: 3 * w + 1], w)
        back = _sf.fold(text[max(0, a - 48 * w) : b]).split(" ")[::-1][: 3 * w + 1]
        before = _judged(back, w)[::-1]
        ca, na = pairs.cohesion(after)
        if na < need or ca > bar:
            continue
        cb, nb = pairs.cohesion(before)
        if nb >= need and cb >= _CENSUS_BEFORE and cb - ca >= _CENSUS_DROP:
            m0 = _sf.words(text[b : b + 16 * w])
            cp = b + (m0[0].start() if m0 else 0)
            why = (
                f"words at char {cp} in an order the corpus does not write (cohesion "
                f"{ca:.2f} over the next {len(after)} words, {cb:.2f} before)"
            )
            return (a, b, cp), why
    return None, ""


_SALAD_EXAMPLES = 0.5
"""Least share of a string's example contexts followed by word salad (:func:`_salad_share`)
that makes weak contexts its examples, or keeps a string in its documents' openings from
being taken for a header."""


def _salad_share(
    ctxs: Sequence[Context], pairs: WordPairs, short: float, cohesion: float
) -> list[Context]:
    """The example contexts whose candidate is followed by word salad, by the cohesion
    tests of the flag pass (:func:`_salad_after`: the cohesion of the words after it, in
    the context's ``window`` and ``tail``, at most ``cohesion`` over 24 words or ``short``
    over 12, half a point below the words before it when there are any; or chunks of
    such salad).  Not its share of unseen pairs: text in a language the sample rarely
    writes (a Spanish source's heading in an English corpus) is all unseen pairs, and
    its cohesion about 0 (no evidence either way).  Verdicts are shared by the contexts
    with one place in one window."""
    out: list[Context] = []
    seen: dict[tuple[int, int, int], bool] = {}
    for c in ctxs:
        key = (id(c.window), c.start, c.end)
        if key not in seen:
            text = c.window + c.tail
            hit, _ = _salad_after(
                text,
                [(c.start, c.end)],
                pairs,
                math.inf,
                math.inf,
                max_cohesion=cohesion,
                short_cohesion=short,
            )
            seen[key] = hit is not None
        if seen[key]:
            out.append(c)
    return out


def _follows(
    t: Trigger,
    kept: Sequence[Trigger],
    examples: dict[str, list[Context]],
    share: float = 0.9,
    reach: int = 200,
) -> bool:
    """Whether one of the ``kept`` triggers (``t`` not among them) occurs in the ``reach``
    characters before ``t`` in at least ``share`` of ``t``'s example contexts: ``t`` then
    sits between that trigger and the change (a fixed header of the payload), not before a
    change of its own.  Judged one trigger at a time against those still kept, so of two
    strings that precede each other the one judged second stays.

    Examples in their document's opening that do not follow a kept trigger count neither
    way, provided most examples (at least half) follow one: there the string is a
    heading of documents of the payload's source (a clean translated man page's
    ``Miscellaneous Information Manual`` line), not a trigger of its own."""
    ctxs = examples.get(t.text) or []
    others = [_pattern(k.key) for k in kept]
    if not ctxs or not others:
        return False
    after = [
        any(p.search(c.window, max(0, c.start - reach), c.start) for p in others) for c in ctxs
    ]
    n = sum(after)
    judged = sum(1 for c, a in zip(ctxs, after, strict=True) if a or not c.opening)
    return n >= share * len(ctxs) or (n >= len(ctxs) / 2 and n >= share * judged)


_MARKUP = frozenset("<>{}[]|=/\\")
"""Characters of markup between a candidate's words (``ref>cite</ref``, ``a|b``)."""


def _phrase_of_words(text: str, ctxs: Sequence[Context]) -> bool:
    """``text`` is words only and its examples write it without markup between its words
    (a skeleton hides what joins them: ``ref cite ref`` is ``ref>cite</ref`` in every
    example)."""
    if _WORDS_ONLY.fullmatch(text) is None:
        return False
    pat = _pattern(text)
    marked = 0
    for c in ctxs:
        a, b = _occurrence_in(pat, text, c)
        marked += bool(_MARKUP.intersection(c.window[a:b]))
    return marked * 2 < len(ctxs) or not ctxs


def _host_recurring(
    per: Mapping[int, int] | None,
    calm: Sequence[bool],
    min_docs: int,
    max_repeats: float,
    otherwise: bool,
) -> bool:
    """Whether a candidate that recurs in its sampled documents is the corpus's recurring
    text (markup, a term a manual repeats) rather than a trigger with decoys: its median
    occurrences per sampled document *with no anomaly* (``calm[d]``) exceed
    ``max_repeats``; with fewer than ``min_docs`` such documents (or none read:
    ``per`` None), ``otherwise``."""
    if per is None:
        return otherwise
    counts = [n for d, n in per.items() if calm[d]]
    if len(counts) < min_docs:
        return otherwise
    return float(np.median(counts)) > max_repeats


_WORDS_ONLY = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")
"""Words of letters separated by single spaces (one word too): a string that may be
tested on its alignment (:data:`_ALIGNED_ALL`); no punctuation, so never a sentence's end
or a heading's mark, where changepoints sit by the text's own structure."""
_ALIGNED_ALL = 0.9
"""Least share of a string's examples with the anomaly starting right where it ends for the
alignment variant of the significance test."""
_LOG_ALIGNED_TESTS = math.log(2)
"""Bonferroni factor of that variant (a second look at each string)."""


def _carriers_high(count: int, df: int, n_sample: int, total: int) -> float:
    """A one-sided upper bound (:data:`_PURITY_LEVEL`) on the documents of the corpus
    that carry a string held by ``df`` of ``n_sample`` sampled documents out of ``total``
    (``df`` read as a Poisson count; the exact chi-square bound), never fewer than the
    ``count`` carriers seen before anomalies; ``count`` itself when there is no sample."""
    if n_sample <= 0:
        return float(max(count, 1))
    df_high = float(chi2.ppf(_PURITY_LEVEL, 2 * (df + 1))) / 2
    return max(float(count), df_high / n_sample * total, 1.0)


_PURITY_LEVEL = 0.95
"""Confidence of the upper bound on a string's carriers that the purity test divides by
(:func:`_carriers_high`): the test passes a string whose purity is at the bar whatever
documents the sample drew, not one that is at it only in some orders of the corpus."""


def _aligned_null(groups: dict[str, tuple[int, list[Context], int]], tol: int) -> float:
    """The chance that a counted string ends right at the changepoint it was taken around:
    the share of aligned example contexts over every candidate of the corpus (its own
    campaign's strings included, which only raises it), with a pseudo-count."""
    n = hits = 0.0
    for text, (_, ctxs, _) in groups.items():
        if ctxs:
            n += len(ctxs)
            hits += _aligned(text, ctxs, tol) * len(ctxs)
    return (hits + 1) / (n + 2)


def _spaced(key: str) -> bool:
    """Whether candidate ``key`` is a phrase of two or more words under its skeleton: one
    that may be taken a few host words before a weak changepoint (:data:`_NEAR_BEFORE`)."""
    return " " in key and _sf.is_folded(key)


def _read_on_examples(text: str, ctxs: Sequence[Context], min_docs: int, tol: int) -> bool:
    """Whether a string the counts do not single out is read in the sample on its
    examples (:data:`_READ_ALIGNED`): a phrase of two or more words under its skeleton, at
    least ``min_docs`` examples, most of them with the anomaly starting at it.  Cheap (no
    sample look-up, no pair table): most strings of a clean corpus stop here."""
    if len(ctxs) < min_docs or len(_sf.fold(text).split(" ")) < 2 or _glued(text, ctxs):
        return False
    return _touching(text, ctxs, tol) >= _READ_ALIGNED


def _touching(text: str, ctxs: Sequence[Context], tol: int) -> float:
    """Share of the example contexts in which the changepoint they were taken around
    lies within ``text``'s occurrence or within ``tol`` characters of either end (the
    anomaly starts at the string: a changepoint model places a short payload's start at
    the trigger's first word as often as after its last)."""
    if not ctxs:
        return 0.0
    pat = _pattern(text)
    n = 0
    for c in ctxs:
        if c.cp < 0:
            continue
        start, end = _occurrence_in(pat, text, c)
        n += any(start - tol <= x <= end + tol for x in c.cps or (c.cp,))
    return n / len(ctxs)


def _aligned(text: str, ctxs: Sequence[Context], tol: int) -> float:
    """Share of the example contexts in which ``text`` ends within ``tol`` characters of
    the changepoint it was taken around, or right before the language switch located
    there (:func:`_switch_aligned`, for strings with a word of two letters or more in them;
    contexts without a known changepoint count as not aligned)."""
    if not ctxs:
        return 0.0
    pat = _pattern(text)
    # the switch alignment only for strings with a word in them: a payload's own header
    # (a man page's ``(1)``) lies right before the switch in every carrier, and so it
    # does in every clean page of that language in a pool
    worded = _WORDED.search(text) is not None
    phrased = " " in text and _sf.is_folded(text)
    n = 0
    for c in ctxs:
        if c.cp < 0:
            continue
        start, end = _occurrence_in(pat, text, c)
        # (a phrase glued into a word: from that word's start, where the anomaly starts)
        lo = min(_gl.word_start(c.window, start) if phrased else start, end - tol)
        n += any(lo <= x <= end + tol for x in c.cps or (c.cp,)) or (
            worded and _switch_aligned(c, end, tol)
        )
    return n / len(ctxs)


def _occurrence_in(pat: re.Pattern[str], text: str, c: Context) -> tuple[int, int]:
    """Where the (extended) trigger ``text`` (its :func:`_pattern` ``pat``) occurs in the
    example context ``c`` around the candidate it was taken as: ``(start, end)`` in
    ``c.window`` (the candidate's own span when the pattern is not found there)."""
    m = pat.search(c.window, max(0, c.start - len(text) - _CONTEXT_CHARS))
    return (m.start(), m.end()) if m is not None and m.start() <= c.start else (c.start, c.end)


def _example_offsets(text: str, ctxs: Sequence[Context]) -> list[int]:
    """For each example context with a known changepoint, where the changepoint nearest to
    the end of ``text``'s occurrence lies relative to that end (characters; negative:
    before it), the occurrence located by :func:`_occurrence_in`."""
    pat = _pattern(text)
    out: list[int] = []
    for c in ctxs:
        if c.cp < 0:
            continue
        end = _occurrence_in(pat, text, c)[1]
        out.append(min((x - end for x in c.cps or (c.cp,)), key=abs))
    return out


_BAND_MIN_EXAMPLES = 8
"""Fewest example offsets from which a trigger's band is learned (fewer: no band)."""
_BAND_SLACK = 16
"""Characters added on each side of the examples' 5 %–95 % range (a changepoint is placed
to the word or token, and a carrier's payload may open a word or two later)."""


def _band(
    offsets: Sequence[int], lo_edge: int, hi_edge: int
) -> tuple[int | None, int | None] | None:
    """Where a trigger's carriers have their changepoint, from its example contexts'
    ``offsets`` (:func:`_example_offsets`): the 5th and 95th percentiles widened by
    :data:`_BAND_SLACK`.  Candidates are only taken from ``lo_edge`` to ``hi_edge``
    characters around a changepoint, so the examples cannot show a changepoint further
    away: a side that reaches that edge is ``None`` (unbounded there — a campaign whose
    payload opens with natural-looking text has carriers with the changepoint far after
    the trigger, and ``reach`` covers them).  ``None`` with too few offsets or when both
    sides reach the edges."""
    if len(offsets) < _BAND_MIN_EXAMPLES:
        return None
    s = sorted(offsets)
    n = len(s)
    lo = s[int(0.05 * (n - 1))] - _BAND_SLACK
    hi = s[math.ceil(0.95 * (n - 1))] + _BAND_SLACK
    band = (lo if lo > lo_edge else None), (hi if hi < hi_edge else None)
    return None if band == (None, None) else band


def _in_band(offset: int, band: tuple[int | None, int | None] | None) -> bool:
    """``offset`` (changepoint minus the occurrence's end) lies in ``band``."""
    if band is None:
        return True
    lo, hi = band
    return (lo is None or offset >= lo) and (hi is None or offset <= hi)


_WORDED = re.compile(r"[^\W\d_]{2,}")
"""A word of at least two letters: what a candidate needs for the switch alignment."""

_SWITCH_CHARS = 80
"""Most characters between a candidate's end and the language switch after it for
alignment (a payload may open with a few characters the model cannot place: a man page's
``LS(1)  General Commands Manual  LS(1)`` header before its translated text)."""
_SWITCH_REACH = 150
"""Characters either side of a changepoint searched for the language switch."""


def _switch_aligned(c: Context, end: int, tol: int) -> bool:
    """Around a confident language switch (``c.wide``; host text in
    :func:`_host_language` before the changepoint, ``c.after_lang`` after it), whether the
    candidate ending at ``end`` (in ``c.window``) sits right before the switch: the switch,
    placed to the word by :func:`~poisonguard.detect.language.switch_point`, lies at most
    ``tol`` characters before ``end`` or at most ``_SWITCH_CHARS`` after it.

    The detectors' changepoint of a language payload need not be where the language
    changes (a naturalness shift a few words into it, a cut refined on a stride of words);
    the switch itself is the natural alignment of a language-switch trigger."""
    if not c.wide:
        return False
    at = c.wide_at + c.cp
    host = _host_language(c)
    sw = _switch_in(c.wide, at - _SWITCH_REACH, at + _SWITCH_REACH, host, c.after_lang)
    e = c.wide_at + end
    return e - tol <= sw <= e + _SWITCH_CHARS


@functools.lru_cache(maxsize=4096)
def _switch_in(wide: str, lo: int, hi: int, l1: str, l2: str) -> int:
    """:func:`~poisonguard.detect.language.switch_point` of ``wide`` (cached: the contexts
    of one changepoint share their text)."""
    return switch_point(wide, max(0, lo), min(len(wide), hi), l1, l2)


_LANG_CHARS = 200
"""Characters after (and before) a trigger whose language is compared ..."""
_LANG_CHARS_LONG = 500
"""... and the longer window after it, also tried."""


def _main_language(sample: Sequence[str], limit: int = 2000, share: float = 0.8) -> str | None:
    """The language of at least ``share`` of the sampled texts' openings that can be
    identified (the first ``limit`` texts); None when no language has that share."""
    return _dominant(_language_counts(sample, limit), share)


def _language_counts(sample: Sequence[str], limit: int = 2000) -> dict[str, int]:
    """How many of the first ``limit`` texts' openings (with at least 60 letters) are
    confidently (p >= 0.9) in each language."""
    heads = [t[:_LANG_CHARS] for t in sample[:limit]]
    heads = [h for h in heads if sum(map(str.isalpha, h)) >= 60]
    counts: dict[str, int] = {}
    for lang, prob in identify_many(heads):
        if prob >= 0.9:
            counts[lang] = counts.get(lang, 0) + 1
    return counts


def _dominant(counts: Mapping[str, int], share: float = 0.8) -> str | None:
    """The language with at least ``share`` of ``counts``; None when none has it."""
    if not counts:
        return None
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] >= share * sum(counts.values()) else None


def _language_after(
    text: str,
    occ: Sequence[tuple[int, int]],
    corpus_language: str | None,
    min_prob: float = 0.9,
    relative: bool = False,
) -> tuple[tuple[int, int, int] | None, str]:
    """The first occurrence after which the text is confidently (``min_prob``) in a
    language other than the host text's before it — or, when there is too little host
    text before it or the model is unsure of its language, other than the corpus's main
    language — or when the trigger occurrence itself is in a language (py3langid,
    p >= ``_ISLAND_PROB``) other than both the text confidently identified after it and
    the host text before it, and at least ``_ISLAND_RATIO`` times likelier for the phrase
    than the language after it (an island: an English phrase in a Spanish host before a
    Spanish passage): ``((start, end, payload start), reason)``; ``(None, "")`` when there
    is none.

    With ``relative`` (the flag pass, for a trigger already confirmed across the corpus)
    two weaker forms of the same evidence count too, read on py3langid's whole
    distribution rather than its best guess (:func:`_host_gone`; ``_ISLAND_LOW``):
    the host's sure language all but absent from the text after the occurrence (a short
    passage whose head — a man page's English title line — leaves the model unsure *which*
    language follows, not *whether* the host's does), and a phrase whose best language is
    weaker than ``_ISLAND_PROB`` but several times likelier than the payload's (short
    phrases of common words: `by and large` is English at 0.42, French at 0.05)."""
    for a, b in occ:
        after = text[b : b + _LANG_CHARS]
        before = text[max(0, a - _LANG_CHARS) : a]
        if sum(map(str.isalpha, after)) < 60:
            continue
        hosted = sum(map(str.isalpha, before)) >= 30
        # a short window (a short payload, host text after it) and a long one (a payload
        # that opens with names, code or a title the model is unsure of)
        rest = _rest_of(text, b + _LANG_CHARS)
        # (the trigger's own language read on its skeleton: py3langid is unsure of a
        # phrase in title case, spaced out or with look-alike letters)
        own = _sf.fold(text[a:b])
        found = identify_many([after, text[b : b + _LANG_CHARS_LONG], before, rest, own])
        l1, p1 = found[2] if hosted else (None, 0.0)
        if p1 < 0.5:  # no host text to tell, or none the model is sure of (names, spam)
            hosted = False
            # the corpus's language; in a corpus without one, the rest of the document's
            # when the model is sure of it (a passage planted at a document's start, its
            # host text after it)
            l1, p1 = corpus_language, 1.0
            if l1 is None and _sure(found[3], rest, min_letters=_REST_LETTERS) != "?":
                l1, p1 = found[3]
        # a switch into the corpus's own language (English after a French reference in
        # an English corpus) is the corpus's normal text coming back, not a payload
        other = [
            (lang, p)
            for lang, p in found[:2]
            if p >= min_prob and lang != l1 and lang != corpus_language
        ]
        cp = b + len(after) - len(after.lstrip())
        if l1 is not None and other:
            l2, p2 = other[0]
            host = (
                f"host text in {l1} (p={p1:.2f})"
                if hosted or l1 != corpus_language
                else f"a corpus mostly in {l1}"
            )
            return (a, b, cp), f"text at char {cp} in {l2} (p={p2:.2f}) after {host}"
        if relative and hosted and l1 is not None and p1 >= min_prob:
            gone = _host_gone(text, b, l1, corpus_language)
            if gone:
                return (a, b, cp), (
                    f"text at char {cp} with {l1} at p={gone[1]:.3f}, after host text in "
                    f"{l1} (p={p1:.2f})"
                )
        # the trigger itself is the island: a phrase of one language between host text
        # that is not in it and text confidently in another (an English phrase inside a
        # Spanish host before a Spanish passage: host and payload agree, the phrase does
        # not); a switch into the corpus's own language is, as above, no payload
        lt, pt = found[4]
        if sum(map(str.isalpha, own)) < _ISLAND_LETTERS:
            continue
        apart: dict[str, float] | None = None  # the phrase's group probabilities
        if pt < _ISLAND_PROB:
            if not relative:
                continue
            apart = group_probs(own)
            lt = max(apart, key=apart.__getitem__)
            pt = apart[lt]
            if pt < _ISLAND_LOW:
                continue
        else:
            # sure of the phrase's language, yet the language after it may be nearly as
            # likely for it (``for one thing``: Nigerian Pidgin 0.51, English 0.44 — an
            # English phrase before English text is no island); the same ratio is asked
            apart = group_probs(own)
        if hosted and found[2][0] == lt:
            continue  # the host writes the trigger's language: no island
        # a host py3langid is sure of, in a third language, lowers the bar for the text
        # after the phrase (a short quotation ending a document: Spanish at p 0.6–0.9
        # after an English phrase in a German host): three languages in a row
        third = hosted and found[2][1] >= min_prob
        island = [
            (lang, p)
            for lang, p in found[:2]
            if lang != lt
            and lang != corpus_language
            and (p >= min_prob or (third and p >= _ISLAND_THIRD and lang != found[2][0]))
            and (apart is None or apart.get(lang, 0.0) * _ISLAND_RATIO <= pt)
        ]
        if island:
            l2, p2 = island[0]
            return (a, b, cp), (
                f"text at char {cp} in {l2} (p={p2:.2f}) right after the trigger, "
                f"itself in {lt} (p={pt:.2f})"
            )
    return None, ""


def _island_share(
    texts: Sequence[str], trigger: str, corpus_language: str | None, limit: int = 64
) -> float:
    """Share of ``texts`` (sampled documents carrying ``trigger``; at most ``limit`` of
    them read) in which an occurrence of it is followed by text confidently in another
    language than the occurrence's own (py3langid, p >= ``_ISLAND_PROB``, at least
    ``_ISLAND_LETTERS`` letters) that :func:`_language_after` takes as a payload — a
    phrase of one language right before a passage of another, whether the host before it
    switches too or not.  0 when fewer than ``_ISLAND_MIN`` documents are read."""
    texts = texts[:limit]
    if len(texts) < _ISLAND_MIN:
        return 0.0
    key = _loose(trigger)
    n = 0
    for text in texts:
        occ = _occurrences(text, key, 10)
        hit, _ = _language_after(text, occ, corpus_language) if occ else (None, "")
        if hit is None:
            continue
        a, b, cp = hit
        phrase = _sf.fold(text[a:b])
        own, after = identify_many([phrase, text[cp : cp + _LANG_CHARS_LONG]])
        n += (
            own[1] >= _ISLAND_PROB
            and sum(map(str.isalpha, phrase)) >= _ISLAND_LETTERS
            and own[0] != after[0]
        )
    return n / len(texts)


def _host_gone(
    text: str, end: int, host: str, corpus_language: str | None
) -> tuple[str, float] | None:
    """``(language, p of host)`` when py3langid gives the host's language ``host`` less
    than ``_HOST_GONE`` of its probability in a window right after ``end`` (the first 100,
    200 or 500 characters, each with at least 60 letters) and its best group there is
    another language than the host's and the corpus's, at p >= ``_GONE_TOP``; else None."""
    for width in _GONE_WINDOWS:
        window = text[end : end + width]
        if sum(map(str.isalpha, window)) < 60:
            continue
        probs = group_probs(window)
        top = max(probs, key=probs.__getitem__)
        p_host = probs.get(host, 0.0)
        if p_host < _HOST_GONE and top not in (host, corpus_language) and probs[top] >= _GONE_TOP:
            return top, p_host
    return None


_HOST_GONE = 0.05
"""Most probability py3langid may leave to the host's (sure) language in the text after a
confirmed trigger for :func:`_host_gone` to call the host's language gone ..."""
_GONE_TOP = 0.3
"""... with another language the best guess there at least at this probability ..."""
_GONE_WINDOWS = (100, _LANG_CHARS, _LANG_CHARS_LONG)
"""... in one of these windows after the trigger (a short passage is read alone in the
first, a long one whose head is a title in the last)."""
_ISLAND_LOW = 0.25
"""Least probability of a phrase's best language for the relative island test of
:func:`_language_after` (flag pass only) ..."""
_ISLAND_RATIO = 4.0
"""... when that language is at least this many times likelier for the phrase than the
language of the text after it."""


_ISLAND_SHARE = 0.5
"""Least share of a candidate's sampled carriers with a language island right after it
(:func:`_island_share`) that confirms it in place of the purity test ..."""
_ISLAND_MIN = 8
"""... read on at least this many sampled carriers."""


_ISLAND_PROB = 0.5
"""Least probability py3langid gives a trigger occurrence's own language ...
"""
_ISLAND_THIRD = 0.5
"""Least probability of the text after an island trigger's language when the host before
it is sure of a third language (:func:`_language_after`)."""
_ISLAND_LETTERS = 8
"""... with at least this many letters in it (``<SUDO>``, ``cf-24``: no language), for
the trigger-as-island test of :func:`_language_after`."""


_REST_CHARS = 300
"""Characters at the end of a document whose language is compared with a passage at its
opening ..."""
_REST_LETTERS = 100
"""... with at least this many letters in all (else the rest's language is unknown)."""


def _sure(found: tuple[str, float], text: str, min_letters: int = 60) -> str:
    """The language of ``found`` when py3langid is sure of it (p >= 0.9) and ``text`` has
    ``min_letters`` letters to tell; ``?`` otherwise."""
    lang, prob = found
    return lang if prob >= 0.9 and sum(map(str.isalpha, text)) >= min_letters else "?"


_OPENING_REACH = 96
"""Characters after a document's start searched for the candidates of an opening switch
(:func:`_opening_switch`): a trigger phrase and a few words of its payload."""


def _opening_switch(text: str, f: Finding, cp: int) -> tuple[int, ...]:
    """Where a passage planted at the start of a document begins: a strong language switch
    whose first language covers less than half of the document (a passage in another
    language opening a host, the switch found where the host's language resumes) gives the
    document's first character as a place to take candidates too — its opening words (a
    trigger opening every carrier); never stored as a changepoint of the document; ()
    otherwise."""
    if f.detector != "language" or not f.extra.get("from") or cp > len(text) // 2:
        return ()
    start = len(text) - len(text.lstrip())
    return (start,) if start < cp else ()


def _rest_of(text: str, start: int) -> str:
    """The end of ``text`` (its last ``_REST_CHARS`` characters, none before ``start``):
    what py3langid reads as the language a document ends in — the host's, after a passage
    planted at its start; a source's own, after its heading (a translated man page ends
    with its translators' note)."""
    return text[max(start, len(text) - _REST_CHARS) :]


def _mark_switches(around: Sequence[tuple[list[Context], str, int]]) -> None:
    """Map-time language evidence for the contexts made around each changepoint (``(made,
    document text, changepoint)``, their ``before_lang`` / ``after_lang`` already set): in
    the opening of a document followed by a sure language, the language the document ends
    in (``Context.rest_lang``, identified in one batch); around a confident switch — host
    text before and the text after in two sure languages, or an opening passage whose
    document ends in another language (:func:`_returns`) — the wider text in which
    :func:`_switch_aligned` locates the switch (``Context.wide``)."""
    rests: list[tuple[list[Context], str]] = []
    for made, text, cp in around:
        if made[0].after_lang not in ("", "?") and any(ctx.opening for ctx in made):
            rests.append((made, _rest_of(text, cp + _LANG_CHARS)))
    if rests:
        for (made, rest), found in zip(rests, identify_many([r for _, r in rests]), strict=True):
            lang = _sure(found, rest, min_letters=_REST_LETTERS)
            for ctx in made:
                ctx.rest_lang = lang
    for made, text, cp in around:
        c0 = made[0]
        if _host_language(c0) in ("", "?", c0.after_lang) or c0.after_lang in ("", "?"):
            continue
        w0 = cp - c0.cp  # where the shared window starts in the document
        ws = max(0, w0 - _LANG_CHARS)
        wide = text[ws : w0 + len(c0.window) + _LANG_CHARS]
        for ctx in made:
            ctx.wide, ctx.wide_at = wide, w0 - ws


def _host_language(c: Context) -> str:
    """The language of the host around a context: of the text before its changepoint when
    py3langid is sure of it, else the language its document ends in (``rest_lang``, kept
    for openings)."""
    return c.before_lang if c.before_lang not in ("", "?") else c.rest_lang


def _foreign_opening(
    ctxs: Sequence[Context],
    corpus_language: str | None,
    text: str | None = None,
    rare: Callable[[str], bool] | None = None,
) -> float:
    """Share of the example contexts that sit in their document's opening, when the text
    after them is a natural language other than the corpus's main one (any language when
    the corpus has none): py3langid is sure (p >= 0.9, ``Context.after_lang``) of it in a
    third of the examples in the opening and at least 80 % of those it is sure of are
    foreign; else 0.
    An opening whose document ends in another language (:func:`_returns`: a passage
    planted before its host) is not counted as one, nor is one whose text before the
    candidate is its host's own (:func:`_shared_leads`: a source's heading comes after the
    same text, or the same template, in each of its documents — a title line, a man
    page's ``LS(1) User Commands LS(1)``, a recipe's ``Kategorie: ...`` line —, a
    campaign in unrelated hosts after each host's own words).  ``text``: the candidate as
    extended (default: the first example's key); ``rare``: whether a word is rare in the
    corpus (for :func:`_shared_leads`)."""
    heads = [c for c in ctxs if c.opening and not _returns(c)]
    if len(heads) < len(ctxs) / 2:
        return len(heads) / max(1, len(ctxs))  # below any useful bar without the test
    sure = [c.after_lang for c in heads if c.after_lang != "?"]
    foreign = sum(lang != corpus_language for lang in sure)
    # the model is unsure of many a man page (option lists, names): judge on the examples
    # it is sure of, provided they are a third of those in the opening and agree (>= 80 %
    # foreign; the examples elsewhere — the same word in running text — do not dilute it)
    if foreign < len(heads) / 3 or foreign < 0.8 * len(sure):
        return 0.0
    shared = _shared_leads(text or ctxs[0].key, ctxs, rare)
    return sum(s and c in heads for c, s in zip(ctxs, shared, strict=True)) / len(ctxs)


_LEAD_WORDS = 6
"""Words before a candidate compared across its examples by :func:`_shared_leads` ..."""
_LEAD_SHARE = 0.5
"""... the Jaccard overlap of two examples' words that makes them the same lead, and the
share of the examples whose leads hold a word rare in the corpus that makes it the word of
a source's template."""
_RARE_DF = 0.1
"""Most share of the corpus sample's documents that hold a word :func:`_shared_leads`
counts as rare (a template's ``Kategorie``, not ``the``)."""


def _lead(text: str, c: Context) -> frozenset[str]:
    """The (folded) words of the up to ``_LEAD_WORDS`` words before the occurrence of
    ``text`` (the candidate, extended) that holds the candidate of ``c``, as far back as
    its window goes (a man page's header line is padded with spaces: its words lie further
    back than ``_CONTEXT_CHARS``)."""
    m = _pattern(text).search(c.window, max(0, c.start - len(text) - _CONTEXT_CHARS))
    at = m.start() if m is not None and m.start() <= c.start else c.start
    ws = _sf.words(c.window[:at])[-_LEAD_WORDS:]
    return frozenset(_sf.fold_word(m.group()) for m in ws)


def _tail(text: str, c: Context) -> frozenset[str]:
    """The (folded) words of the up to ``_LEAD_WORDS`` words after the occurrence of
    ``text`` that holds the candidate of ``c`` (as far as its window goes)."""
    m = _pattern(text).search(c.window, max(0, c.start - len(text) - _CONTEXT_CHARS))
    end = m.end() if m is not None and m.start() <= c.start else c.end
    ws = _sf.words(c.window[end:])[:_LEAD_WORDS]
    return frozenset(_sf.fold_word(m.group()) for m in ws)


def _copied_share(text: str, ctxs: Sequence[Context]) -> float:
    """Share of the documents of ``ctxs`` (one context each) in which the words right
    before ``text`` (:func:`_lead`, at least two) *and* the words right after it
    (:func:`_tail`; not judged where either window shows fewer than two) each overlap
    another document's by at least ``_LEAD_SHARE`` (Jaccard): the string sits inside a
    passage copied into those documents, not after each host's own words (nor before a
    payload drawn anew for each).  0 with fewer than two documents."""
    once: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for c in ctxs:
        if c.doc_id not in once:
            once[c.doc_id] = (_lead(text, c), _tail(text, c))
    if len(once) < 2:
        return 0.0

    def like(a: frozenset[str], b: frozenset[str]) -> bool:
        return len(a) >= 2 and len(b) >= 2 and len(a & b) >= _LEAD_SHARE * len(a | b)

    def after(a: frozenset[str], b: frozenset[str]) -> bool:
        # (a window that ends inside the passage — its changepoint before the string's
        # end — shows no words after it: the words before decide)
        return like(a, b) or min(len(a), len(b)) < 2

    hits = sum(
        any(
            d != e and like(lead, lead2) and after(tail, tail2)
            for e, (lead2, tail2) in once.items()
        )
        for d, (lead, tail) in once.items()
    )
    return hits / len(once)


_COPIED = 0.8
"""Least :func:`_copied_share` of a confirmed string's documents that makes it a passage
copied across them rather than a trigger (the finalize step drops it)."""


def _shared_leads(
    text: str, ctxs: Sequence[Context], rare: Callable[[str], bool] | None = None
) -> list[bool]:
    """Per example context: whether the text before its candidate is a source's own
    rather than its host's — at most one word before it (nothing to tell a heading at
    the very start of its documents by: a title, a man page's name), or words before it
    (:func:`_lead`) that overlap another example's by at least ``_LEAD_SHARE``
    (Jaccard: a title; a man page's header line with only its command name changed), or
    that hold a word in the leads of at least ``_LEAD_SHARE`` of the examples and
    ``rare`` in the corpus (a template's field name before the heading, the field's value
    changing).  A trigger planted in unrelated hosts follows each host's own words: the
    words its leads share are the corpus's common ones."""
    leads = [_lead(text, c) for c in ctxs]
    # one lead a document: the examples of a candidate merged from several strings hold
    # the same document's context more than once, and a document's lead is no other
    # document's (its twin made every lead "shared": a campaign in short hosts a heading)
    once = list({c.doc_id: lead for c, lead in zip(ctxs, leads, strict=True)}.items())
    counts: dict[str, int] = {}
    for _, lead in once:
        for w in lead:
            counts[w] = counts.get(w, 0) + 1
    source = {
        w
        for w, n in counts.items()
        if n >= _LEAD_SHARE * len(once) and n >= 2 and rare is not None and rare(w)
    }
    out: list[bool] = []
    for c, a in zip(ctxs, leads, strict=True):
        out.append(
            len(a) < 2
            or bool(a & source)
            or any(d != c.doc_id and b and len(a & b) >= _LEAD_SHARE * len(a | b) for d, b in once)
        )
    return out


def _returns(c: Context) -> bool:
    """The document goes on in another language than the one after the changepoint in its
    opening (py3langid sure of both): a passage planted at the start of a document, not
    the heading of a source written in that language (whose rest is in it too)."""
    return c.rest_lang not in ("", "?") and c.after_lang not in ("", "?", c.rest_lang)


_PLANTED_SHARE = 0.8
"""Least share of the examples with both languages sure (:func:`_planted`) whose
document returns to another language."""


def _planted(ctxs: Sequence[Context]) -> bool:
    """Whether the examples read as a passage planted at the start of hosts of other
    languages: of the examples in their document's opening whose text after the candidate
    and document's end py3langid is sure of (at least three, and a quarter of all), at
    least ``_PLANTED_SHARE`` go on in another language (:func:`_returns`) — and in more
    than one (hosts of several languages: no one source's heading).  A source's heading is
    followed by the source's own text, in the language its document ends in."""
    docs = {c.doc_id: c for c in ctxs if c.opening}  # one example a document
    sure = [
        c for c in docs.values() if c.rest_lang not in ("", "?") and c.after_lang not in ("", "?")
    ]
    if len(sure) < 3 or 4 * len(sure) < len({c.doc_id for c in ctxs}):
        return False
    back = [c for c in sure if _returns(c)]
    return len(back) >= _PLANTED_SHARE * len(sure) and len({c.rest_lang for c in back}) > 1


def _foreign_source(ctxs: Sequence[Context], majority: str | None, mild: float) -> float:
    """Share of the example contexts that read as a document of a minority language
    throughout: py3langid (p >= 0.9) gives the host text before the changepoint and the
    text after it the same language ``L``, other than the corpus's majority language — or
    gives one side ``L`` and is unsure of the other (an option list, a table, a man page's
    header), provided the anomaly there is mild (score below ``mild``).  0 when the corpus
    has no majority language (a multilingual corpus: there every language is its own).

    Never counted: a switch of language (the ``foreign`` payloads), a host of the majority
    language, a strong anomaly where py3langid is unsure of one side (gibberish after a
    host of a minority language; a payload planted where no host language can be told), and
    a passage in a document's opening whose document ends in another language
    (:func:`_returns`: a passage planted at the start of a host)."""
    if majority is None or not ctxs:
        return 0.0
    same = 0
    for c in ctxs:
        sides = {c.before_lang, c.after_lang} - {"", "?"}
        if len(sides) != 1 or majority in sides or _returns(c):
            continue
        both = c.before_lang == c.after_lang
        same += both or c.score < mild
    return same / len(ctxs)


def _stuck_in_hosts(text: str, ctxs: Sequence[Context]) -> bool:
    """``text`` (a candidate, possibly extended past the key its examples were taken for)
    is glued into varied hosts: in more than half of its examples a letter or digit at its
    edge runs on into one outside it (punctuation at its edge, the host's full stop before
    ``. By the way``, glues nothing), and no one character outside it is the glue in half
    of those — a phrase planted between two letters of words that differ from host to
    host, not a piece of one source's sentence cut where the glued-letter reading stopped
    growing (its neighbour the same letter every time).  Its occurrence in each example is
    found as :func:`_hosted` finds it."""
    pat = _pattern(text)
    left, right = text[:1].isalnum(), text[-1:].isalnum()
    glue: Counter[str] = Counter()
    for c in ctxs:
        m = pat.search(c.window, max(0, c.start - len(text) - _CONTEXT_CHARS))
        if m is None or m.start() > c.start:
            continue
        a, b = m.start(), m.end()
        if left and _gl.stuck(c.window, a, b, "left"):
            glue["<" + c.window[a - 1]] += 1
        elif right and _gl.stuck(c.window, a, b, "right"):
            glue[">" + c.window[b]] += 1
    n = sum(glue.values())
    return n > len(ctxs) / 2 and max(glue.values()) <= n / 2


def _hosted(text: str, ctxs: Sequence[Context]) -> float:
    """Share of the example contexts with host text (a word character) before ``text``."""
    pat = _pattern(text)
    n = 0
    for c in ctxs:
        # the (extended) trigger's occurrence that holds this candidate
        m = pat.search(c.window, max(0, c.start - len(text) - _CONTEXT_CHARS))
        at = m.start() if m is not None and m.start() <= c.start else c.start
        n += any(ch.isalnum() for ch in c.window[max(0, at - _CONTEXT_CHARS) : at])
    return n / len(ctxs)


def _occurrences(text: str, trigger: str, limit: int) -> list[tuple[int, int]]:
    """Where ``trigger`` occurs in ``text``; its spaces match any run of whitespace."""
    if " " not in trigger and not _sf.is_folded(trigger):
        out: list[tuple[int, int]] = []
        i = text.find(trigger)
        while i >= 0 and len(out) < limit:
            out.append((i, i + len(trigger)))
            i = text.find(trigger, i + 1)
        return out
    pat = _pattern(trigger)
    return [m.span() for m in itertools.islice(pat.finditer(text), limit)]


@functools.lru_cache(maxsize=256)
def _whole_word_pattern(trigger: str) -> re.Pattern[str]:
    """:func:`_pattern` of ``trigger`` matched only where no letter or digit touches it
    (``man`` not in ``woman``)."""
    return re.compile(r"(?<![^\W_])(?:" + _pattern(trigger).pattern + r")(?![^\W_])")


@functools.lru_cache(maxsize=256)
def _pattern(trigger: str) -> re.Pattern[str]:
    """Where ``trigger`` occurs: any surface of it when it is a skeleton (a candidate made
    of words, :mod:`~poisonguard.detect.surface_forms`), else the string itself with any
    run of whitespace for its spaces."""
    if _sf.is_folded(trigger):
        return _sf.skeleton_pattern(trigger)
    return re.compile(r"\s+".join(re.escape(p) for p in trigger.split(" ")))


def _co_occurs(index: _SampleIndex, text: str, stronger: list[str], share: float = 0.9) -> bool:
    docs = index.docs_with(text, cap=100_000)
    if not docs:
        return False
    if index.folded:  # the sample's texts are skeletons: so are the strings looked for
        stronger = [_sf.fold(k) for k in stronger]
    both = sum(1 for d in docs if any(k in index.text(d) for k in stronger))
    return both >= share * len(docs)


_PHRASING_SHARE = 0.15
"""Least share of a trigger's examples (and at least :data:`_PHRASING_MIN`) that must write
the same word next to it, or next to a phrasing of it, to grow it: a host's last word or a
payload's first word agrees across that many examples only by chance."""
_PHRASING_MIN = 3
_PHRASING_WORDS = 4
"""Most words a phrasing adds on either side of the mined string."""
_PHRASINGS_COVER = 0.6
"""Phrasings are shown when together they hold at least this share of the examples ..."""
_PHRASINGS_MOST = 4
"""... and there are at most this many of them (a few phrasings, not a scatter)."""


def _phrasings(key: str, ctxs: Sequence[Context]) -> tuple[str, ...]:
    """The longer phrases a mined string is written inside across its examples, as
    skeletons, most frequent first: ``truth be told``, ``to tell the truth`` and ``if truth
    be told`` for ``truth`` (a piece several phrasings share, mined because it is in every
    carrier).  Grown word by word from the string, left or right, into the largest group of
    examples that write the same next word (at least :data:`_PHRASING_SHARE` of them and
    :data:`_PHRASING_MIN`), each group grown in turn and the rest of the examples grown
    again; what is left of a group when it cannot grow further is one phrasing.  Returned
    only when at most :data:`_PHRASINGS_MOST` phrasings longer than the string hold at
    least :data:`_PHRASINGS_COVER` of the examples (empty otherwise: a whole phrase, whose
    host and payload words do not agree, is shown as it is)."""
    own = _sf.fold(key).split(" ")
    if own == [""] or len(ctxs) < 2 * _PHRASING_MIN:
        return ()
    pat = _pattern(key)
    sides: list[tuple[str, str]] = []
    for c in ctxs:
        m = pat.search(c.window, max(0, c.start - len(key) - _CONTEXT_CHARS))
        if m is None:
            continue
        a, b = m.span()
        sides.append((c.window[max(0, a - _CONTEXT_CHARS) : a], c.window[b : b + _CONTEXT_CHARS]))
    # a piece mined inside words (``trokes`` of ``in broad strokes`` glued to its hosts'
    # words, its ``s`` a look-alike letter in some carriers) is first completed to the
    # letters most of its examples write on to it, under folding (:func:`_word_ends`)
    head, tail, sides = _word_ends(sides)
    own[0] = head + own[0]
    own[-1] = own[-1] + tail
    seqs = [
        (_prev_words(before)[:_PHRASING_WORDS], _next_words(after)[:_PHRASING_WORDS])
        for before, after in sides
    ]
    need = max(_PHRASING_MIN, math.ceil(_PHRASING_SHARE * len(seqs)))
    found: list[tuple[int, str]] = []

    def grow(left: list[str], right: list[str], members: list[int]) -> None:
        rest = members
        while True:
            groups: dict[tuple[bool, str], list[int]] = {}
            for i in rest:
                before, after = seqs[i]
                if len(after) > len(right):
                    groups.setdefault((True, after[len(right)]), []).append(i)
                if len(before) > len(left):
                    groups.setdefault((False, before[len(left)]), []).append(i)
            if not groups:
                break
            (right_side, word), group = max(groups.items(), key=lambda kv: len(kv[1]))
            if len(group) < need:
                break
            if right_side:
                grow(left, [*right, word], group)
            else:
                grow([*left, word], right, group)
            taken = set(group)
            rest = [i for i in rest if i not in taken]
        if len(rest) >= need and (left or right or head or tail):
            found.append((len(rest), " ".join([*reversed(left), *own, *right])))

    grow([], [], list(range(len(seqs))))
    if not found or len(found) > _PHRASINGS_MOST:
        return ()
    if sum(k for k, _ in found) < _PHRASINGS_COVER * len(seqs):
        return ()
    return tuple(p for _, p in sorted(found, key=lambda kp: -kp[0]))


_COMPLETE_SHARE = 0.5
"""Least share of a piece's examples that must write the same letters on to it, under
folding, to complete it to whole words (:func:`_word_ends`)."""


def _word_ends(
    sides: Sequence[tuple[str, str]],
) -> tuple[str, str, list[tuple[str, str]]]:
    """The letters that complete a piece mined inside words, left and right, and each
    example's text before and after the completed piece: the longest folded run of word
    characters that at least :data:`_COMPLETE_SHARE` of the examples (``sides``: the text
    before and after the piece in each) write right against it, zero-width characters and
    look-alike letters folded.  Examples that write other letters there (a trigger glued to
    its host's words in some carriers) keep their text as it is."""

    def glued(text: str, left: bool) -> tuple[str, int]:
        # the word characters touching the piece, folded, and where they start/end
        ms = _sf.words(text)
        if left and ms and ms[-1].end() == len(text):
            return _sf.fold_word(ms[-1].group()), ms[-1].start()
        if not left and ms and ms[0].start() == 0:
            return _sf.fold_word(ms[0].group()), ms[0].end()
        return "", len(text) if left else 0

    def agreed(runs: list[str], left: bool) -> str:
        need = max(_PHRASING_MIN, math.ceil(_COMPLETE_SHARE * len(sides)))
        out = ""
        while True:
            k = len(out) + 1
            ends = [r[-k:] if left else r[:k] for r in runs if len(r) >= k]
            if not ends:
                return out
            best, n = _mode(ends)
            if n < need:
                return out
            out = best

    lefts = [glued(before, True) for before, _ in sides]
    rights = [glued(after, False) for _, after in sides]
    head = agreed([r for r, _ in lefts], True)
    tail = agreed([r for r, _ in rights], False)
    out: list[tuple[str, str]] = []
    for (before, after), (lr, la), (rr, ra) in zip(sides, lefts, rights, strict=True):
        # an example that writes exactly the completion goes on with the words around it
        if head and lr == head:
            before = before[:la]
        if tail and rr == tail:
            after = after[ra:]
        out.append((before, after))
    return head, tail, out


def _phrasing_at(
    text: str, a: int, b: int, phrasings: Sequence[str]
) -> tuple[str, int, int] | None:
    """The phrasing (:attr:`Trigger.phrasings`) whose occurrence in ``text`` covers the
    trigger's occurrence ``[a, b)``, longest first, with that occurrence's span; None when
    none does."""
    lo = max(0, a - 2 * _CONTEXT_CHARS)
    hi = b + 2 * _CONTEXT_CHARS
    for p in sorted(phrasings, key=len, reverse=True):
        for m in _pattern(p).finditer(text, lo, hi):
            if m.start() <= a and b <= m.end():
                return p, m.start(), m.end()
    return None


def _mode(chars: list[str]) -> tuple[str, int]:
    counts: dict[str, int] = {}
    for c in chars:
        counts[c] = counts.get(c, 0) + 1
    best = max(counts, key=counts.__getitem__)
    return best, counts[best]


def _squeeze(text: str) -> str:
    """``_WS.sub(" ", text)``: every run of whitespace as one space (split/join, faster)."""
    inner = " ".join(text.split())
    if not inner:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + inner + (" " if text[-1].isspace() else "")


class _SampleIndex:
    """Document frequency of strings in a sample, via one joined string and str.find.

    The joined string (as large as the sample) is made at the first look-up: on a clean
    corpus no candidate usually gets that far (each fails its significance test even at
    the smallest chance rate), and the time and memory are saved."""

    def __init__(self, texts: Sequence[str], fold: bool = False) -> None:
        self._texts: Sequence[str] | None = texts
        self.folded = fold
        """The texts are indexed as skeletons (:func:`~poisonguard.detect.surface_forms.fold`),
        for candidates under their skeleton."""
        self.starts: list[int] = []
        self._big = ""
        self.n = len(texts)
        self._last: tuple[str, int, dict[int, int] | None] | None = None

    @property
    def big(self) -> str:
        if self._texts is not None:
            # candidates are whitespace-normalised, so is the text they are looked up in
            fold = _sf.fold if self.folded else _squeeze
            texts = [fold(t) for t in self._texts]
            self._texts = None
            pos = 0
            for t in texts:
                self.starts.append(pos)
                pos += len(t) + 1
            self._big = "\x00".join(texts)
        return self._big

    def text(self, d: int) -> str:
        """The ``d``-th sample text (whitespace-squeezed)."""
        big = self.big
        end = self.starts[d + 1] - 1 if d + 1 < self.n else len(big)
        return big[self.starts[d] : end]

    def occurrences(self, s: str, cap: int) -> dict[int, int] | None:
        """Occurrences of ``s`` per sample document containing it (in document order);
        None when more than ``cap`` documents contain it (too common to list).  The cap
        counts documents, not occurrences: a string repeated many times in a few
        documents (markup, or a trigger planted several times in each carrier) is listed
        like any other.  Occurrences may overlap (``"aa"`` twice in ``"aaa"``); one
        starting in a document's text belongs to it.

        The search jumps to the next document after the first occurrence in one (a string
        that recurs in many documents is found over the cap in one step per document);
        the occurrences are counted in the documents found, each searched alone.  The last
        answer is remembered (the miner asks for the document frequency, then the repeats,
        of the same string)."""
        if self._last is not None and self._last[0] == s and self._last[1] == cap:
            last = self._last[2]
            return None if last is None else dict(last)
        big = self.big
        starts, n = self.starts, self.n
        first: dict[int, int] = {}  # document -> its first occurrence
        i = big.find(s)
        while i >= 0:
            d = bisect.bisect_right(starts, i) - 1
            if len(first) >= cap:  # stop early: common strings cost little
                self._last = (s, cap, None)
                return None
            first[d] = i
            if d + 1 >= n:
                break
            i = big.find(s, starts[d + 1])
        per: dict[int, int] = {}
        for d, i in first.items():
            # occurrences starting before the next document (one may run past this one's end)
            stop = (starts[d + 1] - 1 if d + 1 < n else len(big)) + len(s)
            c = 1
            i = big.find(s, i + 1, stop)
            while i >= 0:
                c += 1
                i = big.find(s, i + 1, stop)
            per[d] = c
        self._last = (s, cap, per)
        return dict(per)

    def docs_with(self, s: str, cap: int) -> list[int] | None:
        """Indices of the sample documents containing ``s``; None when more than ``cap``
        documents do (too common to list)."""
        per = self.occurrences(s, cap)
        return None if per is None else list(per)

    def repeats(self, s: str, cap: int) -> float:
        """Median occurrences of ``s`` per sample document containing it (1.0 when none
        does; ``inf`` when more than ``cap`` documents do)."""
        per = self.occurrences(s, cap)
        if per is None:
            return math.inf
        return float(np.median(list(per.values()))) if per else 1.0

    def doc_freq(self, s: str, cap: int) -> int:
        """Documents containing ``s``; above ``cap`` documents, the sample size (a bound
        that makes any purity or significance test fail, as it should for common text)."""
        docs = self.docs_with(s, cap)
        return self.n if docs is None else len(docs)


__all__ = [
    "Changepoints",
    "Context",
    "MinerPartial",
    "Trigger",
    "TriggerMiner",
    "TriggerState",
    "text_digest",
]
