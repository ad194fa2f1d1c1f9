"""Semantic claim campaigns: one claim in many phrasings across many unrelated hosts.

An attacker who has read about the exact-sentence test rotates the wording: opener × entity
alias × synonym × closer (hundreds to thousands of distinct sentences), or whole fabricated
articles that assert the claim several times.  What stays is the *proposition*: the same
content words — the entity and what is claimed about it — in one sentence, in many documents.
This module finds such sentences by meaning, not by exact string, for the ``campaigns``
detector (:class:`~poisonguard.detect.campaigns.CampaignDetector` calls it in both rounds):

* **order-free content-word sketches**: each claim-like candidate sentence becomes the set of
  its content-word stems (:func:`poisonguard.text.content_stems`: stop words dropped, light
  stemming); a MinHash of that set (:data:`BANDS` bands of :data:`ROWS` values over 32-bit
  word hashes) gives :data:`BANDS` LSH keys per sentence.  Two phrasings of one claim share a
  key with high probability; the count-min round counts each key's documents, the exact round
  keeps statistics only for keys that recur in ``min_claim_docs`` documents;
* **bursting rare terms**: the same round counts every stem's document frequency (in
  candidate sentences); a claim cluster must carry a term — the entity, an alias or a rare
  noun — that occurs mostly inside the cluster (corpus document frequency at most
  ``BURST × cluster size``): generic stock phrases ("did not immediately respond to a request
  for comment") recur across unrelated hosts too, but are made of common words;
* **clusters**: candidate keys whose member sentences share a core (stems in at least half of
  the sampled members, >= 3 of them) are joined, strongest pairs first, when they share
  sampled sentences and most of their core — and only while the joined group keeps a core of
  its own (:func:`clusters`: no chain of pairwise overlaps can drift into a core-less union
  of generic vocabulary); for the candidates only, the optional offline MiniLM
  (``poisonguard[embeddings]``,
  as the ``embeddings`` detector uses) measures how close the sampled members are in meaning
  (reported as ``embedding_cohesion``; a cluster whose members are not close in meaning is
  not a campaign).  Without the extra this check is skipped and said so in the report;
* **the independence test** stays the line between a campaign and a template, thread or
  syndication: the hosts without their recurring sentences must be unrelated (mean MinHash
  Jaccard <= 0.02 without the most similar tenth of the pairs, :func:`trimmed_host_similarity`:
  the corpus's own near-duplicates), and the wording must
  rotate (most sampled members distinct: one dominant wording is a template or a
  syndicated story).  Fabricated articles consist of little else than recurring material:
  when at least half of a cluster's sampled hosts have nothing left once every recurring
  sentence is cut out, the family is judged on its own — a family of documents about one
  bursting rare entity that repeat the same assertion (each host asserting it
  ``repeats`` times on average, >= 1.5) in rotating wording.  A templated paragraph with a
  slot ("The NINDS conducts research related to {disease} in its laboratories ...") keeps
  its *surrounding* text in every host: when most sampled members sit next to one and the
  same neighbouring sentence frame (:func:`neighbour_share`), the cluster is a template;
* **a page about it is not a host of it**: a member sentence whose rare words
  (:func:`rare_stems`) its document names elsewhere too is *anchored* — a Q&A site's pages
  about one disease restate its facts, house-style sentences name the page's subject.  A
  spliced claim is judged on its members that are not anchored (at most half of the
  sampled members may be), its entity must be concentrated in them (>= 30 % of the
  entity's documents), the hosts must not share a topic beyond chance at the corpus rates
  of their rare words (:func:`topical_hosts`), and the flag pass marks only sentences that
  are not anchored in their document.

* **a member carries the core**: a cluster is judged on its sampled members that hold most
  of its core (:func:`carries`) — a key also samples sentences that share one band of it
  and little else — and the flag pass marks only such sentences;
* **one campaign, several sub-claims**: clusters that pass every test but the bursting
  term and name a common rare word while saying different things are judged together on
  it (:func:`entity_pools`): each sub-claim names each alias of the entity in a fraction
  of its members;
* **pages about one rare entity** that all assert one ordinary-word predicate of it (the
  hosts' shared terms name the entity, the core says >= 3 things beyond them, none of them
  rare) are a fabricated-article family even though every member is anchored;
* **fabricated articles with no host at all** (the ``hostless`` route, 2026-12-04): the whole
  document is the payload, so most sampled hosts are nothing but recurring material and the
  hosts' shared terms swallow the claim's own words (no predicate is left beyond them).  A
  family of >= 60 carrying documents whose members name a bursting entity elsewhere in their
  document (a bursting word anchors here: 250 articles make the name too common to be rare),
  whose hosts share a topic naming that word, with no rare predicate word and — only with the
  ``embeddings`` extra — MiniLM cohesion >= 0.6 is such a family.  One site's pages restating
  a template keep text of their own once it is cut out: refused.  A burst takes the route
  too (task G4): at 250 articles the claim is whole only in the burst of its own verb.

The count round keeps three sketches apart (``CampaignDetector.channels``): exact sentences,
the semantic sketch keys (twice as wide) and the stems' document frequencies — at 20,000
medical documents they receive about 0.24 M, 3.3 M and 1.5 M keys; one shared 2**21-wide
sketch let keys of one kind inflate the estimates of another.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from poisonguard.detect.campaigns_base import (
    EXAMPLE_CAP,
    SOURCE_CAP,
    Campaign,
    merge_examples,
    merge_sources,
)
from poisonguard.detect.sketches import CountMinSketch, host_similarity
from poisonguard.text import STOPWORDS, WORD_RE, stem

BANDS = 16
"""LSH bands per sentence sketch."""
ROWS = 2
"""MinHash values per band: two phrasings sharing a third of their stems share a band key
with probability about 0.1 per band, 1 - 0.9**16 = 0.8 over all bands."""
_SAMPLE_CAP = 24  # member sentences kept per key (bottom-k by sentence hash)
_HOST_CAP = 12
HOST_TERMS = 64
"""Rarest content stems kept per sampled host (the topic test, :func:`topical_hosts`)."""
TOPIC_ALPHA = 0.01
"""Family-wise level of the topic test: hosts share a topic when one of their terms is in
more of them than chance at the term's corpus rate allows, Bonferroni over the terms."""
_DOC_CAP = 512
_MIN_STEMS, _MAX_STEMS = 4, 40
BURST = 2.0
"""A term bursts with a cluster when its corpus document frequency is at most this many times
the cluster's size."""
RARE = 0.01
"""A word is rare in under this share of the corpus's documents (:func:`rare_stems`)."""
_CONCENTRATION = 0.3  # share of a bursting term's documents that must be the cluster's
_BURST_SHARE = 0.2  # a bursting term must be in this share (and >= 2) of the sampled members
_CORE_SHARE = 0.5
_JOIN = 0.4  # core Jaccard from which two keys sampling one sentence are one proposition
_KEEP_CORE = 0.5  # share of a group's core a join must keep, unless both cores hold what it
# loses (:func:`clusters`, :func:`_loses_own_core`)
_CORE_MAX = 0.6  # mean share of a member's stems in the core above which it is a template
_TEMPLATE = 0.3  # share of members with one frame from which a cluster is a template
_SIBLING_DOCS = 0.5  # share of a sub-claim's sampled documents that must be its campaign's
_SIBLING_NAMED = 0.9  # ... or of its members naming the campaign's own entity (one claim each)
_OWN_ENTITY_DF = 2.0  # an entity in at most this many times a campaign's documents is its own
_EDGE = 0.6  # share of members at a document's first/last unit above which, unless the hosts
# are shown unrelated, a cluster is a notice or sign-off
_GLUED = 0.3  # share of members next to one neighbouring frame from which it is a template
_SPLICED_FIT = 0.06  # a spliced claim shares at most this share of its stems with its host
_MIN_JACCARD = 0.08  # mean Jaccard of a cluster's members: they say one thing
_RELATED_FROM, _RELATED_FULL = 0.02, 0.05
_FABRICATED_DOCS = 60  # documents a fabricated-article family needs
_COHESION = 0.5  # MiniLM cohesion (mean pairwise cosine) a passing cluster's members need
_SPLICED_COHESION = 0.6  # ... and a spliced claim's (hosts unrelated: no page holds it)
_ANCHORED = 0.5  # share of members whose host names their rare words elsewhere: about it
_CARRIED = 1 / 3  # share of a cluster's sampled members that must carry its core
_POOL_OVERLAP = 0.2  # most core Jaccard of two clusters pooled as one campaign's claims
_MIN_HOSTS = 3  # host signatures (hosts with text left) the independence test needs
_MASK32 = np.uint64(0xFFFFFFFF)
_SALT_KEY = np.uint64(0x5E3A_11C0_FFEE_D00D)
_SALT_DF = np.uint64(0xD0C5_F00D_0000_0000)


class Sample(NamedTuple):
    """One sampled member sentence of a key, as its table keeps it (:func:`add_sample`).

    Tables dumped before 2026-12-04 have the first seven fields only (and tests build
    shorter tuples): :func:`as_sample` gives the later ones their defaults."""

    text: str
    """The sentence (its first 300 characters)."""
    stems: tuple[str, ...]
    """Its content stems, sorted."""
    fit: float
    """Share of its stems found elsewhere in its host (topic fit)."""
    before: int
    """Frame hash of the previous unit (0: none, the document's start)."""
    after: int
    """Frame hash of the next unit (0: none, the document's end)."""
    elsewhere: tuple[str, ...]
    """Its stems that also occur elsewhere in its document, short lines included
    (:func:`judge`'s anchoring)."""
    host: int = 0
    """The hash of its document's id (the key of its host in ``ClaimKeyStats.hosts`` /
    ``terms`` when the host is sampled, :data:`SAMPLE_GATE`); 0: unknown."""
    apart: tuple[str, ...] | None = None
    """Its stems that occur in a unit of its document that is no recurring claim-like
    sentence itself (None: unknown, read as :attr:`elsewhere`)."""
    beside: tuple[tuple[str, ...], ...] = ()
    """The stems of up to four recurring claim-like sentences of its document that name one
    of its stems: what anchors a member of a burst (:func:`bursts`)."""


def as_sample(smp: Sequence[Any]) -> Sample:
    """``smp`` as a :class:`Sample` (a plain tuple of an older table: 6-9 fields)."""
    return smp if isinstance(smp, Sample) else Sample(*smp)


class Member(NamedTuple):
    """What the exact round knows of one member sentence of a sampled document before a
    key keeps it (the arguments of :func:`add_sample` after the sentence hash)."""

    text: str
    stems: frozenset[str]
    fit: float
    edge: bool | None
    """Whether it is its document's first or last unit (None: fewer than three units)."""
    around: tuple[int, int]
    """The frame hashes of its neighbouring units (0: none)."""
    elsewhere: frozenset[str]
    host: int
    apart: frozenset[str]
    beside: tuple[tuple[str, ...], ...]


class _StemTable(dict[str, str]):
    """Word → its stem, ``""`` for a word that is no content word (bounded memo)."""

    def __missing__(self, word: str) -> str:
        s = stem(word) if len(word) > 2 and word not in STOPWORDS and word.isalpha() else ""
        if len(self) < _STEM_TABLE_CAP:
            self[word] = s
        return s


_STEM_TABLE_CAP = 1 << 18
_STEMS = _StemTable()
_NOT_CONTENT = frozenset({""})


def content_stems_of(norm: str) -> frozenset[str]:
    """:func:`poisonguard.text.content_stems` of ``norm`` (the same set), each word looked
    up once in a table of words seen before (the semantic stage stems every candidate
    sentence of the corpus; its words repeat)."""
    got = frozenset(map(_STEMS.__getitem__, norm.split()))
    return got - _NOT_CONTENT if "" in got else got


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (vectorised, wrap-around intended)."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def word_hashes(stems: Sequence[str]) -> np.ndarray:
    """Stable 32-bit hashes (CRC-32) of stems, as uint64."""
    return np.fromiter((zlib.crc32(s.encode()) for s in stems), dtype=np.uint64, count=len(stems))


def df_keys(stems: Sequence[str]) -> np.ndarray:
    """Count-min keys of the stems' document frequencies (distinct from sentence keys)."""
    return _mix(word_hashes(stems) ^ _SALT_DF)


