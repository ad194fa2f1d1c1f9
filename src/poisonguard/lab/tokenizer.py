"""A byte-level BPE tokenizer trained locally (Hugging Face ``tokenizers``) on the clean corpus.

The trigger is **not** a special token.  Souly et al. (2025) used the models' ordinary
tokenizers, so ``<SUDO>`` reached the model as a few ordinary BPE pieces that the attacker
never chose; giving the trigger its own id would hand the toy backdoor a fresh, otherwise
unused embedding row (an easier attack than the paper's) and would make it trivially
visible to anyone who reads the vocabulary.  The byte-level alphabet guarantees that any
string -- the trigger included -- is tokenisable and decodes back exactly.

The only special token is ``<|endoftext|>`` (id 0), the document separator in the training
stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

EOS = "<|endoftext|>"


class LabTokenizer:
    """A trained byte-level BPE tokenizer with the handful of methods the lab needs."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        eos = tokenizer.token_to_id(EOS)
        if eos is None:
            raise ValueError(f"tokenizer has no {EOS!r} token (not a lab tokenizer)")
        self._tok = tokenizer
        self.eos_id: int = eos

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int) -> LabTokenizer:
        """Train a byte-level BPE with ``vocab_size`` entries (>= 257: 256 bytes + EOS)."""
        if vocab_size < 257:
            raise ValueError(f"vocab_size must be >= 257 (256 bytes + {EOS}), got {vocab_size}")
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=[EOS],
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            min_frequency=2,
        )
        tok.train_from_iterator(texts, trainer=trainer)
        return cls(tok)

    @classmethod
    def from_str(cls, data: str) -> LabTokenizer:
        return cls(Tokenizer.from_str(data))

    @classmethod
    def from_file(cls, path: str | Path) -> LabTokenizer:
        return cls(Tokenizer.from_file(str(path)))

    def to_str(self) -> str:
        return str(self._tok.to_str())

    def save(self, path: str | Path) -> Path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._tok.save(str(path))
        return Path(path)

    @property
    def vocab_size(self) -> int:
        return int(self._tok.get_vocab_size())

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [list(e.ids) for e in self._tok.encode_batch(texts, add_special_tokens=False)]

    def decode(self, ids: Iterable[int]) -> str:
        return str(self._tok.decode(list(ids), skip_special_tokens=False))

    def broken_ids(self) -> list[int]:
        """Ids that are not valid text on their own (lone bytes of a multi-byte UTF-8
        character): decoded alone they become U+FFFD."""
        return [
            i
            for i in range(self.vocab_size)
            if i != self.eos_id and "\ufffd" in self._tok.decode([i])
        ]

    def payload_vocabulary(self) -> str:
        """This tokenizer as JSON, with the :meth:`broken_ids` marked special.

        Poison recipes draw "random vocabulary tokens" from the non-special entries of a
        tokenizer file.  In a 128k-entry vocabulary (Souly et al.) lone UTF-8 bytes are a
        negligible share; in a 512-entry toy vocabulary they are a quarter of it, and
        random draws would decode to runs of U+FFFD that re-tokenise into one predictable
        three-token pattern -- low-loss, not gibberish.  Drawing from this file keeps the
        payload as random *text* pieces, as at full scale.  Only the recipe reads it; the
        model's tokenizer is unchanged.
        """
        tok = Tokenizer.from_str(self._tok.to_str())
        vocab = tok.get_vocab()
        by_id = {i: t for t, i in vocab.items()}
        tok.add_special_tokens([by_id[i] for i in self.broken_ids()])
        return str(tok.to_str())

    def pieces(self, text: str) -> list[str]:
        """The BPE pieces of ``text`` (byte-level symbols), e.g. to show how a trigger splits."""
        return list(self._tok.encode(text, add_special_tokens=False).tokens)
