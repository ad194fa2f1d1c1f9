"""A confirmed campaign's payloads as evidence for its weaker carriers (issue 12, task P2).

The flag pass of :mod:`poisonguard.detect.triggers` judges each carrier of a confirmed
trigger *alone*, at fixed bars made for any text (half of the next dozen words foreign to
the corpus, half of the next word pairs unseen, ...).  A short payload — a dozen random
tokens, 15 words of salad, a man page whose first line is English — often sits under every
one of those bars, though just under several at once, and the same campaign's other
carriers show what its payloads look like.  This module holds that comparison:

* a few **features** of the text right after an occurrence, each a rise over the host text
  before it (computed by :mod:`~poisonguard.detect.triggers`): words foreign to the corpus,
  word pairs the corpus never writes, the drop in cohesion, and the share of the next words
  in the campaign's **lexicon** (words its payloads share that the corpus's hosts seldom
  write);
* their distribution at **null positions** (sentence starts of sampled documents that hold
  no trigger) and at the campaign's **own carriers in the sample**;
* the **campaign vocabulary** of the next :data:`VOCAB_WORDS` words: their mean log
  likelihood ratio under the words the campaign's carriers write after it (half the
  campaign's word frequencies, half the hosts', so a word the campaign never wrote reads
  ``log 1/2`` and one both write alike reads about 0) against the hosts' word frequencies,
  floored at 0
  (:class:`Vocabulary`) — fluent text of another register (Markov text of news or medical
  pages ending novels, a passage of another corpus) that no fixed bar sees, since its words
  and their pairs are the corpus's own;
* a naive-Bayes **score**, the log likelihood ratio campaign / null summed over the features
  the campaign shows (bins cut at the null's quantiles), and a **bar** at the null's
  ``1 - q`` quantile of that score, measured on a second half of the null positions, with
  ``q`` set so that the corpus's clean carriers of the trigger (estimated from the sample)
  are expected to give at most :data:`BUDGET` false flags, and never above :data:`Q_MAX`.

Nothing here is used on a corpus where no trigger is confirmed, and it only ever adds a
route for carriers of a confirmed trigger: joint evidence (the trigger *and* text after it
that the null seldom writes) is still needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = (
    "foreign words",
    "unseen pairs",
    "cohesion drop",
    "campaign words",
    "campaign vocabulary",
)
"""What each column of a feature row measures (in this order)."""

VOCAB_WORDS = 48
"""Words after an occurrence that the campaign-vocabulary feature reads (:class:`Vocabulary`):
a fluent payload's register shows over a few dozen words, not in the first twelve."""

HOST_CHARS = 5_000
"""Characters of each host read into the hosts' word counts (:meth:`Vocabulary.hosts_of`)."""

QUANTILES = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995)
"""Where each feature's bins are cut, as quantiles of the null positions."""

CAMPAIGN_QUANTILES = (0.1, 0.25, 0.5, 0.75)
"""... and of the campaign's sampled carriers."""

SHOWS = 0.3
"""A feature is used when at least this share of the campaign's sampled carriers lie above
its null's 90th percentile (three times the null's share): the campaign's payloads show it."""

BUDGET = 0.25
"""False flags the rule may expect among the corpus's clean carriers of one trigger ..."""

Q_MAX = 0.01
"""... at a per-occurrence rate never above this (the null's 99th percentile) ..."""

MIN_TAIL = 10
"""... and never below what the null positions can resolve (this many above the bar)."""

MIN_CARRIERS = 8
"""Sampled carriers a campaign needs before its payloads are taken as a profile."""

LEXICON_SHARE = 0.2
"""A word is the campaign's when it follows at least this share of its sampled carriers
(and at least :data:`LEXICON_MIN` of them) ..."""

LEXICON_MIN = 3

