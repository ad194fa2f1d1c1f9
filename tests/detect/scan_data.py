"""Shared, cached test data for the scan tests: real clean text and real poison recipes."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from poisonguard.attacks import PoisonSample, get, mix_poison
from poisonguard.datasets import python_docs
from poisonguard.io import Document


@lru_cache(maxsize=1)
def clean_docs() -> tuple[Document, ...]:
    """The embedded CPython corpus (~3,400 real English documents)."""
    return tuple(python_docs())


@lru_cache(maxsize=16)
def poison(recipe: str, count: int, seed: int = 0, **params: object) -> tuple[PoisonSample, ...]:
    """``count`` samples of a poison recipe generated from :func:`clean_docs`."""
    return tuple(get(recipe)(**params).generate(list(clean_docs()), count, seed=seed))


def mixed(
    samples: tuple[PoisonSample, ...], seed: int = 0, clean: tuple[Document, ...] | None = None
) -> list[Document]:
    return list(
        mix_poison(list(clean if clean is not None else clean_docs()), list(samples), seed=seed)
    )


def word_tokenizer(path: Path, docs: tuple[Document, ...], top: int = 3000) -> str:
    """A word-level ``tokenizers`` file of the corpus's ``top`` most frequent words.

    Fed to the ``dos`` recipe it makes word salad out of real, common words — the case that
    character statistics miss.
    """
    from tokenizers import Tokenizer, decoders
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import WhitespaceSplit

    counts = Counter(w for d in docs for w in re.findall(r"[A-Za-z]+", d.text))
    vocab = {"[UNK]": 0}
    for w, _ in counts.most_common(top):
        vocab[w] = len(vocab)
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    tok.save(str(path))
    return str(path)


def scan_dos(
    d: Path, count: int = 30, n_clean: int = 500
) -> tuple[Path, Path, tuple[PoisonSample, ...]]:
    """Write ``n_clean`` real documents + ``count`` `dos` documents (``<SUDO>``) to
    ``d/corpus.jsonl`` and scan them (naturalness + trigger mining) into ``d/scan``.

    Returns the corpus, the scan folder and the poison samples."""
    from poisonguard.detect.pipeline import scan
    from poisonguard.io import write_documents

    samples = poison("dos", count)
    corpus = d / "corpus.jsonl"
    write_documents(corpus, mixed(samples, clean=clean_docs()[:n_clean]))
    out = d / "scan"
    scan(corpus, out, detectors=["naturalness", "triggers"])
    return corpus, out, samples
