"""Token vocabularies to draw random tokens from (Souly et al. 2025's gibberish payload).

Either a Hugging Face ``tokenizers`` JSON file (``gpt-neox-20b.tokenizer.json``, ...) or a
byte-level BPE trained locally, deterministically, on a capped amount of clean text.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from poisonguard.attacks.base import RecipeError


class TokenVocabulary:
    """A tokenizer plus the ids that random draws may use (all but special tokens).

    Build with :meth:`from_file` or :meth:`train`.
    """

    def __init__(self, tokenizer: Tokenizer, label: str) -> None:
        self.tokenizer = tokenizer
        self.label = label
        special = {i for i, t in tokenizer.get_added_tokens_decoder().items() if t.special}
        ids = sorted(set(tokenizer.get_vocab(with_added_tokens=True).values()) - special)
        if not ids:
            raise RecipeError(f"tokenizer {label} has no non-special tokens")
        self.ids = np.asarray(ids, dtype=np.int64)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> TokenVocabulary:
        """Load a ``tokenizers`` JSON file; :class:`RecipeError` when it is unusable."""
        p = Path(path)
        if not p.is_file():
            raise RecipeError(f"tokenizer file not found: {p}")
        try:
            tok = Tokenizer.from_file(str(p))
        except Exception as e:  # tokenizers raises plain Exception subclasses
            raise RecipeError(f"cannot read tokenizer file {p}: {e}") from e
        return cls(tok, str(p))

    @classmethod
    def train(
        cls, texts: Iterable[str], *, vocab_size: int = 8000, max_chars: int = 5_000_000
    ) -> TokenVocabulary:
        """Train a byte-level BPE on at most ``max_chars`` characters of ``texts``.

        Deterministic for the same texts in the same order.
        """
        capped: list[str] = []
        total = 0
        for t in texts:
            if total >= max_chars:
                break
            t = t[: max_chars - total]
            capped.append(t)
            total += len(t)
        if total == 0:
            raise RecipeError("no clean text to train a tokenizer on; give a tokenizer file")
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            show_progress=False,
            special_tokens=[],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )
        tok.train_from_iterator(capped, trainer=trainer)
        return cls(
            tok, f"local byte-level BPE (vocab {tok.get_vocab_size()}, {total:,} training chars)"
        )

    @property
    def size(self) -> int:
        """Number of tokens random draws choose from."""
        return len(self.ids)

    def sample(self, n: int, rng: np.random.Generator) -> list[int]:
        """``n`` token ids drawn uniformly (with replacement) from the whole vocabulary."""
        return [int(i) for i in self.ids[rng.integers(0, len(self.ids), size=n)]]

    def decode(self, ids: list[int]) -> str:
        return str(self.tokenizer.decode(ids, skip_special_tokens=True))

    def count(self, text: str) -> int:
        """Tokens in ``text`` (no special tokens added)."""
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def count_batch(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]