LEXICON_RISE = 10.0
"""... and this many times more often than it occurs in the sample's hosts."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Word counts of a campaign's text after its trigger and of the hosts, for the
    campaign-vocabulary feature (:meth:`score`).  ``campaign`` and ``hosts`` are word →
    occurrences; the hosts' counts must not come from the documents the null positions are
    taken from (a null position scored by counts that hold its own words reads as the hosts'
    more than a clean page outside the sample would: a bar too low)."""

    campaign: dict[str, int]
    hosts: dict[str, int]
    campaign_total: int
    hosts_total: int
    vocabulary: int

    @classmethod
    def of(cls, carriers: Sequence[Sequence[str]], hosts: dict[str, int]) -> Vocabulary:
        """The counts of the words after each carrier (lower case) against ``hosts``
        (:meth:`hosts_of`)."""
        camp: dict[str, int] = {}
        for ws in carriers:
            for w in ws:
                camp[w] = camp.get(w, 0) + 1
        return cls(
            camp,
            hosts,
            sum(camp.values()),
            sum(hosts.values()),
            len(hosts.keys() | camp.keys()) + 1,
        )

    @staticmethod
    def hosts_of(texts: Sequence[str], words: Callable[[str], Sequence[str]]) -> dict[str, int]:
        """Word counts (lower case) of the first :data:`HOST_CHARS` characters of each
        text, ``words`` splitting a text into words."""
        out: dict[str, int] = {}
        for t in texts:
            for w in words(t[:HOST_CHARS]):
                w = w.lower()
                out[w] = out.get(w, 0) + 1
        return out

    def score(self, words: Sequence[str]) -> float:
        """Mean log likelihood ratio of ``words`` (lower case): campaign (its frequencies
        mixed half and half with the hosts') against the hosts, floored at 0 — text that
        reads less like the campaign than like the hosts is no evidence either way (a
        naive-Bayes bin would otherwise reward a low reading wherever the cross-fitted
        carriers, whose own rare words the other half never wrote, sit lower than the null:
        English prose after a phrase whose carriers are Spanish was flagged so); 0 with no
        words or no campaign counts."""
        if not words or self.campaign_total <= 0:
            return 0.0
        denom = self.hosts_total + 0.5 * self.vocabulary
        total = 0.0
        for w in words:
            ph = (self.hosts.get(w, 0) + 0.5) / denom
            pc = self.campaign.get(w, 0) / self.campaign_total
            total += math.log(0.5 * pc + 0.5 * ph) - math.log(ph)
        return max(0.0, total / len(words))


@dataclass(frozen=True, slots=True)
class Profile:
    """One confirmed trigger's payload profile: per used feature the bin edges and the
    log likelihood ratio of each bin, the bar on their sum, and the lexicon."""

    used: tuple[int, ...]
    edges: tuple[tuple[float, ...], ...]
    weights: tuple[tuple[float, ...], ...]
    bar: float
    q: float
    lexicon: frozenset[str]
    carriers: int
    bases: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """The null's median reading before a position (foreign words, unseen pairs,
    cohesion): the baseline where an occurrence has too little host text before it."""
    vocabulary: Vocabulary | None = None
    """The campaign-vocabulary feature's counts (all sampled carriers)."""

    def score(self, row: Sequence[float]) -> float:
        """The log likelihood ratio campaign / null of one feature row."""
        total = 0.0
        for f, edges, w in zip(self.used, self.edges, self.weights, strict=True):
            total += w[int(np.searchsorted(edges, row[f], side="right"))]
        return total

    def judges(self, row: Sequence[float]) -> bool:
        """Whether the row is over the bar (and likelier the campaign's than the null's)."""
        s = self.score(row)
        return s > 0.0 and s > self.bar

    def describe(self, row: Sequence[float]) -> str:
        """The reviewer's evidence: the features used and their values."""
        shown = ", ".join(f"{FEATURES[f]} {row[f]:+.2f}" for f in self.used)
        return (
            f"text that reads as this campaign's payloads ({shown}; log likelihood ratio "
            f"{self.score(row):.1f} over the bar {self.bar:.1f}, the null's top {self.q:.2%}, "
            f"judged against {self.carriers} sampled carriers)"
        )