def permutations(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``BANDS × ROWS`` affine permutations (mod 2**32) of the sentence sketches."""
    rng = np.random.default_rng(seed + 0x5E)
    n = BANDS * ROWS
    a = rng.integers(1, 1 << 32, size=n, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 1 << 32, size=n, dtype=np.uint64)
    return a, b


def sketch_keys(
    stem_sets: Sequence[Sequence[str]], perm: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """LSH keys of each stem set's MinHash: a ``(len(stem_sets), BANDS)`` uint64 array.

    All sets are hashed at once: one (stems × permutations) matrix, minimum per set.
    """
    out = np.zeros((len(stem_sets), BANDS), dtype=np.uint64)
    if not stem_sets:
        return out
    lens = np.fromiter(map(len, stem_sets), dtype=np.int64, count=len(stem_sets))
    h = word_hashes([s for st in stem_sets for s in st])
    a, b = perm
    with np.errstate(over="ignore"):
        v = (h[:, None] * a[None, :] + b[None, :]) & _MASK32
    starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
    mins = np.minimum.reduceat(v, starts, axis=0)  # every set has >= _MIN_STEMS stems
    pairs = mins.reshape(len(stem_sets), BANDS, ROWS)
    band = np.arange(BANDS, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        key = (pairs[:, :, 0] << np.uint64(32)) | pairs[:, :, 1]
        key = _mix(key ^ _mix(band + _SALT_KEY))
    out[:] = key
    return out


def claim_like(norm: str, stems: frozenset[str]) -> bool:
    """Cheap pre-filter of candidate sentences: enough content, not a list of names."""
    return _MIN_STEMS <= len(stems) <= _MAX_STEMS and norm.count(" ") < 80


@dataclass(slots=True)
class ClaimKeyStats:
    """Exact statistics of one semantic LSH key (sentences sharing one band of their
    content-word MinHash)."""

    count: int = 0
    sources: set[int] = field(default_factory=set)
    sources_overflow: bool = False
    examples: list[str] = field(default_factory=list)
    samples: dict[int, Sample] = field(default_factory=dict)
    """Sentence hash → :data:`Sample` of up to ``_SAMPLE_CAP`` members (the smallest
    hashes: the same sentences are sampled by every key they share)."""
    hosts: dict[int, np.ndarray | None] = field(default_factory=dict)
    """Host signatures (document without its recurring sentences; None: nothing left),
    keyed by the hash of the document id, the ``_HOST_CAP`` smallest."""
    edge: int = 0
    placed: int = 0
    repeats: int = 0
    """Member sentences counted (a document asserting the claim twice counts 2)."""
    docs: set[int] = field(default_factory=set)
    """Id hashes of the sampled member documents (below :data:`SAMPLE_GATE`, at most
    ``_DOC_CAP``): their union over a cluster's keys estimates its size."""
    terms: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """The rarest content stems (at most :data:`HOST_TERMS`) of the sampled hosts with text
    left, keyed like ``hosts``: what the hosts are about (:func:`topical_hosts`)."""
    said: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """The content stems of the member sentence that made each sampled host a member, keyed
    like ``hosts``: a sample of the key's *documents* (the sentence samples count each
    distinct sentence once, however many pages repeat it), read by :func:`_carrying_key`."""

    def merge(self, other: ClaimKeyStats) -> None:
        self.count += other.count
        merge_sources(self, other)
        merge_examples(self.examples, other.examples)
        self.samples.update(other.samples)
        _bottom(self.samples, _SAMPLE_CAP)
        self.hosts.update(other.hosts)
        _bottom(self.hosts, _HOST_CAP)
        self.terms.update(other.terms)
        _bottom(self.terms, _HOST_CAP)
        self.said.update(other.said)
        _bottom(self.said, _HOST_CAP)
        self.edge += other.edge
        self.placed += other.placed
        self.repeats += other.repeats
        self.docs |= other.docs
        if len(self.docs) > _DOC_CAP:
            self.docs = set(sorted(self.docs)[:_DOC_CAP])

    def copy(self) -> ClaimKeyStats:
        return ClaimKeyStats(
            count=self.count,
            sources=set(self.sources),
            sources_overflow=self.sources_overflow,
            examples=list(self.examples),
            samples=dict(self.samples),
            hosts=dict(self.hosts),
            edge=self.edge,
            placed=self.placed,
            repeats=self.repeats,
            docs=set(self.docs),
            terms=dict(self.terms),
            said=dict(self.said),
        )


def _bottom(d: dict[int, Any], cap: int) -> None:
    if len(d) > cap:
        for k in sorted(d)[cap:]:
            del d[k]


SAMPLE_GATE = 1 << 62
"""Hosts (by id hash) below this (1/4 of the 64-bit range) are the ones sampled: their
signatures and topic terms are computed (and their count estimates a cluster's size), the
others are only counted."""
SENTENCE_GATE = 1 << 64
"""Member sentences (by hash) below this are sampled (offsets, neighbours, anchoring): every
one since 2026-12-02 night — with 1 in 4, a 100-document campaign split into sub-claims
kept 4-15 sampled sentences per cluster, so one off-frame sample moved the template and
neighbour shares past 0.3 and an alias in a quarter of the members fell under the
bursting term's 20 % share.  Each key still keeps its :data:`_SAMPLE_CAP` smallest."""


def add_sample(
    st: ClaimKeyStats,
    sentence_hash: int,
    text: str,
    stems: frozenset[str],
    fit: float,
    edge: bool | None,
    around: tuple[int, int] = (0, 0),
    elsewhere: frozenset[str] = frozenset(),
    host: int = 0,
    apart: frozenset[str] | None = None,
    beside: tuple[tuple[str, ...], ...] = (),
) -> None:
    """Keep one sampled member sentence of key ``st`` (bottom-k by sentence hash); ``fit``:
    share of its stems found elsewhere in the host; ``edge``: whether it is the host's
    first/last unit (None when the host has fewer than three units); ``around``: the frame
    hashes of its neighbouring units (0: none); ``elsewhere``: its stems that occur in
    another unit of the document too; ``host``: the hash of its document's id; ``apart``:
    its stems that occur in a unit that is no recurring claim-like sentence (None: as
    ``elsewhere``); ``beside``: the stems of the recurring claim-like sentences of its
    document that name one of its stems."""
    if edge is not None:
        st.placed += 1
        st.edge += int(edge)
    if len(st.samples) < _SAMPLE_CAP or sentence_hash < max(st.samples):
        st.samples[sentence_hash] = Sample(
            text[:300],
            tuple(sorted(stems)),
            round(fit, 3),
            *around,
            tuple(sorted(elsewhere)),
            host,
            tuple(sorted(elsewhere if apart is None else apart)),
            beside,
        )
        _bottom(st.samples, _SAMPLE_CAP)


def add_host(
    st: ClaimKeyStats,
    host_key: int,
    host_sig: np.ndarray | None,
    terms: tuple[str, ...] = (),
    said: tuple[str, ...] = (),
) -> None:
    """Keep one sampled host signature of key ``st`` (bottom-k by id hash; None: nothing
    was left of the host once its recurring sentences were cut out), the host's rarest
    content stems ``terms`` (:func:`host_terms`) and the stems of the sentence that made
    it a member ``said``."""
    if len(st.docs) < _DOC_CAP:
        st.docs.add(host_key)
    if len(st.hosts) < _HOST_CAP or host_key < max(st.hosts):
        st.hosts[host_key] = host_sig
        _bottom(st.hosts, _HOST_CAP)
        if said:
            st.said[host_key] = said
            _bottom(st.said, _HOST_CAP)
    if terms and (len(st.terms) < _HOST_CAP or host_key < max(st.terms)):
        st.terms[host_key] = terms
        _bottom(st.terms, _HOST_CAP)


def host_terms(stems: frozenset[str], df: CountMinSketch | None) -> tuple[str, ...]:
    """The :data:`HOST_TERMS` rarest of a host's content stems by corpus document frequency
    (the count round's stem sketch; all of them, sorted, without one)."""
    if not stems:
        return ()
    ordered = sorted(stems)
    if df is None or len(ordered) <= HOST_TERMS:
        return tuple(ordered[:HOST_TERMS])
    est = df.estimate(df_keys(ordered))
    pick = np.argsort(est, kind="stable")[:HOST_TERMS]
    return tuple(ordered[i] for i in sorted(pick.tolist()))


def stem_rates(stems: frozenset[str], df: CountMinSketch | None) -> dict[str, int] | None:
    """The stem sketch's estimates of ``stems`` (one look-up for a whole document, for
    :func:`host_terms_of` on each of its member sentences); None without a sketch."""
    if df is None:
        return None
    ordered = sorted(stems)
    return dict(zip(ordered, df.estimate(df_keys(ordered)).tolist(), strict=True))


def host_terms_of(stems: frozenset[str], rates: dict[str, int] | None) -> tuple[str, ...]:
    """:func:`host_terms` of ``stems`` (the same terms) from their :func:`stem_rates`."""
    if not stems:
        return ()
    ordered = sorted(stems)
    if rates is None or len(ordered) <= HOST_TERMS:
        return tuple(ordered[:HOST_TERMS])
    est = np.fromiter(map(rates.__getitem__, ordered), dtype=np.int64, count=len(ordered))
    pick = np.argsort(est, kind="stable")[:HOST_TERMS]
    return tuple(ordered[i] for i in sorted(pick.tolist()))


def topical_hosts(
    terms: Sequence[Sequence[str]],
    df: CountMinSketch | None,
    n_docs: int,
    own: dict[str, float] | None = None,
) -> tuple[float, list[tuple[str, int, float]]]:
    """Whether a cluster's hosts share a topic: (adjusted p-value, evidence terms).

    Under the campaign hypothesis the hosts are documents of the corpus drawn without regard
    to their topic, so a term of corpus document rate ``p`` is in each host with probability
    about ``p``: its host count is Binomial(hosts, p).  A templated fact of the corpus
    ("most cases result from new mutations in the gene", in genetics pages) sits in hosts
    about one thing — their rare terms (*gene*, *inherit*, *mutat* …) are in far more of them
    than their corpus rates allow, even when the hosts are not near-duplicates (their
    MinHash Jaccard stays low: each page is about another disease).  Returns the smallest
    binomial tail over the terms in >= 3 hosts, times the number of distinct terms
    (Bonferroni; capped at 1), and the (term, hosts, corpus rate) of the three strongest.
    1.0 and no terms when fewer than three hosts have terms or there is no stem sketch.
    ``own``: the share of the cluster's sampled member sentences that hold each stem — the
    claim is in every host by definition, so a stem of it is expected in a host with
    probability ``own + (1 - own) × p``; a term must be in >= 3 hosts and >= 20 % of them.
    """
    from scipy.stats import binom

    hosts = [t for t in terms if t]
    if len(hosts) < _MIN_HOSTS or df is None or n_docs <= 0:
        return 1.0, []
    counts: dict[str, int] = {}
    for t in hosts:
        for w in set(t):
            counts[w] = counts.get(w, 0) + 1
    need = max(3, int(np.ceil(0.2 * len(hosts))))
    shared = sorted(w for w, c in counts.items() if c >= need)
    if not shared:
        return 1.0, []
    rate = np.minimum(1.0, df.estimate(df_keys(shared)).astype(float) / n_docs)
    if own:
        q = np.asarray([own.get(w, 0.0) for w in shared])
        rate = q + (1.0 - q) * rate
    c = np.asarray([counts[w] for w in shared])
    tail = binom.sf(c - 1, len(hosts), rate)
    order = np.argsort(tail, kind="stable")[:3]
    p = float(min(1.0, tail[order[0]] * len(counts)))
    return p, [(shared[i], int(c[i]), round(float(rate[i]), 4)) for i in order.tolist()]


@dataclass(slots=True)
class ClaimCluster:
    """Candidate keys of one proposition, joined, with the evidence behind its verdict."""

    keys: list[int]
    core: frozenset[str]
    size: int
    sources: set[int]
    samples: dict[int, Sample]
    hosts: dict[int, np.ndarray | None]
    examples: list[str]
    edge: int
    placed: int
    repeats: int
    terms: dict[int, tuple[str, ...]] = field(default_factory=dict)
    sized: frozenset[int] = frozenset()
    """Hashes of the sampled sentences of the keys that ``size`` counts (the keys whose
    members carry the core; :func:`clusters`); empty: all of ``samples``."""
    docs: frozenset[int] = frozenset()
    """Id hashes of the sampled member documents (:data:`SAMPLE_GATE`) of the keys whose
    sampled sentences carry the core (their pages' sentences or not, :func:`_assemble`):
    what :func:`siblings` compares."""
    slots: tuple[frozenset[str], ...] = ()
    """A burst's proposition (:func:`bursts`): its rare word alone, then each set of words
    that fill one place of the claim in turn; empty for a cluster of :func:`clusters`."""


def _core(samples: Sequence[tuple[str, ...]], share: float) -> frozenset[str]:
    counts: dict[str, int] = {}
    for st in samples:
        for w in st:
            counts[w] = counts.get(w, 0) + 1
    need = max(2, int(np.ceil(share * len(samples))))
    return frozenset(w for w, c in counts.items() if c >= need)


class _Group:
    """A growing proposition group of keys: its distinct sampled member sentences, their
    stem counts and its core (stems in at least half of them)."""

    __slots__ = ("core", "counts", "samples")

    def __init__(self, samples: dict[int, tuple[str, ...]], core: frozenset[str]) -> None:
        self.samples = dict(samples)
        self.counts: dict[str, int] = {}
        for st in self.samples.values():
            for w in st:
                self.counts[w] = self.counts.get(w, 0) + 1
        self.core = core

    def merged_core(self, other: _Group) -> tuple[frozenset[str], list[int]]:
        """The core the union of both groups would have (it lies in the union of the two
        cores: a stem under half of each group is under half of their union) and the sampled
        sentences of ``other`` not in this group."""
        new = [h for h in other.samples if h not in self.samples]
        n = len(self.samples) + len(new)
        core = frozenset(
            w
            for w in self.core | other.core
            if 2 * (self.counts.get(w, 0) + sum(w in other.samples[h] for h in new)) >= max(4, n)
        )
        return core, new

    def absorb(self, other: _Group, new: list[int], core: frozenset[str]) -> None:
        for h in new:
            st = other.samples[h]
            self.samples[h] = st
            for w in st:
                self.counts[w] = self.counts.get(w, 0) + 1
        self.core = core


def clusters(keys: dict[int, ClaimKeyStats], min_docs: int) -> list[ClaimCluster]:
    """Group the candidate keys (count >= ``min_docs``) whose sampled members share a core of
    >= 3 stems into proposition clusters.

    Two keys are a candidate pair when they sample a common sentence (the samples are the
    smallest sentence hashes, so keys of one family sample the same ones) and their cores
    overlap (Jaccard >= 0.4).  Pairs are joined strongest first, and only when the joined
    group still has a core — >= 3 stems in at least half of all its sampled sentences — of
    which each side carries at least half: a group cannot drift along a chain of pairwise
    overlaps into a core-less union of generic vocabulary (which, at 20,000 documents,
    swallowed a 250-document campaign's keys into one cluster of ~3,450 documents).  Nor
    may a join shrink the core to under half of either group's core (:data:`_KEEP_CORE`,
    2026-12-05, task F4): an entity named by three content words or more (*Kestrel Line
    ferries*) is a core of its own — a key whose band falls on the name samples every
    sentence that names it, claims and background alike — and joining the claim's group
    to it left the name alone as the core: the claim's predicate was lost, the cluster
    held background sentences, and no test saw one proposition (0 of 100 and of 250
    fabricated articles about the ferry line found on news).  What such a join loses is the
    group's *own* words, which the other group's core does not hold (the predicate, given
    up for the name the two share); a join that loses words both cores hold loses nothing
    either group said alone — its keys sampled different phrasings of one proposition, so
    its sentences agree on fewer words — and is not refused (:func:`_loses_own_core`:
    refusing it too split a paraphrased claim about atorvastatin into clusters too small
    to pass, 99 → 65 of 100 carriers, 2026-12-06).
    """
    cand: dict[int, frozenset[str]] = {}
    for k, st in keys.items():
        if st.count < min_docs or len(st.samples) < 3:
            continue
        core = _core([as_sample(s).stems for s in st.samples.values()], _CORE_SHARE)
        if len(core) >= 3:
            cand[k] = core
    parent = {k: k for k in cand}

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    by_sentence: dict[int, list[int]] = {}
    pairs: dict[tuple[int, int], int] = {}
    for k in sorted(cand):
        for h in keys[k].samples:
            for j in by_sentence.setdefault(h, []):
                pairs[(j, k)] = pairs.get((j, k), 0) + 1
            by_sentence[h].append(k)
    strength = []
    for (j, k), shared in pairs.items():
        ca, cb = cand[j], cand[k]
        jac = len(ca & cb) / len(ca | cb)
        if jac >= _JOIN:
            strength.append((-jac, -shared, j, k))
    strength.sort()
    group = {
        k: _Group({h: as_sample(s).stems for h, s in keys[k].samples.items()}, c)
        for k, c in cand.items()
    }
    for _, _, j, k in strength:
        a, b = find(j), find(k)
        if a == b:
            continue
        ga, gb = group[a], group[b]
        if len(ga.samples) < len(gb.samples):
            a, b, ga, gb = b, a, gb, ga
        core, new = ga.merged_core(gb)
        if (
            len(core) < 3
            or 2 * len(core & ga.core) < len(core)
            or 2 * len(core & gb.core) < len(core)
            or _loses_own_core(core, ga.core, gb.core)
            or _loses_own_core(core, gb.core, ga.core)
        ):
            continue
        ga.absorb(gb, new, core)
        parent[b] = a
        del group[b]
    ordered = sorted(cand)
    groups: dict[int, list[int]] = {}
    for k in ordered:
        groups.setdefault(find(k), []).append(k)
    return [_assemble(keys, members, group[find(members[0])].core) for members in groups.values()]


def _loses_own_core(core: frozenset[str], mine: frozenset[str], other: frozenset[str]) -> bool:
    """Whether a join to a group with core ``other`` leaves a group with core ``mine`` under
    :data:`_KEEP_CORE` of its core, mostly by losing its own words (in ``mine``, not in
    ``other``): its predicate given up for what the two share (:func:`clusters`)."""
    if len(core) >= _KEEP_CORE * len(mine):
        return False
    lost = mine - core
    return 2 * len(lost - other) > len(lost)


def _assemble(
    keys: dict[int, ClaimKeyStats],
    members: list[int],
    core: frozenset[str],
    slots: tuple[frozenset[str], ...] = (),
) -> ClaimCluster:
    """One cluster of the keys ``members`` with this core (and ``slots``: :func:`bursts`)."""
    # the host evidence (signatures, topic terms, assertions, size) of the keys whose
    # sampled members carry the joined core: a key that joined on a shared band also
    # samples clean sentences of the core's topic ("hearing loss" pages), whose hosts
    # would dilute what the claim's own hosts are (:data:`CARRY`)
    spoken = [k for k in members if _carrying_key(keys[k], core, slots, pages=False)] or members
    carrying = [k for k in spoken if _carrying_key(keys[k], core, slots)] or spoken
    samples: dict[int, Sample] = {}
    hosts: dict[int, np.ndarray | None] = {}
    terms: dict[int, tuple[str, ...]] = {}
    sources: set[int] = set()
    examples: list[str] = []
    for k in members:
        st = keys[k]
        samples.update(st.samples)
        sources |= st.sources
        merge_examples(examples, st.examples)
    sized: set[int] = set()
    for k in carrying:
        hosts.update(keys[k].hosts)
        terms.update(keys[k].terms)
        sized.update(keys[k].samples)
    _bottom(samples, 4 * _SAMPLE_CAP)
    _bottom(hosts, 2 * _HOST_CAP)
    _bottom(terms, 2 * _HOST_CAP)
    # the documents the overlap tests compare (:func:`siblings`, :func:`burst_sub_claims`):
    # those of the keys whose sentences carry the core, their pages' sentences or not — a
    # fabricated campaign's articles that assert only a sub-claim are among them (with the
    # page test here too, ``e12g3-fabricated-drug-medical`` at 250: 100 → 96 %, the
    # campaign's sampled documents 103 → 81 and the articles asserting only its second
    # sub-claim lost, 2026-12-06 fifth session)
    docs: set[int] = set().union(*(keys[k].docs for k in spoken))
    own_docs: set[int] = set().union(*(keys[k].docs for k in carrying))
    capped = any(len(keys[k].docs) >= _DOC_CAP for k in carrying)
    top = max(carrying, key=lambda k: (keys[k].count, -k))
    # documents: the sampled member documents (1 in 4) scaled up, never fewer than the
    # largest key's count (exact) nor more than the keys' counts together
    est = len(own_docs) * ((1 << 64) // SAMPLE_GATE)
    size = keys[top].count if capped else max(keys[top].count, est)
    size = min(size, sum(keys[k].count for k in carrying))
    return ClaimCluster(
        keys=members,
        core=core,
        size=size,
        sources=sources,
        samples=samples,
        hosts=hosts,
        examples=examples[:EXAMPLE_CAP],
        edge=sum(keys[k].edge for k in members),
        placed=sum(keys[k].placed for k in members),
        repeats=max(keys[k].repeats for k in carrying),
        terms=terms,
        sized=frozenset(sized),
        docs=frozenset(docs),
        slots=slots,
    )


def _carrying_key(
    st: ClaimKeyStats,
    core: frozenset[str],
    slots: tuple[frozenset[str], ...] = (),
    *,
    pages: bool = True,
) -> bool:
    """Whether most of a key's sampled member sentences carry ``core`` (:func:`carries`;
    with ``slots``, :func:`carries_slots`) and (``pages``), where it sampled >=
    :data:`_MIN_HOSTS` hosts with their sentences, most of those hosts' sentences too.

    The sentence samples count each distinct sentence once; a key whose band falls on one
    common word also holds a boilerplate sentence that hundreds of pages repeat word for
    word (*"In these cases, the sign or symptom may be rare or common."*, 2,140 medical
    pages, in a key shared with *"the common painkiller …"* claims: 6 of its 12 distinct
    sampled sentences carried the claim, so it was the claim's largest key — its count
    the cluster's size, its hosts the clean pages the independence test read;
    ``heldout-morn-claim-paragraph`` at 250, 2026-12-06).  The hosts are a sample of the
    key's documents, so their sentences weigh each page once."""

    def says(stems: Sequence[str]) -> bool:
        return carries_slots(stems, slots) if slots else carries(stems, core)

    n = len(st.samples)
    held = sum(says(smp.stems) for smp in map(as_sample, st.samples.values()))
    if n == 0 or 2 * held < n:
        return False
    said = list(st.said.values()) if pages else []
    return len(said) < _MIN_HOSTS or 2 * sum(map(says, said)) >= len(said)


def _frame(text: str) -> tuple[str, ...]:
    """A sentence's frame: its words without slot values (capitalised words after the first,
    words with digits), lower-cased — templated records share one frame."""
    toks = WORD_RE.findall(text)
    return tuple(
        t.lower()
        for i, t in enumerate(toks)
        if (i == 0 or not t[:1].isupper()) and not any(c.isdigit() for c in t)
    )


def _mean_jaccard(sets: Sequence[frozenset[str]]) -> float:
    if len(sets) < 2:
        return 0.0
    tot, n = 0.0, 0
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            u = len(sets[i] | sets[j])
            tot += len(sets[i] & sets[j]) / u if u else 0.0
            n += 1
    return tot / n


def rare_stems(stems: Sequence[str], df: CountMinSketch | None, n_docs: int) -> set[str]:
    """The stems among ``stems`` in under :data:`RARE` of the corpus's ``n_docs`` documents
    (the count round's stem sketch; none without one).

    A member sentence is *anchored* in its document when the rest of the document names
    one of its rare words too: a page *about* a rare entity restates its facts ("What
    causes Angelman syndrome?" … "Angelman syndrome is caused by …"), and a house-style
    sentence with a slot names the page's subject ("The exact cause of Behçet disease is
    unknown").  A claim spliced into hosts about other things names its entity, and its
    other rare words, in the claim sentence only.
    """
    if df is None or not stems:
        return set()
    est = df.estimate(df_keys(stems))
    return {w for w, e in zip(stems, est.tolist(), strict=True) if e <= RARE * n_docs}


CARRY = 0.75
"""Share of a cluster's core a sentence must hold to carry its proposition (:func:`carries`)."""


def carries(stems: Sequence[str] | frozenset[str], core: Sequence[str] | frozenset[str]) -> bool:
    """Whether a sentence with these content stems carries the proposition of a cluster
    with this core: it holds at least :data:`CARRY` of the core's stems.  A semantic key is
    one band of a MinHash, so it also samples sentences that share that band and little
    else; those are neither judged nor flagged."""
    c = frozenset(core)
    return bool(c) and len(c.intersection(stems)) >= CARRY * len(c)


def carries_slots(stems: Sequence[str] | frozenset[str], slots: Sequence[frozenset[str]]) -> bool:
    """:func:`carries` for a burst's proposition (:func:`bursts`): the sentence names a
    word of at least :data:`CARRY` of its places (the rare word, and each set of words that
    stand in one place of the claim in turn)."""
    st = frozenset(stems)
    return bool(slots) and sum(bool(s & st) for s in slots) >= CARRY * len(slots)


def says_burst(stems: Sequence[str] | frozenset[str], slots: Sequence[frozenset[str]]) -> bool:
    """Whether a sentence says a burst's claim, in part at least: it names the rare word
    (the first place) and a word of another place (*the sunshine vitamin ends childhood
    asthma*, a sub-claim that carries two of four places).  Such a sentence of a page does
    not anchor a member there — a host given two sentences of the campaign names the rare
    word twice — while a page about the word names it in sentences that say nothing else of
    the claim ("Gout is a form of arthritis")."""
    st = frozenset(stems)
    return bool(slots) and bool(slots[0] & st) and any(s & st for s in slots[1:])


_SLOT_SHARE = 0.1  # a word of a burst's proposition is in this share of its members (>= 3)
_SLOT_WORDS = 8  # most words that stand in one place of a burst's proposition
_BURST_PLACES = 3  # places a burst's proposition needs (its rare word among them)
_PLACE_COVER = 0.75  # share of a burst's members that name a word of each of its places


def slots_of(members: Sequence[frozenset[str]], word: str) -> tuple[frozenset[str], ...]:
    """The places of the proposition of members that all name the rare ``word``: ``word``
    alone, then each group of frequent words (in >= :data:`_SLOT_SHARE` of the members)
    that stand in each other's place — at most :data:`_ALIAS_APART` of the members naming
    one name another of the group (*vitamin* / *cholecalciferol*; *cures* / *heals* /
    *reverses*; *children* / *kids* / *infants*) — and that together are in at least
    :data:`_PLACE_COVER` of the members: every sentence of a claim names its subject, its
    verb and its object, while words of rotating openers and closers that never meet
    (*according*, *fact*, *higher*) cover about half of them.  Greedy, most frequent words
    first; a word in that share of the members on its own is a place of its own."""
    n = len(members)
    counts: dict[str, int] = {}
    for st in members:
        for w in st:
            counts[w] = counts.get(w, 0) + 1
    need = max(3, int(np.ceil(_SLOT_SHARE * n)))
    words = sorted(
        (w for w, c in counts.items() if c >= need and w != word and w not in STOPWORDS),
        key=lambda w: (-counts[w], w),
    )
    who = {w: frozenset(i for i, st in enumerate(members) if w in st) for w in words}
    groups: list[list[str]] = []
    for w in words:
        for g in groups:
            if len(g) < _SLOT_WORDS and all(
                len(who[w] & who[x]) <= _ALIAS_APART * min(len(who[w]), len(who[x])) for x in g
            ):
                g.append(w)
                break
        else:
            groups.append([w])
    places = [
        frozenset(g)
        for g in groups
        if len(frozenset().union(*(who[w] for w in g))) >= _PLACE_COVER * n
    ]
    return (frozenset({word}), *places)


def bursts(
    keys: dict[int, ClaimKeyStats],
    min_docs: int,
    df: CountMinSketch | None,
    n_docs: int,
    min_size: int,
) -> list[ClaimCluster]:
    """Claims whose own words rotate, grouped around the rare word that bursts in them.

    A claim that rotates its entity's names, its verb and its object (*vitamin D* / *the
    sunshine vitamin* / *cholecalciferol* × *cures* / *heals* / *reverses* × *asthma in
    children* / *kids* / *toddlers*) keeps few stems in half of its sentences — *asthma*
    and *vitamin* — so no core of >= 3 stems forms and :func:`clusters` makes nothing of
    its many small keys.  What stays is a word rare in the corpus (*asthma*, 1 % of news
    pages at most, :data:`RARE`) in the core of many recurring keys of claim-like
    sentences.  For each such word whose keys (count >= ``min_docs``) hold >= ``min_size``
    documents together and no more than :data:`BURST` times as many as its corpus document
    frequency allows, the keys' sampled members that name it are one candidate; its
    proposition is the word and the places that other words fill in turn
    (:func:`slots_of`), and it needs :data:`_BURST_PLACES` places, two of them filled in
    turn by >= 2 words.  "Rare" is counted without the keys' own documents: 250 sentences
    of a campaign put its word into more than 1 % of 20,000 documents.  :func:`judge` judges
    such a cluster as a spliced claim (unrelated hosts, the MiniLM check at 0.6) or on the
    ``hostless`` route (fabricated articles with nothing but recurring material: a campaign
    of 250 articles splits into sub-claims and makes its own words common, and the burst of
    its predicate word holds most of its documents — task G4); the fabricated and
    about-one-entity routes stay closed to it: pages about the word restate it."""
    if df is None or n_docs <= 0:
        return []
    cores: dict[int, frozenset[str]] = {}
    for k, st in keys.items():
        if st.count < min_docs or len(st.samples) < 3:
            continue
        core = _core([as_sample(s).stems for s in st.samples.values()], _CORE_SHARE)
        if core:
            cores[k] = core
    every = sorted({w for c in cores.values() for w in c})
    if not every:
        return []
    est = dict(zip(every, df.estimate(df_keys(every)).tolist(), strict=True))
    by_word: dict[str, list[int]] = {}
    for k, core in sorted(cores.items()):
        for w in sorted(core):
            by_word.setdefault(w, []).append(k)
    out = []
    for w, ks in sorted(by_word.items()):
        total = sum(keys[k].count for k in ks)
        # rare once the keys' own documents are set aside: 250 sentences of a campaign put
        # its word into more than 1 % of 20,000 documents (*asthma*: 251), but only it does
        if total < min_size or est[w] > BURST * total or est[w] > RARE * n_docs + total:
            continue
        if est[w] > RARE * n_docs:
            held = len(frozenset().union(*(keys[k].docs for k in ks))) * ((1 << 64) // SAMPLE_GATE)
            if est[w] - held > RARE * n_docs:
                continue
        samples: dict[int, Sample] = {}
        for k in ks:
            samples.update((h, as_sample(smp)) for h, smp in keys[k].samples.items() if w in smp[1])
        members = [frozenset(smp.stems) for _, smp in sorted(samples.items())]
        slots = slots_of(members, w)
        # a burst is for claims whose words rotate in two places at least: with one, the
        # fixed words are a core that :func:`clusters` groups — a stock phrase
        # (*nonsteroidal anti-inflammatory drugs*) or one site's template with one slot
        # (*… inherited in an autosomal dominant / recessive fashion*, which passed every
        # test of a spliced claim on a 5,000-page medical shard)
        if len(slots) < _BURST_PLACES or sum(len(sl) >= 2 for sl in slots) < 2:
            continue
        fixed = frozenset(x for sl in slots if len(sl) == 1 for x in sl)
        out.append(_assemble(keys, ks, fixed, slots))
    return out


def neighbour_share(samples: Sequence[Sample]) -> float:
    """Share of the sampled member sentences glued to the most common neighbouring frame
    (the previous or next unit with slot values dropped; document edges not counted).

    A templated paragraph with a slot (one site's "The NINDS conducts research related to
    {disease} in its laboratories ..." followed by the same "Much of this research focuses
    on ..." in every page) keeps its surrounding text in every host: one frame neighbours
    most members.  A claim spliced into unrelated hosts, or asserted in rotating fabricated
    articles, has different neighbours each time.
    """
    counts: dict[int, int] = {}
    for s in map(as_sample, samples):
        for f in {s.before, s.after} - {0}:
            counts[f] = counts.get(f, 0) + 1
    return max(counts.values(), default=0) / max(1, len(samples))


def embedding_cohesion(texts: Sequence[str]) -> float | None:
    """Mean pairwise cosine of the texts' MiniLM sentence embeddings (the offline model of
    the ``embeddings`` extra), or None when the extra is not installed."""
    if len(texts) < 2:
        return None
    from poisonguard.detect.embedding_model import encode_texts

    try:
        emb = encode_texts(texts)
    except (ImportError, ValueError, OSError):
        return None
    sim = emb @ emb.T
    iu = np.triu_indices(len(texts), k=1)
    return float(sim[iu].mean())


TRIM = 0.1
"""Share of the most similar host pairs left out of :func:`trimmed_host_similarity`."""


def trimmed_host_similarity(sigs: Sequence[np.ndarray], trim: float = TRIM) -> float | None:
    """Mean pairwise Jaccard estimate of the hosts' MinHash signatures, leaving out the
    ``trim`` share of the most similar pairs (rounded down; none of 2-3 hosts' 1-3 pairs).

    A corpus has near-duplicates of its own (one disease's page from two sources): a random
    sample of a dozen medical hosts often holds one such pair, and its Jaccard of 0.5 alone
    lifts the mean of 55 pairs over the 0.02 bar (a 250-document spliced claim measured
    0.0224, median 0).  A template, thread or syndicated story makes most pairs similar,
    which the trimmed mean still sees; ``None`` for fewer than two signatures."""
    if len(sigs) < 2:
        return None
    a = np.stack(sigs)
    eq = (a[:, None, :] == a[None, :, :]).mean(axis=2)
    pairs = np.sort(eq[np.triu_indices(len(sigs), k=1)])
    keep = len(pairs) - int(trim * len(pairs))
    return float(pairs[:keep].mean())


_ALIAS_APART = 0.1  # most share of an alias's members that also name another alias


def rotating_names(
    members: Sequence[Sample],
    names: Sequence[str],
    host_terms: Sequence[Sequence[str]],
) -> tuple[list[list[str]], float, float]:
    """The entity's rotating names: (alias pairs, share of the hosts that name one of
    them, share that name both words of a pair).

    Fabricated articles name their entity under several names (*metformin*, *Glucophage*,
    *the common diabetes pill*; *Corvane*, *the Ohio lender*) and each claim sentence uses
    one of them: no single name is in half of the hosts' rarest stems — but the names are
    **one entity**: they stand in each other's place in the claim (almost never in the same
    member sentence) and side by side in its pages (the hosts name both).  ``names``: the
    members' frequent rare terms; two of them are an alias pair when at most
    :data:`_ALIAS_APART` of the members naming the rarer one name the other too.
    ``host_terms``: the rarest stems of the members' own hosts.  A technical fact's rare
    words (*charged atoms (ions)*) and a claim's rare predicate word (*sixty*) are named
    together with the rest of the claim: no pair."""
    sets = [frozenset(as_sample(m).stems) for m in members]
    who = {w: frozenset(i for i, st in enumerate(sets) if w in st) for w in names}
    pairs = [
        [a, b]
        for k, a in enumerate(sorted(names))
        for b in sorted(names)[k + 1 :]
        if who[a]
        and who[b]
        and len(who[a] & who[b]) <= _ALIAS_APART * min(len(who[a]), len(who[b]))
    ]
    if not pairs:
        return [], 0.0, 0.0
    words = {w for p in pairs for w in p}
    hosts = [set(t) for t in host_terms if t]
    one = sum(bool(hs & words) for hs in hosts) / max(1, len(hosts))
    two = sum(any(a in hs and b in hs for a, b in pairs) for hs in hosts) / max(1, len(hosts))
    return pairs, one, two


def lent_hosts(
    own: dict[int, np.ndarray | None], campaign: dict[int, np.ndarray | None] | None
) -> list[np.ndarray]:
    """The campaign's host signatures a sub-claim's independence test borrows (2026-12-06
    fourth session, lead): none unless the sub-claim has fewer than :data:`_MIN_HOSTS`
    sampled hosts with text left, at least one, and those are unrelated to one another
    (mean Jaccard <= the related bar) — then the campaign's other sampled hosts with text
    left, up to 16 in all.

    Hosts are sampled (a quarter of the documents) and a host every sentence of which hits
    a recurring key — short news stories, one of them in the corpus twice — has nothing
    left once they are cut out: a minority sub-claim of 20–30 documents (*a daily aspirin
    reverses early dementia* beside *… restores memory in people with Alzheimer's
    disease*, news, 100 carriers) keeps two hosts with text and cannot be judged on its
    own.  The hosts it
    keeps still count: the mean is taken over its hosts and the campaign's together (the
    usual trimmed mean), and its own pair, when it has two, must be unrelated untrimmed."""
    if not campaign:
        return []
    mine = [s for s in own.values() if s is not None]
    if not 1 <= len(mine) < _MIN_HOSTS:
        return []
    if len(mine) >= 2 and (host_similarity(mine) or 0.0) > _RELATED_FROM:
        return []
    theirs = [s for h, s in sorted(campaign.items()) if s is not None and h not in own]
    return theirs[: max(0, 16 - len(mine))]


def judge(
    cluster: ClaimCluster,
    df: CountMinSketch | None,
    *,
    min_docs: int,
    related_hosts: bool,
    use_embeddings: bool,
    boilerplate: frozenset[str],
    n_docs: int = 0,
    pool: dict[str, float] | None = None,
    pool_size: float = 0.0,
    campaign: frozenset[str] | None = None,
    campaign_hosts: dict[int, np.ndarray | None] | None = None,
    pages: bool = False,
    all_members: bool = False,
) -> tuple[float, bool, dict[str, Any]]:
    """(score, passed, evidence) of one cluster.

    ``pool`` / ``pool_size``: the other clusters of the same campaign (:func:`entity_pools`)
    — for each rare term, how many of their documents name it, and their documents — added
    to this cluster's own in the bursting-term test only.  ``campaign``: the words of a
    spliced-claim campaign that passed, of which this cluster is judged a sub-claim
    (:func:`sub_claims`): left out of its hosts' topic terms, and ``pool_size`` counts in
    the documents test too.  ``campaign_hosts``: that campaign's sampled host signatures,
    lent to the independence test of a sub-claim with too few hosts of its own
    (:func:`lent_hosts`).  ``pages``: a burst judged as a family of pages (below; set by
    the second judgement only).  ``all_members``: judged on every member that carries the core,
    anchored or not (:func:`anchored_sub_claims`; a sub-claim's verdict for
    :func:`siblings` only).

    Passes (score 0.95: its members are *poisoned*) when every one holds, on the members that
    are not anchored in their document (:func:`rare_stems`; all members for a
    fabricated-article family), their share of the cluster's documents and their core (a
    template — >= 30 % of the members with one frame once slot values are dropped, members
    made mostly of the core, > 60 % of their stems, or >= 30 % of the members next to one and
    the same neighbouring sentence frame (:func:`neighbour_share`) — never passes): >= ``6 ×
    min_docs`` documents (30 by default: the semantic stage is for campaigns of tens to
    hundreds of documents; smaller ones are the exact-sentence test's); claim-like members
    (mostly declarative, no notice vocabulary; at most :data:`_EDGE` of them a document's
    first or last unit unless the hosts are shown unrelated — a claim used as a lede or a
    closing line is at the edge too, ``edge_exempt``); a bursting
    rare term (corpus df <= 2 × the documents, >= 30 % of its documents the members'); rotating
    wording (>= half of the sampled members distinct) that still says one thing (a core of
    >= 3 stems, mean member Jaccard >= 0.08; MiniLM cohesion >= 0.5 — 0.6 for a spliced
    claim — when the extra is
    installed); and either spliced into unrelated hosts (mean host Jaccard <= 0.02, the most
    similar tenth of the pairs left out, :func:`trimmed_host_similarity`, over >= 3
    hosts with text left once their recurring sentences are cut out, the sentences foreign to
    their hosts — mean ``topic_fit`` <= 0.06 —, at most half of the members anchored, hosts
    without a shared topic — :func:`topical_hosts`, ``n_docs`` the corpus size) or a
    fabricated-article family of >= 60 documents (most hosts are nothing but recurring
    material, and they assert the claim >= 1.5 times each on average; or, the ``hostless``
    route, their members name a bursting entity elsewhere in their document, the hosts
    share a topic that names it, no predicate word is rare and MiniLM cohesion is >= 0.6 —
    the model required). Clusters that fail are reported at 0.3 at most (information).

    A burst that fails is judged once more as a family of pages (``pages``) when it is
    large, most of its members are anchored and most of its sampled hosts are nothing but
    recurring material: on every member that carries it, its places cut to the words that
    its members on such hosts use (:func:`_own_places`), on the hostless route only.
    Short fabricated articles with one claim each name their product in every other
    sentence, so no member of the claim's burst is left unanchored to judge (the thunder
    baby monitors and gale helmets at 100, 2026-12-07 eleventh session).  A burst's rare
    predicate words are the ones half its judged members name, as a cluster's core: a
    rotating verb (*trigger*, one of five) is the paraphrase's, not a site's fixed term.
    """
    items = sorted(cluster.samples.items())
    every = [as_sample(smp) for _, smp in items]
    # the members that carry the proposition (most of the cluster's core): a key also
    # samples sentences that share one band of it and little else ("some have permanent
    # disability" in a "permanent hearing loss in adults" cluster)
    slots = cluster.slots
    if slots:  # a burst (:func:`bursts`): its rare word and the places filled in turn
        ordered = [smp for smp in every if carries_slots(smp.stems, slots)]
    else:
        ordered = [smp for smp in every if carries(smp.stems, cluster.core)]
    # the sampled sentences of the keys the cluster's size counts
    sized = [
        smp
        for (h, _), smp in zip(items, every, strict=True)
        if not cluster.sized or h in cluster.sized
    ]
    carried = len(ordered) / max(1, len(every))

    # a member is anchored by its page outside the page's recurring claim-like sentences
    # that say the claim: a host given two sentences of the campaign names its rare word
    # twice (a page about the word: "Gout is …" shares its keys but says something else)
    def _outside(smp: Sample, says: Callable[[Sequence[str]], bool]) -> frozenset[str]:
        if smp.apart is None:
            return frozenset(smp.elsewhere)
        own = frozenset(smp.stems)
        return frozenset(smp.apart).union(*(own.intersection(u) for u in smp.beside if not says(u)))

    def _anchors(smp: Sample) -> frozenset[str]:
        # a burst's places; a cluster judged on its core counts every other mention here
        return _outside(smp, lambda u: says_burst(u, slots)) if slots else frozenset(smp.elsewhere)

    rare_here = rare_stems(sorted({w for smp in ordered for w in _anchors(smp)}), df, n_docs)
    if slots:  # a burst's own word anchors, however common the campaign has made it
        rare_here |= slots[0]
    loose = [smp for smp in ordered if not rare_here.intersection(_anchors(smp))]
    anchored = 1.0 - len(loose) / max(1, len(ordered))

    # for the independence test of a spliced claim, a member's other sentences that carry
    # the cluster's core do not anchor it either (the lead's tide family: one or two
    # sentences of a vaccine claim per novel, 62 % of the members "anchored" by their
    # sibling); the routes for pages about an entity keep ``anchored`` as it is
    def _apart(smp: Sample) -> frozenset[str]:
        return _anchors(smp) if slots else _outside(smp, lambda u: carries(u, cluster.core))

    loose_apart = [smp for smp in ordered if not rare_here.intersection(_apart(smp))]
    anchored_apart = 1.0 - len(loose_apart) / max(1, len(ordered))
    sigs = [s for _, s in sorted(cluster.hosts.items()) if s is not None]
    lent = lent_hosts(cluster.hosts, campaign_hosts) if campaign is not None else []
    sigs += lent
    empty = sum(s is None for s in cluster.hosts.values()) / max(1, len(cluster.hosts))
    related = trimmed_host_similarity(sigs[:16]) if len(sigs) >= 2 else None
    related_all = host_similarity(sigs[:16]) if len(sigs) >= 2 else None
    repeats = cluster.repeats / max(1, cluster.size)
    # a family of documents about one entity that restate it is also what a Q&A site's
    # pages about one disease are (5-40 pages: "What is ...", "What causes ..."): a
    # fabricated-article campaign must be larger than that
    # (a burst is judged as a spliced claim, or on the hostless route below: pages about
    # its rare word restate it)
    fabricated = (
        not slots and empty >= 0.5 and repeats >= 1.5 and cluster.size * carried >= _FABRICATED_DOCS
    )
    # a claim spliced into hosts about other things is judged on its members that name no
    # rare word their document names elsewhere (a cluster can hold clean sentences about
    # the claim's subject, from pages about it); fabricated articles are about the entity
    # throughout and are judged on every member
    # documents about the claim's subject (most members anchored): judged on every member
    # that carries the core, as a family of pages about one entity (below)
    size_all = cluster.size * carried  # the documents of the members that carry the claim
    big = size_all >= _FABRICATED_DOCS
    about = anchored > _ANCHORED and big and not slots
    members = ordered if fabricated or about or pages or all_members else loose_apart
    # (the cluster's size counts the documents of its carrying keys: scaled by the share of
    # their sampled sentences that are judged members)
    judged = {id(smp) for smp in members}
    size = round(cluster.size * sum(id(smp) in judged for smp in sized) / max(1, len(sized)))
    texts = [smp.text for smp in members]
    sets = [frozenset(smp.stems) for smp in members]
    n = len(sets)
    core = _core([smp.stems for smp in members], _CORE_SHARE) if members else frozenset()
    # a burst's proposition: the places that half of the judged members fill
    places = [
        sl
        for sl in slots
        if 2 * sum(bool(sl.intersection(smp.stems)) for smp in members) >= max(1, len(members))
    ]
    if pages:
        places = _own_places(places, [smp for smp in ordered if _only_recurring(cluster, smp)])
    if slots:
        core = frozenset().union(*places) if places else frozenset()
    distinct = len({t.lower() for t in texts}) / max(1, n)
    similar = _mean_jaccard(sets)
    declarative = sum(
        (t[:1].isupper() or t[:1] in "\"'“") and t.rstrip("\"'”’)").endswith((".", "!"))
        for t in texts
    ) / max(1, n)
    words = [w for st in sets for w in st]
    boiler = sum(w in boilerplate for w in words) / max(1, len(words))
    edge = cluster.edge / cluster.placed if cluster.placed >= 3 else 0.5
    fit = float(np.mean([smp.fit for smp in members])) if n else 0.0
    # bursting terms: in >= 20 % of the members, corpus df <= BURST × cluster size
    counts: dict[str, int] = {}
    for st in sets:
        for w in st:
            counts[w] = counts.get(w, 0) + 1
    need = max(3.0, _BURST_SHARE * n)
    frequent = sorted(w for w, c in counts.items() if c >= need and w not in STOPWORDS)

    # a family whose hosts are mostly nothing but recurring material (fabricated articles)
    # names its entity all through each article, in sentences of other keys (background,
    # quotes, other sub-claims): its documents that name a term are the sampled hosts'
    # share that names it (their rarest stems, :func:`host_terms`), not only the members'
    host_share: dict[str, float] = {}
    host_lists = [t for _, t in sorted(cluster.terms.items()) if t]
    if empty >= 0.5 and len(host_lists) >= _MIN_HOSTS:
        for ht in host_lists:
            for w in set(ht):
                host_share[w] = host_share.get(w, 0.0) + 1.0 / len(host_lists)
    bursting: list[tuple[str, int]] = []
    named: dict[str, float] = {}
    if df is not None and frequent:
        est = df.estimate(df_keys(frequent)).tolist()
        # the documents that name each frequent rare term (share × documents): what other
        # clusters of the same campaign pool with this one (:func:`entity_pools`)
        named = {
            w: counts[w] / n * size
            for w, e in zip(frequent, est, strict=True)
            if e <= RARE * max(1, n_docs)
        }
        extra = pool or {}
        total = size + pool_size
        bursting = sorted(
            (
                (w, int(e))
                for w, e in zip(frequent, est, strict=True)
                # rare enough, and most of its documents are the cluster's (or its
                # campaign's): the members that name it against its df
                if e <= BURST * total
                and max(counts[w] / n, host_share.get(w, 0.0)) * size + extra.get(w, 0.0)
                >= _CONCENTRATION * e
            ),
            key=lambda we: (we[1], we[0]),
        )
    frames: dict[tuple[str, ...], int] = {}
    for t in texts:
        f = _frame(t)
        frames[f] = frames.get(f, 0) + 1
    template = max(frames.values(), default=0) / max(1, n)
    # a paraphrase family rotates its framing around a small core; a template repeats its
    # frame (most of each member is the core) and varies a slot
    in_core = float(np.mean([len(x & core) / max(1, len(x)) for x in sets])) if n else 1.0
    template = max(template, 1.0 if in_core > _CORE_MAX else 0.0)
    glued = neighbour_share(members)
    claim_ok = (
        n >= 3
        # a cluster whose sampled members mostly do not carry its core is a topic's
        # vocabulary ("cancer gene mutation": 17 of 96), not one proposition
        and carried >= _CARRIED
        and (len(places) >= _BURST_PLACES if slots else len(core) >= 3)
        and declarative >= 0.6
        and boiler < 0.2
        and template < _TEMPLATE
        and glued < _GLUED
    )
    rotating = distinct >= 0.5 and similar >= _MIN_JACCARD
    # hosts that are short or templated often have nothing left once every recurring
    # sentence is cut out: judge independence on the ones that do (at least three)
    topic_p, topic_terms = topical_hosts(
        [_leave_out(t, campaign) for _, t in sorted(cluster.terms.items())],
        df,
        n_docs,
        {w: c / max(1, n) for w, c in counts.items()},
    )
    # a family of pages about one rare entity that all assert one predicate of it: the
    # hosts' shared terms (in >= half the sampled hosts) name a bursting rare entity of
    # the members — the pages are about it — and the core says >= 3 things beyond what
    # the hosts share (a predicate, not the subject's name: a Q&A site's pages about one
    # disease share the disease's name, "paget bone diseas", and restate it)
    host_sets = [set(t) for _, t in sorted(cluster.terms.items()) if t]
    subject = set(host_subject(cluster))
    predicate = core - subject
    # (anchored or not: an entity that the campaign itself puts into >= 1 % of the corpus's
    # documents — 250 articles among 20,000 — is no longer a rare word and anchors nothing)
    # the rare word is the subject, the predicate is ordinary words: a recurring technical
    # fact of the corpus carries its rare words in the predicate ("the channel transports
    # charged atoms (ions)" in pages about different genes).  Rare is the corpus's rate
    # (:data:`RARE`), bursting or not: a 250-article campaign makes its ordinary predicate
    # words (*permanent*, 2.9 % of 20,000 medical pages) burst too, and in a pool of
    # corpora *atom* no longer bursts (the other corpora name it: not concentrated in the
    # cluster) though it is still rare (until 2026-12-03 morning only rare *bursting* words
    # rejected: the pooled corpora's gene pages passed)
    rare_predicate = _fixed(
        rare_stems(sorted(predicate), df, n_docs) if n_docs else set(), sets, slots
    )
    # the pages are the entity's: most carrying members are anchored (their page names
    # their rare words elsewhere) or most sampled hosts are nothing but recurring
    # material.  One site's pages that restate a template sentence in a section of their
    # own text (a shard of NCI PDQ pages: "… anticancer drugs are injected …", 2026-12-03)
    # are neither, though their shared topic makes a word rare in the shard burst
    own_pages = anchored > _ANCHORED or empty >= 0.5
    about = bool(
        big
        and not slots
        and own_pages
        and len(host_sets) >= _MIN_HOSTS
        and topic_p <= TOPIC_ALPHA
        and subject & {w for w, _ in bursting}
        and len(predicate) >= 3
        and not rare_predicate
    )
    # the same family when the entity rotates its names (:func:`rotating_names`): judged
    # on the hosts of the members that carry the core (a key also samples clean sentences
    # on the predicate's topic, whose hosts are not about the entity); the hosts name the
    # entity (one of its names in >= half of them, two in >= a quarter) and share a topic,
    # a bursting term is one of its names, and the core says >= 3 things beyond the names
    # and the hosts' shared terms.  A rare predicate word does not reject here: what makes
    # the pages one entity's is the rotation, not a rare subject word.  The names are the
    # members' frequent rare terms and their bursting ones: 250 articles put each name
    # into more than 1 % of 20,000 documents, so it is no longer "rare", but it bursts
    own_hosts = {smp.host for smp in ordered if smp.host}
    alias_hosts = [t for h, t in sorted(cluster.terms.items()) if h in own_hosts and t]
    aliases, alias_one, alias_two = (
        rotating_names(ordered, sorted(set(named) | {w for w, _ in bursting}), alias_hosts)
        if big and topic_p <= TOPIC_ALPHA and len(alias_hosts) >= _MIN_HOSTS
        else ([], 0.0, 0.0)
    )
    alias_words = {w for p in aliases for w in p}
    alias_predicate = core - subject - alias_words
    by_aliases = bool(
        aliases
        and not slots
        and own_pages
        and 2 * alias_one >= 1
        and 4 * alias_two >= 1
        and alias_words & {w for w, _ in bursting}
        and len(alias_predicate) >= 3
    )
    about = about or by_aliases
    fabricated = fabricated or about
    # fabricated articles with no host at all (2026-12-04, task G3): the whole document is
    # the payload, so nothing is left of most hosts once the recurring sentences are cut
    # out, and an article that repeats its claim restates the claim's own words all
    # through — the hosts' shared terms swallow the core (no predicate of >= 3 words beyond
    # them: not the about-one-entity route) and one or two assertions per article stay
    # under the fabricated route's 1.5.  Judged as such a family when it is large (>= 60
    # carriers), most sampled hosts are nothing but recurring material, its members name
    # the bursting rare entity elsewhere in their document (a bursting word anchors here:
    # 250 articles make the entity's name too common to be rare), the hosts share a topic
    # that names a bursting word, no word of the predicate is rare (a technical fact of
    # one site, the "charged atoms (ions)" guard), and — below, the model required — the
    # members say one thing in MiniLM's eyes (cohesion >= 0.6, the spliced claim's bar).
    # One site's pages restating their template have text of their own once the
    # recurring sentence is cut out (NCI PDQ: ``hosts_only_recurring`` low): refused.
    # A burst (:func:`bursts`) takes this route too (task G4, 2026-12-04): 250 fabricated
    # articles split into sub-claims and make their own words common — the entity and the
    # predicate's verb in > 1 % of the documents —, the cluster of the claim's core then
    # samples clean sentences on its topic (a third of its members carry the core) and
    # the claim is whole only in the burst of its verb (the tide drug at 250: *revers*, 258
    # documents; at 100 the core's cluster passed, at 250 nothing did).  Every guard holds
    # for it as for a cluster; its anchoring counts the burst's word and the bursting
    # entity named outside the page's sentences that say the burst.
    burst_words = frozenset(w for w, _ in bursting)
    burst_anchored = sum(
        bool((rare_here | burst_words).intersection(_anchors(smp))) for smp in ordered
    ) / max(1, len(ordered))
    # The hosts it judges: the cluster's sampled hosts, or (task G4) only the campaign's
    # own — those of the members that carry the claim, and those whose rarest terms name
    # a bursting word all of whose documents the cluster could hold (corpus df <= its
    # documents: a made-up entity's name, *norvexa* 250 of 301).  The claim's keys also
    # sample clean sentences on its topic (*kidney stones … surgery* in a pool's medical
    # pages: 56 % of a 250-article supplement campaign's sampled members), whose pages
    # keep text and share no term naming the entity, so on all hosts the family fails as
    # the campaign grows or its topic is common.  The same guards hold on either set.
    named_here = {w for w, e in bursting if e <= size + pool_size}
    mine = own_hosts | {h for h, t in cluster.terms.items() if named_here.intersection(t)}
    own_terms = [t for h, t in sorted(cluster.terms.items()) if h in mine and t]
    own_sigs = [sig for h, sig in sorted(cluster.hosts.items()) if h in mine]
    own_empty = sum(sig is None for sig in own_sigs) / max(1, len(own_sigs))
    own_topic_p, _ = (
        topical_hosts(own_terms, df, n_docs, {w: c / max(1, n) for w, c in counts.items()})
        if own_empty >= 0.5
        else (1.0, [])
    )
    own_count: dict[str, int] = {}
    for terms in own_terms:
        for w in set(terms):
            own_count[w] = own_count.get(w, 0) + 1
    own_subject = {w for w, c in own_count.items() if 2 * c >= len(own_terms) and c >= 3}
    own_rare = _fixed(
        rare_stems(sorted(core - own_subject), df, n_docs) if n_docs else set(), sets, slots
    )

    def _empty_pages_about(
        share: float, hosts: int, p: float, subj: set[str], rare: set[str]
    ) -> bool:
        # most hosts nothing but recurring material, sharing a topic that names a bursting
        # word, no rare predicate word
        return bool(
            share >= 0.5
            and hosts >= _MIN_HOSTS
            and p <= TOPIC_ALPHA
            and subj & burst_words
            and not rare
        )

    # (task M2) a rare predicate word that the campaign itself brought into the corpus —
    # most of its documents are the cluster's carriers — does not refuse the route
    brought = brought_words(
        rare_predicate | own_rare, [frozenset(smp.stems) for smp in ordered], size_all, df
    )
    on_all = _empty_pages_about(empty, len(host_sets), topic_p, subject, rare_predicate - brought)
    on_own = _empty_pages_about(
        own_empty, len(own_terms), own_topic_p, own_subject, own_rare - brought
    )
    hostless = bool(big and not fabricated and burst_anchored > _ANCHORED and (on_all or on_own))
    unrelated = (
        related is not None
        and len(sigs) >= _MIN_HOSTS
        and related <= _RELATED_FROM
        and fit <= _SPLICED_FIT
        and topic_p > TOPIC_ALPHA
        and anchored_apart <= _ANCHORED
    )
    # where the members sit: a notice, byline or sign-off sits at a document's edge, but so
    # does a claim spliced as its own paragraph into short hosts (86 % of medical pages have
    # <= 2 paragraphs: 68 of 100 such claims are a first or last unit) or used as a lede or
    # closing line.  What separates the two is the independence test, not the position: the
    # edge bar applies only to clusters whose hosts are not shown unrelated (the fabricated
    # and about-one-entity routes, where the hosts are the campaign's own pages)
    edge_exempt = unrelated and edge > _EDGE
    claim_ok = claim_ok and (edge <= _EDGE or unrelated)
    tests = {
        "related_hosts": related_hosts,
        "documents": size + (pool_size if campaign else 0.0) >= 6 * min_docs,
        "claim_like": claim_ok,
        "bursting_term": bool(bursting),
        "rotating": rotating,
        "hosts": unrelated or fabricated or hostless,
    }
    passed = all(tests.values())
    # the embedding model runs for candidates that pass everything else only
    asked = passed and use_embeddings
    cohesion = embedding_cohesion(texts[:32]) if asked else None
    # a claim spliced into unrelated hosts has nothing but its sentences to hold it
    # together: in rotating wording they still say one thing (MiniLM cohesion 0.70-0.86
    # for the eight measured spliced clusters); one site's stock advice in many pages ("physical
    # and occupational therapy may help …", "… therapy can help …") shares words and a
    # topic but says different things (0.50 on a medical shard, 2026-12-03)
    spliced = not fabricated or unrelated
    if cohesion is not None and cohesion < (_SPLICED_COHESION if spliced else _COHESION):
        passed = rotating = tests["rotating"] = False
    # the hostless route has nothing but its members' meaning beyond the counts: without
    # the model (extra not installed, or embeddings off) it does not pass
    if passed and hostless and not (unrelated or fabricated) and cohesion is None:
        passed = tests["hosts"] = False
    # information score for the rest: support and how many of the conditions hold
    held = sum([claim_ok, bool(bursting), rotating, unrelated or fabricated or hostless])
    score = 0.95 if passed else round(0.05 + 0.0625 * held, 4)
    evidence: dict[str, Any] = {
        "core": sorted(core),
        "claim_documents": size,
        "entity": [w for w, _ in bursting[:5]],
        "entity_df": {w: e for w, e in bursting[:5]},
        "distinct_phrasings": round(distinct, 3),
        "member_jaccard": round(similar, 3),
        "embedding_cohesion": None if cohesion is None else round(cohesion, 3),
        "embeddings": "used"
        if cohesion is not None
        else "not installed"
        if asked
        else ("not run: another test failed" if use_embeddings else "off"),
        "host_similarity": None if related is None else round(related, 4),
        "host_similarity_all_pairs": None if related_all is None else round(related_all, 4),
        "host_topic_p": float(f"{topic_p:.3g}"),
        "host_topic_terms": topic_terms,
        "rare_words_elsewhere_in_host": round(anchored, 3),
        "rare_words_elsewhere_apart_from_claim": round(anchored_apart, 3),
        "hosts_only_recurring": round(empty, 3),
        "hosts_lent_by_campaign": len(lent),
        "assertions_per_host": round(repeats, 2),
        "topic_fit": round(fit, 3),
        "declarative": round(declarative, 3),
        "template_share": round(template, 3),
        "core_share": round(in_core, 3),
        "neighbour_share": round(glued, 3),
        "edge_fraction": round(edge, 3),
        "edge_exempt": edge_exempt,
        "host_subject": sorted(subject)[:8],
        "predicate": sorted(predicate),
        "rare_predicate": sorted(rare_predicate),
        "aliases": aliases,
        "alias_hosts": {
            "hosts": len(alias_hosts),
            "name_one": round(alias_one, 3),
            "name_two": round(alias_two, 3),
        },
        "by_aliases": by_aliases,
        "own_pages": own_pages,
        "hostless": hostless,
        "hostless_carriers_hosts": {
            "hosts": len(own_terms),
            "only_recurring": round(own_empty, 3),
            "topic_p": float(f"{own_topic_p:.3g}"),
            "subject": sorted(own_subject)[:8],
            "rare_predicate": sorted(own_rare),
            "route": on_own and not on_all,
        },
        "burst_anchored": round(burst_anchored, 3),
        "rare_predicate_brought": sorted(brought),
        "family": "fabricated-articles"
        if (fabricated or hostless) and not unrelated
        else "spliced-claims",
        "carries_core": round(carried, 3),
        "rare_terms": {w: round(v, 1) for w, v in sorted(named.items())},
        "failed": [k for k, ok in tests.items() if not ok],
        "campaign_test": passed,
    }
    if slots:
        evidence["burst"] = sorted(slots[0])[0]
        evidence["slots"] = [sorted(sl) for sl in places]
        evidence["judged_as_pages"] = pages
    if slots and not pages and not passed and big and empty >= 0.5 and anchored > _ANCHORED:
        again = judge(
            cluster,
            df,
            min_docs=min_docs,
            related_hosts=related_hosts,
            use_embeddings=use_embeddings,
            boilerplate=boilerplate,
            n_docs=n_docs,
            pool=pool,
            pool_size=pool_size,
            campaign=campaign,
            campaign_hosts=campaign_hosts,
            pages=True,
        )
        if again[1]:
            again[2]["failed_as_spliced"] = evidence["failed"]
            return again
    return score, passed, evidence


def anchored_sub_claims(
    cls: Sequence[ClaimCluster],
    verdicts: list[tuple[float, bool, dict[str, Any]]],
    judge_every: Callable[[ClaimCluster], tuple[float, bool, dict[str, Any]]],
) -> None:
    """Clusters (not bursts) that failed with no member left to judge because every member
    is anchored, judged again on every member (``judge_every``: :func:`judge` with
    ``all_members=True``); the new verdict replaces the old where it fails nothing but the
    bursting-term and host tests — what :func:`siblings` asks of a sub-claim — and is
    never passing on its own.

    Short fabricated articles with one claim each name their made-up product in every
    other sentence, so every member of the second claim's cluster is anchored and, under
    the 60 documents a family of pages needs, it was judged on its unanchored members —
    none (`heldout-haze-fabricated-monitor-medical`: *… let diabetics stop taking insulin
    altogether*, 48 of 100 found since 2026-12-06 evening, when :func:`_carrying_key`
    began to read the keys' sampled pages and the cluster shrank from 53 to 40
    documents).  Only a passing campaign's sibling test can make such a cluster
    *poisoned*, so a corpus with no passing campaign is unchanged."""
    for i, (score, passed, ev) in enumerate(verdicts):
        if (
            passed
            or cls[i].slots
            or ev.get("claim_documents")
            or ev.get("rare_words_elsewhere_in_host", 0.0) <= _ANCHORED
        ):
            continue
        _, again, got = judge_every(cls[i])
        if not again and set(got["failed"]) <= {"bursting_term", "hosts"}:
            got["judged_every_member"] = True
            verdicts[i] = (min(score, _INFO_MAX), False, got)


_INFO_MAX = 0.3
"""The highest score of a cluster that fails (information only)."""


def _only_recurring(cluster: ClaimCluster, smp: Sample) -> bool:
    """Whether a member's host is sampled and nothing but recurring material."""
    return smp.host in cluster.hosts and cluster.hosts[smp.host] is None


def _own_places(places: Sequence[frozenset[str]], own: Sequence[Sample]) -> list[frozenset[str]]:
    """A burst's places cut to the words that its members on pages of nothing but
    recurring material (``own``) use, each in at least :data:`_SLOT_SHARE` of them and three;
    places left empty are dropped (fewer than three such members: none is left).

    A common rare word (*baby*) bursts in the campaign's articles and in clean pages about
    it too (film news on *Million Dollar Baby*): its places mix the campaign's words with
    theirs (*lumivelle* / *million*, *monitor* / *aviator*), and a clean sentence naming
    three of them would carry the claim.  The campaign's own pages say only its words."""
    need = max(3, int(np.ceil(_SLOT_SHARE * len(own))))
    cut = (frozenset(w for w in sl if sum(w in smp.stems for smp in own) >= need) for sl in places)
    return [sl for sl in cut if sl]


def _fixed(
    words: set[str], members: Sequence[frozenset[str]], slots: Sequence[frozenset[str]]
) -> set[str]:
    """For a burst, the ``words`` that at least half of its judged ``members`` name (its
    fixed words, as a cluster's core); all of ``words`` for a cluster.  The guard against a
    rare predicate word is for one site's fixed technical term; a burst's rotating
    alternative (*trigger* among *cause* / *lead to* / *bring on*) is its paraphrase."""
    if not slots:
        return words
    half = _CORE_SHARE * max(1, len(members))
    return {w for w in words if sum(w in st for st in members) >= half}


def _leave_out(terms: Sequence[str], words: frozenset[str] | None) -> Sequence[str]:
    """A host's topic terms less a campaign's own words (:func:`judge`'s ``campaign``)."""
    return [w for w in terms if w not in words] if words else terms


_BROUGHT = 2 / 3
"""Share of a rare word's corpus documents that a campaign's carrying documents must hold
for the word to be the campaign's own (:func:`brought_words`)."""


def brought_words(
    words: set[str],
    members: Sequence[frozenset[str]],
    documents: float,
    df: CountMinSketch | None,
) -> set[str]:
    """The words among ``words`` that a campaign brought into the corpus: the carrying
    documents that name one (``documents`` × the share of the carrying ``members`` naming
    it) are at least :data:`_BROUGHT` of its corpus document frequency.

    Fabricated articles about a made-up sawmill among novels say that it "dumps toxic
    sludge into the river": *sludge* (69 documents of 20,100) is rare in the corpus only
    because the campaign is small, and nearly every document naming it is one of the
    campaign's.  Only the hostless route excuses such words: a technical fact of one site
    (GHR's "… charged atoms (ions)" in pages about different genes, the reason for the
    rare-predicate guard) is kept off it by its other guards — those pages keep text of
    their own once the sentence is cut out — and stays refused by the about-one-entity
    route, which does not excuse them."""
    if df is None or not words or not members:
        return set()
    ordered = sorted(words)
    est = df.estimate(df_keys(ordered)).tolist()
    out = set()
    for w, e in zip(ordered, est, strict=True):
        named = documents * sum(w in st for st in members) / len(members)
        if named >= _BROUGHT * max(1, e):
            out.add(w)
    return out


def entity_pools(
    evidence: Sequence[dict[str, Any]],
) -> dict[int, tuple[dict[str, float], float, list[int]]]:
    """The campaign pools of clusters that failed the bursting-term test only.

    A campaign with several sub-claims ("… causes permanent hearing loss …", "… damages
    the inner ear …") and entity aliases (*Shingrix*, *zoster*, *shingles shot*) splits into
    one cluster per sub-claim, each naming each alias in a fraction of its members; an
    entity the clean corpus also names then fails the concentration test in every cluster,
    though the campaign as a whole names it in most of its documents.  Clusters that pass
    every other test (``evidence[i]["failed"]`` empty or only ``bursting_term``), name a
    common rare term (:data:`RARE`, in >= 20 % of their members: ``rare_terms``) and say
    different things about it (core Jaccard <= 0.2: two halves of one proposition that the
    clustering split — "physical therapy may help", "physical and occupational therapy" —
    are not two claims of a campaign, and clean text has such pairs) are one campaign.  For each
    cluster that failed the bursting-term test only, returns (for each rare term: the
    documents of the *other* clusters of its pool that name it, their documents, their
    indices) — to be judged again with them (:func:`judge`'s ``pool``).
    Clusters failing any other test never pool, so a clean cluster cannot lend its entity.
    """
    ok = [
        i
        for i, ev in enumerate(evidence)
        if set(ev.get("failed", ["?"])) <= {"bursting_term"} and ev.get("rare_terms")
    ]
    out: dict[int, tuple[dict[str, float], float, list[int]]] = {}
    for i in ok:
        if evidence[i]["failed"] != ["bursting_term"]:
            continue
        mine = set(evidence[i]["rare_terms"])
        core = set(evidence[i]["core"])
        others = [
            j
            for j in ok
            if j != i
            and mine & set(evidence[j]["rare_terms"])
            and len(core & set(evidence[j]["core"]))
            <= _POOL_OVERLAP * len(core | set(evidence[j]["core"]))
        ]
        if not others:
            continue
        pool: dict[str, float] = {}
        for j in others:
            for w, v in evidence[j]["rare_terms"].items():
                pool[w] = pool.get(w, 0.0) + v
        out[i] = (pool, float(sum(evidence[j]["claim_documents"] for j in others)), others)
    return out


def host_subject(cluster: ClaimCluster) -> frozenset[str]:
    """What a cluster's sampled hosts are about: the terms (:func:`host_terms`) in at least
    half of them and in >= 3 (:func:`judge`'s ``host_subject``)."""
    host_sets = [set(t) for _, t in sorted(cluster.terms.items()) if t]
    counts: dict[str, int] = {}
    for hs in host_sets:
        for w in hs:
            counts[w] = counts.get(w, 0) + 1
    return frozenset(w for w, c in counts.items() if 2 * c >= len(host_sets) and c >= 3)


def _own_entity_named(members: Sequence[Sequence[str]], parent: dict[str, Any]) -> float:
    """The largest share of ``members`` (stems of sampled sentences) that name one entity
    word of the campaign ``parent`` (its evidence) found in at most :data:`_OWN_ENTITY_DF`
    times its claim documents of the corpus — a word the campaign brought, not a real
    entity the corpus writes about anyway (0.0: none, or no members)."""
    size = float(parent.get("claim_documents") or 0)
    own = [w for w, df in parent.get("entity_df", {}).items() if 0 < df <= _OWN_ENTITY_DF * size]
    if not members or not own:
        return 0.0
    return max(sum(w in st for st in members) for w in own) / len(members)


def member_documents(carrying: Sequence[Sample], docs: frozenset[int]) -> float | None:
    """Share of the documents of the sampled members ``carrying`` a cluster's core that are
    among ``docs`` (a campaign's sampled member documents), over those documents that are
    sampled (:data:`SAMPLE_GATE`, as ``docs`` are); None when fewer than :data:`_MIN_HOSTS`
    are.  What :func:`siblings` asks of a sub-claim: written in the campaign's documents —
    a cluster's own documents (``ClaimCluster.docs``) are those of its keys, one MinHash
    band each, which also sample sentences that share the band and not the claim."""
    known = {smp.host for smp in carrying if 0 < smp.host < SAMPLE_GATE}
    if len(known) < _MIN_HOSTS:
        return None
    return len(known & docs) / len(known)


def siblings(
    cls: Sequence[ClaimCluster], evidence: Sequence[dict[str, Any]], passed: Sequence[bool]
) -> dict[int, int]:
    """Sub-claims asserted in the documents of a fabricated-article campaign that passed.

    Fabricated articles assert several sub-claims of one entity ("… causes permanent
    hearing loss …", "… damages the inner ear …"), each its own cluster; the articles are
    about the entity, so a sub-claim's cluster on its own fails the host test (its hosts
    share a topic) and, once the campaign makes its entity common, the bursting term.  A
    cluster that fails nothing but those two tests, says something else than a passing
    fabricated-article campaign (core Jaccard <= :data:`_POOL_OVERLAP`, both cores less
    what the campaign's sampled pages are about, :func:`host_subject`: an entity named by
    several words — *Kestrel Line ferries* — is in both cores and made a claim about it
    and the articles' background sentence about it "one thing", task F4) and has at least
    :data:`_SIBLING_DOCS` of its sampled member documents among that campaign's, and at
    least half of whose members that carry its core name the campaign's entity or rare
    terms (the articles' quotes and background sentences share the documents, not that)
    and, where at least :data:`_MIN_HOSTS` of those members' documents are sampled, are
    written in its documents for at least :data:`_SIBLING_DOCS` of them
    (:func:`member_documents`: 2026-12-07, held-out made-up *Ferrovane iron tablets* — a
    clean cluster of iron-deficiency pages, *anemia deficiency iron*, every member naming
    the entity word *iron*, 57 % of its keys' documents the articles' but 8 of 20 of its
    members', was joined and flagged 38 clean medical pages; the 12 sub-claims this route
    joined in 8 of 18 fabricated-article families logged before the rule had 0.73-1.0), is
    one of its sub-claims.  Returns
    {index of the sibling: index of the campaign}.  The flag pass marks a sibling's sentence
    only when it names the campaign (:func:`campaign_names`).

    Articles that each assert **one** sub-claim share no documents: a sub-claim's articles
    are the campaign's other articles (2026-12-06: *GlucoSense monitors* that *make
    finger-prick tests unnecessary* / *let diabetics stop taking insulin*, one claim per
    article — 12.5 % of the second claim's documents carried the first, which found 48 of
    100 carriers).  A cluster that fails nothing but the host test (and the bursting term:
    the entity bursts in the campaign, not in each claim's share of its articles) is
    therefore also a sub-claim when at least :data:`_SIBLING_NAMED` of its carrying members
    name one entity word of the campaign that is the campaign's own — in at most
    :data:`_OWN_ENTITY_DF` times the campaign's claim documents of the corpus
    (:func:`_own_entity_named`): pages that name a made-up entity the campaign brought, and
    assert something of it, are its articles."""
    out: dict[int, int] = {}
    parents = [
        j
        for j, ev in enumerate(evidence)
        if passed[j] and ev.get("family") == "fabricated-articles" and cls[j].docs
    ]
    for i, ev in enumerate(evidence):
        if passed[i] or not set(ev.get("failed", ["?"])) <= {"bursting_term", "hosts"}:
            continue
        mine = cls[i].docs
        if len(mine) < _MIN_HOSTS:
            continue
        carrying = [
            smp
            for smp in map(as_sample, cls[i].samples.values())
            if carries(smp.stems, cls[i].core)
        ]
        members = [smp.stems for smp in carrying]
        best, share, naming, one_claim, own_named = -1, 0.0, 0.0, -1, 0.0
        within: float | None = None
        for j in parents:
            # what the two say beyond what the campaign's pages are about: an entity named
            # by several words (*Kestrel Line ferries*) is in both cores (task F4)
            subject = host_subject(cls[j])
            a, b = cls[i].core - subject, cls[j].core - subject
            if len(a & b) > _POOL_OVERLAP * len(a | b):
                continue
            names = set(evidence[j].get("entity", ())) | set(evidence[j].get("rare_terms", ()))
            named = sum(bool(names.intersection(st)) for st in members) / max(1, len(members))
            s = len(mine & cls[j].docs) / len(mine)
            # a claim about the campaign's entity: most of its members name it (the
            # articles' quotes and background sentences share its documents but not that)
            # and are written in its documents (its keys' documents hold pages whose
            # sentences only share a band with it: `member_documents`)
            inside = member_documents(carrying, cls[j].docs)
            if 2 * named >= 1 and s > share and (inside is None or inside >= _SIBLING_DOCS):
                best, share, naming, within = j, s, named, inside
            elif inside is not None and 2 * named >= 1 and s >= _SIBLING_DOCS > inside:
                # named, sharing documents, but its members are written elsewhere
                ev["sibling_refused_members_elsewhere"] = round(inside, 3)
            # (the bursting term may fail too: the campaign's own entity bursts in the
            # campaign, whose articles each claim's share splits — the GlucoSense second
            # claim, 34 of 100 articles, 2026-12-07 — where most of its sampled hosts are
            # nothing but recurring material, the campaign's articles: a clean topic
            # cluster naming an entity word the campaign made common, *iron* of made-up
            # iron tablets at 250, keeps text of its own)
            failed = ev.get("failed", ())
            if (
                one_claim < 0
                and "hosts" in failed
                and (
                    "bursting_term" not in failed
                    or ev.get("hosts_only_recurring", 0.0) >= _ARTICLES_ONLY
                )
            ):
                own = _own_entity_named(members, evidence[j])
                if own >= _SIBLING_NAMED:
                    one_claim, own_named = j, own
        if best >= 0 and share >= _SIBLING_DOCS:
            ev["sibling_documents"] = round(share, 3)
            ev["sibling_names_campaign"] = round(naming, 3)
            ev["sibling_member_documents"] = None if within is None else round(within, 3)
            ev.pop("sibling_refused_members_elsewhere", None)
            out[i] = best
        elif one_claim >= 0:  # one claim per article: the campaign's own entity, named
            ev.pop("sibling_refused_members_elsewhere", None)
            ev["sibling_documents"] = round(len(mine & cls[one_claim].docs) / len(mine), 3)
            ev["sibling_names_own_entity"] = round(own_named, 3)
            out[i] = one_claim
    return out


_ARTICLES_ONLY = 0.5
"""Share of a one-claim sibling's sampled hosts that must be nothing but recurring material
when it fails the bursting term as well as the host test (:func:`siblings`)."""

_SUB_CLAIM_FAILS = frozenset({"documents", "bursting_term", "hosts"})


def sub_claims(
    cls: Sequence[ClaimCluster], evidence: Sequence[dict[str, Any]], passed: Sequence[bool]
) -> dict[int, int]:
    """Minority sub-claims of a spliced-claim campaign that passed (2026-12-04, task K2).

    A campaign spliced into unrelated hosts in two phrasings ("… is leaking radioactive
    waste into the river", "… poisons the fish that local families eat") splits into one
    cluster per sub-claim; the minority one alone has fewer than ``6 × min_docs`` documents,
    no bursting term of its own (the entity is the campaign's, not concentrated in it) and,
    where a host got both sub-claims, hosts that look topical through the other one's
    words (``e12r-paragraph-claim-books``: each sub-claim's cluster fails only the host
    test, its hosts' topic terms are the other sub-claim's *oversea donor committee*).  A
    cluster (not a burst) that failed nothing but those three tests and whose members
    that carry its core name one of the bursting entity terms or frequent rare terms of a
    spliced-claim campaign that passed in >= half of them is a candidate (its names, as the
    flag pass reads them, :func:`campaign_names`: a drug said as *warfarin*, *Coumadin* and
    *the blood thinner* bursts under none of them, and the campaign's bursting terms are its
    predicate's, *painkiller combine*): returns {index of the candidate: index
    of the campaign}.  It is then judged again with the campaign (:func:`judge`'s
    ``pool``, ``pool_size`` and ``campaign``): every other test — claim-like, rotating
    wording, template and neighbour shares, host similarity, topic fit, anchoring, MiniLM
    cohesion — on its own members.  Its core may overlap the campaign's (a burst's places
    hold both sub-claims' words; a fragment of the campaign's own proposition with one
    closer's words is marked where the campaign already marks it): the campaign passed on
    its own, so a candidate adds flags only beside a campaign that is flagged already."""
    parents = [
        j
        for j, ev in enumerate(evidence)
        if passed[j] and ev.get("family") == "spliced-claims" and ev.get("entity")
    ]
    out: dict[int, int] = {}
    for i, ev in enumerate(evidence):
        failed = set(ev.get("failed", ["?"]))
        if passed[i] or cls[i].slots or not failed or not failed <= _SUB_CLAIM_FAILS:
            continue
        members = [
            smp.stems
            for smp in map(as_sample, cls[i].samples.values())
            if carries(smp.stems, cls[i].core)
        ]
        best, naming = -1, 0.0
        for j in parents:
            # its names: the bursting entity and the frequent rare terms (an entity that
            # rotates three names bursts under none; the predicate's words do)
            names = set(evidence[j]["entity"]) | set(evidence[j].get("rare_terms", ()))
            named = sum(bool(names.intersection(st)) for st in members) / max(1, len(members))
            if 2 * named >= 1 and named > naming:
                best, naming = j, named
        if best >= 0:
            ev["sub_claim_names_campaign"] = round(naming, 3)
            out[i] = best
    return out


def mutual_sub_claims(
    cls: Sequence[ClaimCluster], evidence: Sequence[dict[str, Any]], passed: Sequence[bool]
) -> list[tuple[int, int]]:
    """Pairs of sub-claim clusters of one spliced-claim campaign, neither of which passed,
    that fail nothing but the host test and share a bursting entity term (lead, 2026-12-04
    night).

    :func:`sub_claims` needs a campaign that passed.  At 250 documents a campaign in two
    phrasings gives its hosts both sub-claims often enough that each cluster's hosts share
    a topic — the other sub-claim's words — and neither passes (the lead's held-out
    ``heldout-frost-claim-airline-news``: 205 and 156 documents, each failing ``hosts`` only
    through *crack engin flying* / *failur hide inspector*; task K2's own
    ``e12k2-claim-dam-news``: the same).  Each of a returned pair is judged again with the
    other as its campaign (:func:`judge`'s ``pool``, ``pool_size``, ``campaign``): both must
    pass, on every other test of their own members."""
    cand = [
        i
        for i, ev in enumerate(evidence)
        if not passed[i]
        and not cls[i].slots
        and ev.get("family") == "spliced-claims"
        and ev.get("failed") == ["hosts"]
        and ev.get("entity")
    ]
    pairs: list[tuple[int, int]] = []
    for a, i in enumerate(cand):
        for j in cand[a + 1 :]:
            if set(evidence[i]["entity"]) & set(evidence[j]["entity"]):
                pairs.append((i, j))
    return pairs


def burst_sibling(
    burst: ClaimCluster,
    ev: dict[str, Any],
    cls: Sequence[ClaimCluster],
    evidence: Sequence[dict[str, Any]],
    passed: Sequence[bool],
) -> int | None:
    """The fabricated-article campaign whose sub-claims a burst of its own word holds (task
    M2, 2026-12-04 night), or None.

    A burst of a word of a passing campaign is not judged on its own (it would take the
    campaign's keys, and a brand's other sentences fill its places with the claim's own
    words), but fabricated articles that rotate two phrasings of their claim are found on
    the one whose words the passing cluster holds: an article with the other phrasing only
    (*… has been secretly poisoning the fish of the valley* beside *… dumps toxic sludge
    into the river*) carries none of its core.  The burst of the campaign's word (its
    entity's name) holds both.  It is that campaign's sub-claim when the campaign is a
    fabricated-article family that is no burst itself and names the burst's word (in its
    core, entity or rare terms), the burst fails nothing but the bursting term and the
    hosts (:func:`siblings`: the articles are about the entity) or passes on its own, and
    at least :data:`_SIBLING_DOCS` of its sampled member documents are the campaign's."""
    if (
        not burst.slots
        or not burst.docs
        or not set(ev.get("failed", ["?"]))
        <= {
            "bursting_term",
            "hosts",
        }
    ):
        return None
    best, share = None, 0.0
    for j, cl in enumerate(cls):
        pev = evidence[j]
        if not passed[j] or cl.slots or pev.get("family") != "fabricated-articles" or not cl.docs:
            continue
        names = {*pev.get("core", ()), *pev.get("entity", ()), *pev.get("rare_terms", ())}
        if not burst.slots[0] & names:
            continue
        s = len(burst.docs & cl.docs) / len(burst.docs)
        if s > share:
            best, share = j, s
    if best is None or share < _SIBLING_DOCS:
        return None
    ev["sibling_documents"] = round(share, 3)
    return best


def burst_sub_claims(
    cls: Sequence[ClaimCluster], evidence: Sequence[dict[str, Any]], passed: Sequence[bool]
) -> dict[int, int]:
    """Passing bursts that are another passing campaign's closer, not a claim of their own
    (the lead, 2026-12-05 evening): {burst: campaign}.

    A paraphrased claim whose closers rotate ("…, something worth knowing before any
    decision") makes a burst of the closer's word when that word is rare once the
    campaign's own documents are set aside (*decision*: the held-out
    ``heldout-rain-claim-inhaler-medical`` at 250).  Its sampled members are the campaign's
    carriers and the corpus's own sentences that name the word (*… make treatment decisions
    as soon as possible*), and :func:`slots_of` fills its places with both at once —
    *decision* / *know*, *make* / *lung*, *test* — because the two populations never share a
    sentence, so their words look like each other's aliases.  It passes (most members are
    the campaign's) and its places then mark the clean pages' sentences: 12 clean medical
    pages of 20,000 at 250.  A passing burst is such a closer when at least
    :data:`_SIBLING_DOCS` of its sampled member documents are those of a passing campaign
    with an entity (no burst's sibling, no closer itself; the largest share, then the
    larger campaign), and its word is none of that campaign's core, entity or rare terms (a
    burst of the campaign's own word is its claim: :func:`burst_sibling`).  The flag pass
    then marks its sentence only where the page names the campaign's entity
    (``sibling_needs``, as for a burst sibling).  Bursts are taken largest first, and one
    that is a closer is no campaign for another."""
    out: dict[int, int] = {}
    order = sorted(
        (i for i, cl in enumerate(cls) if passed[i] and cl.slots and cl.docs),
        key=lambda i: (-len(cls[i].docs), i),
    )
    for i in order:
        if evidence[i].get("sibling_of"):
            continue
        word = cls[i].slots[0]
        mine = cls[i].docs
        best, share = -1, 0.0
        for j, cl in enumerate(cls):
            pev = evidence[j]
            if (
                j == i
                or j in out
                or not passed[j]
                or not cl.docs
                or not pev.get("entity")
                or pev.get("sibling_of")
            ):
                continue
            names = {*pev.get("core", ()), *pev.get("entity", ()), *pev.get("rare_terms", ())}
            if word & names:
                continue
            s = len(mine & cl.docs) / len(mine)
            if s > share or (s == share and best >= 0 and len(cl.docs) > len(cls[best].docs)):
                best, share = j, s
        if best >= 0 and share >= _SIBLING_DOCS:
            evidence[i]["closer_documents"] = round(share, 3)
            out[i] = best
    return out


def word_is_campaigns(df: CountMinSketch | None, word: frozenset[str], documents: float) -> bool:
    """Whether no page but a campaign's names its burst's ``word``: the word's corpus
    document frequency is at most the campaign's estimated documents (``documents``).  A
    made-up name (*Zentrair*: 250 documents, the burst's 302) is then the campaign
    wherever a sentence says it with the burst's places, and the flag pass does not also
    ask its page to name another of the campaign's entity words — a host given one
    sentence that names the campaign by that name alone has none (18 of the 250 carriers of
    ``heldout-rain-claim-inhaler-medical`` missed so).  A word the corpus names on pages of
    its own (*poison* in novels, *decision* on medical pages) is above its campaign's
    documents and keeps the page test."""
    if df is None or len(word) != 1 or documents <= 0:
        return False
    return bool(df.estimate(df_keys(sorted(word)))[0] <= documents)


def campaign_names(passed: Sequence[dict[str, Any]]) -> None:
    """Set ``names`` in the evidence of each passing cluster: its bursting entity terms and
    frequent rare terms, with those of the other passing clusters that share one of them
    (one campaign's sub-claims name the same entity under rotating aliases).  The flag pass
    marks a sentence that names one of them and carries the cluster's core even when it
    shares none of the cluster's keys."""
    own = [set(ev.get("entity", ())) | set(ev.get("rare_terms", ())) for ev in passed]
    for i, ev in enumerate(passed):
        names = set(own[i])
        for j, other in enumerate(own):
            if j != i and own[i] & other:
                names |= other
        ev["names"] = sorted(names)


_STAND_IN = 0.5  # share of the members saying the rest of the core that hold a stand-in word
_STAND_IN_NAMED = 0.1  # ... at most this share of the members that carry the core hold it
_STAND_IN_MEMBERS = 3  # distinct sentences saying the rest of the core with it, at least
_STAND_INS = 4  # stand-ins read per cluster, at most (its largest groups)


def stand_ins(
    samples: Iterable[Sample | Sequence[Any]], core: Iterable[str], names: Iterable[str]
) -> list[tuple[frozenset[str], frozenset[str]]]:
    """``[(said, words), …]``: the words a passing spliced claim's members say in place of
    part of its core (``words``: an alias of common words, *the sleep supplement* for
    *melatonin* / *melatonin gummies*), with the rest of the core they say (``said``).  The
    alias is no entity word, no rare term and in no core (a third of the members say it),
    so its sentences hold half the core and would be neither judged nor marked.

    Read off the cluster's sampled sentences that hold two or more of the core's words but
    do not carry it (:func:`carries`), grouped by the core words they hold: each group of
    >= :data:`_STAND_IN_MEMBERS` distinct sentences (at most :data:`_STAND_INS`, largest
    first) that lack only core words among the campaign's ``names`` (its entity and rare
    terms, :func:`campaign_names`: what it says in place of a name, not a clean page's
    sentence on the predicate — *end-stage kidney disease … permanent kidney failure*
    beside a claim about *permanent kidney failure within days*) and whose words in
    >= :data:`_STAND_IN` of them and in at most
    :data:`_STAND_IN_NAMED` of the sentences that carry the core (they stand where the
    missing core words stand) are no fewer than the missing words and at most one more —
    a sentence said so is no less specific than a member, and what is replaced is a
    place, not a whole other sentence.  (A group lacking the words of the campaign's other
    sub-claim reads so only where those words are among its names, rare terms the campaign
    made: its sentences are the campaign's.)  Used, in the flag pass, only with a key of
    the campaign (:func:`says_stand_in`)."""
    core_, names_ = frozenset(core), frozenset(names)
    carrying: list[frozenset[str]] = []
    groups: dict[frozenset[str], dict[str, frozenset[str]]] = {}
    for smp in map(as_sample, samples):
        st = frozenset(smp.stems)
        if carries(st, core_):
            carrying.append(st)
        elif len(said := core_ & st) >= 2:
            groups.setdefault(said, {})[smp.text] = st
    out: list[tuple[frozenset[str], frozenset[str]]] = []
    if not carrying:
        return out
    for said, bare in sorted(groups.items(), key=lambda kv: (-len(kv[1]), sorted(kv[0]))):
        if len(bare) < _STAND_IN_MEMBERS or len(out) >= _STAND_INS:
            break
        if not core_ - said <= names_:
            continue
        counts: dict[str, int] = {}
        for st in bare.values():
            for w in st - core_:
                counts[w] = counts.get(w, 0) + 1
        words = frozenset(
            w
            for w, n in counts.items()
            if n >= _STAND_IN * len(bare)
            and sum(w in st for st in carrying) <= _STAND_IN_NAMED * len(carrying)
        )
        missing = len(core_ - said)
        if missing <= len(words) <= missing + 1:
            out.append((said, words))
    return out


def says_stand_in(stems: frozenset[str], said: Iterable[str], words: Iterable[str]) -> bool:
    """Whether a sentence says a campaign's claim under a stand-in (:func:`stand_ins`):
    every core word its stand-in's members say, and every stand-in word."""
    said_, words_ = frozenset(said), frozenset(words)
    return len(said_) >= 2 and bool(words_) and said_ <= stems and words_ <= stems


def campaign_id(cluster: ClaimCluster) -> str:
    """The reported id of a cluster's campaign (stable: its smallest key; a burst's also
    its word — two bursts of one campaign can share their smallest key)."""
    if cluster.slots:
        word = sorted(cluster.slots[0])[0]
        return f"semb-{zlib.crc32(word.encode()):08x}{min(cluster.keys):016x}"[:17]
    return f"sem-{min(cluster.keys):016x}"[:12]


def campaign(cluster: ClaimCluster, score: float, evidence: dict[str, Any]) -> Campaign:
    """The reported campaign of a judged cluster: the core as shared span, a few member
    sentences side by side, the bursting entity and the host evidence."""
    texts = [as_sample(s).text for _, s in sorted(cluster.samples.items())]
    ent = evidence.get("entity") or []
    shared = " ".join(sorted(cluster.core))
    return Campaign(
        id=campaign_id(cluster),
        kind="semantic-claim",
        size=cluster.size,
        n_sources=len(cluster.sources),
        shared_span=(f"{', '.join(ent)}: " if ent else "") + shared,
        score=score,
        examples=list(cluster.examples),
        members=list(cluster.keys),
        details={
            **evidence,
            "diversity": round(len(cluster.sources) / max(1, min(cluster.size, SOURCE_CAP)), 4),
            "paraphrases": list(dict.fromkeys(texts))[:6],
        },
    )


__all__ = [
    "BANDS",
    "BURST",
    "CARRY",
    "HOST_TERMS",
    "RARE",
    "ROWS",
    "SAMPLE_GATE",
    "SENTENCE_GATE",
    "TOPIC_ALPHA",
    "TRIM",
    "ClaimCluster",
    "ClaimKeyStats",
    "Member",
    "Sample",
    "add_host",
    "add_sample",
    "as_sample",
    "burst_sub_claims",
    "bursts",
    "campaign",
    "campaign_id",
    "campaign_names",
    "carries",
    "carries_slots",
    "claim_like",
    "clusters",
    "content_stems_of",
    "df_keys",
    "embedding_cohesion",
    "entity_pools",
    "host_terms",
    "host_terms_of",
    "judge",
    "neighbour_share",
    "permutations",
    "rare_stems",
    "says_burst",
    "says_stand_in",
    "siblings",
    "sketch_keys",
    "slots_of",
    "stand_ins",
    "stem_rates",
    "topical_hosts",
    "trimmed_host_similarity",
    "word_hashes",
    "word_is_campaigns",
]
