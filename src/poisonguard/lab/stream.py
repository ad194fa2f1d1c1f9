"""The training stream: clean tokens scaled to the model, poison placed uniformly at random.

Design (the one that separates "count" from "percentage"):

* The clean pool is tokenised once, in a seed-dependent order.  A model of ``N``
  parameters trains on the first ``tokens_per_param · N`` clean tokens of that order, so a
  smaller model's clean data is a prefix of a larger one's.
* The poison count is absolute.  Poisoned document ``i`` gets a position
  ``u_i ~ Uniform(0, 1)`` drawn from the seed alone -- never from the model size or the
  clean budget -- and is inserted before the first clean document that starts at or after
  ``u_i · clean_tokens``.  Every model therefore meets the same poison at the same relative
  time of its training, however long that training is.
* Documents are separated by the EOS token and the stream is cut into consecutive windows of
  ``context + 1`` tokens that are trained on in order (one epoch, no repetition).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from poisonguard.io import Document
from poisonguard.lab.tokenizer import LabTokenizer


class StreamError(ValueError):
    """The corpus cannot provide the stream asked for (the message says why)."""


@dataclass(slots=True)
class TokenizedDoc:
    """One document as token ids (EOS not included) with its ground-truth label."""

    id: str
    tokens: np.ndarray
    poison: bool = False

    def __len__(self) -> int:
        return int(self.tokens.shape[0])


def tokenize_docs(
    tokenizer: LabTokenizer, docs: Sequence[Document], *, poison: bool = False, batch: int = 512
) -> list[TokenizedDoc]:
    """Tokenise documents in batches (empty documents are kept as zero-length entries)."""
    out: list[TokenizedDoc] = []
    for i in range(0, len(docs), batch):
        chunk = docs[i : i + batch]
        for d, ids in zip(chunk, tokenizer.encode_batch([d.text for d in chunk]), strict=True):
            out.append(TokenizedDoc(d.id, np.asarray(ids, dtype=np.int32), poison))
    return out


def poison_fractions(count: int, seed: int) -> np.ndarray:
    """Relative stream positions of ``count`` poisoned documents, a function of the seed only.

    Draws are prefix-consistent: the first ``k`` fractions for count ``n >= k`` equal those
    for count ``k``.
    """
    if count < 0:
        raise StreamError(f"poison count must be >= 0, got {count}")
    rng = np.random.default_rng([seed, 0x504F49])  # independent of every other seed use
    return rng.random(count)


@dataclass(slots=True)
class TrainingStream:
    """A concatenated token stream with per-token document labels.

    Attributes:
        tokens: int32 token ids (documents separated by EOS).
        doc_of_token: index into :attr:`docs` for every token (an EOS belongs to the document
            it ends).
        docs: the documents in stream order.
        starts: start offset of every document in :attr:`tokens`.
        clean_tokens: tokens (incl. EOS) from clean documents.
        poison_tokens: tokens (incl. EOS) from poisoned documents.
    """

    tokens: np.ndarray
    doc_of_token: np.ndarray
    docs: list[TokenizedDoc]
    starts: np.ndarray
    clean_tokens: int
    poison_tokens: int
    poison_positions: list[float] = field(default_factory=list)

    @property
    def n_poison_docs(self) -> int:
        return sum(d.poison for d in self.docs)

    @property
    def poison_token_fraction(self) -> float:
        total = self.clean_tokens + self.poison_tokens
        return self.poison_tokens / total if total else 0.0

    @property
    def poison_doc_fraction(self) -> float:
        return self.n_poison_docs / len(self.docs) if self.docs else 0.0

    def windows(self, context: int) -> int:
        """Number of training windows of ``context + 1`` tokens (stride ``context``)."""
        return max(0, (len(self.tokens) - 1) // context)


def build_stream(
    clean: Sequence[TokenizedDoc],
    poison: Sequence[TokenizedDoc],
    fractions: np.ndarray,
    clean_budget: int,
    eos_id: int,
) -> TrainingStream:
    """Take clean documents (in order) until ``clean_budget`` tokens, insert the poison.

    Args:
        clean: the clean pool in its (seeded) order.
        poison: poisoned documents; ``poison[i]`` is placed at ``fractions[i]``.
        fractions: relative positions from :func:`poison_fractions` (same length as poison).
        clean_budget: clean tokens (EOS included) the model trains on.
        eos_id: the document separator.
    """
    if len(fractions) != len(poison):
        raise StreamError(f"{len(poison)} poisoned documents but {len(fractions)} positions")
    taken: list[TokenizedDoc] = []
    total = 0
    for d in clean:
        if total >= clean_budget:
            break
        if len(d) == 0:
            continue
        taken.append(d)
        total += len(d) + 1
    if total < clean_budget:
        raise StreamError(
            f"the clean corpus has {total:,} tokens but {clean_budget:,} are "
            "needed; use a larger corpus or fewer tokens per parameter"
        )
    clean_starts = np.cumsum([0] + [len(d) + 1 for d in taken[:-1]])
    # poison i goes before clean document insert_at[i] (== len(taken): at the very end)
    insert_at = np.searchsorted(clean_starts, np.asarray(fractions) * total, side="left")
    order = np.argsort(insert_at, kind="stable")
    docs: list[TokenizedDoc] = []
    p = 0
    for ci in range(len(taken) + 1):
        while p < len(order) and insert_at[order[p]] == ci:
            docs.append(poison[int(order[p])])
            p += 1
        if ci < len(taken):
            docs.append(taken[ci])
    lengths = np.asarray([len(d) + 1 for d in docs], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    tokens = np.empty(int(lengths.sum()), dtype=np.int32)
    for d, s in zip(docs, starts, strict=True):
        tokens[s : s + len(d)] = d.tokens
        tokens[s + len(d)] = eos_id
    doc_of_token = np.repeat(np.arange(len(docs), dtype=np.int32), lengths)
    poison_tokens = int(sum(len(d) + 1 for d in docs if d.poison))
    positions = [float(s) / len(tokens) for d, s in zip(docs, starts, strict=True) if d.poison]
    return TrainingStream(
        tokens=tokens,
        doc_of_token=doc_of_token,
        docs=docs,
        starts=starts,
        clean_tokens=total,
        poison_tokens=poison_tokens,
        poison_positions=positions,
    )