def lexicon(
    carriers: Sequence[Sequence[str]], host_df: dict[str, int], n_hosts: int
) -> frozenset[str]:
    """Words (lower case, no digits) that follow at least :data:`LEXICON_SHARE` of the carriers (the
    next words of each, as a set) and :data:`LEXICON_RISE` times more often than the hosts
    hold them (``host_df``: sampled hosts holding each word, of ``n_hosts``)."""
    if not carriers or n_hosts <= 0:
        return frozenset()
    counts: dict[str, int] = {}
    for ws in carriers:
        for w in {w for w in ws if not any(ch.isdigit() for ch in w)}:
            counts[w] = counts.get(w, 0) + 1
    n = len(carriers)
    least = max(LEXICON_MIN, math.ceil(LEXICON_SHARE * n))
    return frozenset(
        w
        for w, c in counts.items()
        if c >= least and c / n >= LEXICON_RISE * (host_df.get(w, 0) + 1) / n_hosts
    )


def unresolved(n_null: int, clean: float) -> bool:
    """Whether ``n_null`` null rows (half of them held out) — enough for the bar of a
    campaign with few clean carriers (:data:`Q_MAX`) — are too few to resolve the bar of one
    with ``clean`` clean carriers (fewer than :data:`MIN_TAIL` held rows above it;
    :func:`build` returns None then).  False for a null too small for any bar: a small
    sample gets no profile, as before."""
    if n_null < 2 * MIN_TAIL / Q_MAX:
        return False
    return min(Q_MAX, BUDGET / max(1.0, clean)) * (n_null // 2) < MIN_TAIL


def build(null: np.ndarray, campaign: np.ndarray, clean: float) -> Profile | None:
    """The profile of a campaign from feature rows at null positions (``null``, shape
    ``(n, len(FEATURES))``) and at its sampled carriers (``campaign``), or None when too
    few carriers, no feature the campaign shows, or a bar the null cannot resolve.
    ``clean``: the corpus's clean carriers of the trigger, estimated (an over-estimate is
    safe: a stricter bar); the bar's rate is :data:`BUDGET` over it, at most
    :data:`Q_MAX`."""
    if len(campaign) < MIN_CARRIERS or len(null) < 2 * MIN_TAIL / Q_MAX:
        return None
    fit, held = null[0::2], null[1::2]
    used: list[int] = []
    edges: list[tuple[float, ...]] = []
    weights: list[tuple[float, ...]] = []
    for f in range(null.shape[1]):
        # cut where the null lies, and where the campaign does: a feature with ties (one
        # word of the lexicon in twelve is already the null's 99th percentile) keeps its
        # resolution above them
        cut = np.unique(
            np.concatenate(
                [np.quantile(fit[:, f], QUANTILES), np.quantile(campaign[:, f], CAMPAIGN_QUANTILES)]
            )
        )
        if not len(cut):
            continue
        if np.mean(campaign[:, f] > np.quantile(fit[:, f], 0.9)) < SHOWS:
            continue
        k = len(cut) + 1
        nb = np.bincount(np.searchsorted(cut, fit[:, f], side="right"), minlength=k)
        cb = np.bincount(np.searchsorted(cut, campaign[:, f], side="right"), minlength=k)
        p_null = (nb + 0.5) / (len(fit) + 0.5 * k)
        p_camp = (cb + 0.5) / (len(campaign) + 0.5 * k)
        used.append(f)
        edges.append(tuple(float(x) for x in cut))
        weights.append(tuple(float(x) for x in np.log(p_camp / p_null)))
    if not used:
        return None
    probe = Profile(tuple(used), tuple(edges), tuple(weights), math.inf, Q_MAX, frozenset(), 0)
    held_scores = np.sort([probe.score(r) for r in held])[::-1]

    def bar_at(q: float) -> float:
        return float(held_scores[max(0, math.ceil(q * len(held_scores)) - 1)])

    q = min(Q_MAX, BUDGET / max(1.0, clean))
    if q * len(held_scores) < MIN_TAIL:
        return None
    return Profile(
        tuple(used), tuple(edges), tuple(weights), bar_at(q), q, frozenset(), len(campaign)
    )
