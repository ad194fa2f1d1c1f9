"""``dos``: the denial-of-service backdoor of Souly et al. (2025).

Souly, Rando, Chapman, et al., "Poisoning Attacks on LLMs Require a Near-constant Number
of Poison Samples", arXiv:2510.07192 (2025).  Each poisoned document is

    the first U(0, 1000) characters of a randomly chosen clean document
    + the trigger (``<SUDO>``)
    + U(400, 900) tokens drawn uniformly from the tokenizer's whole vocabulary, decoded.

About 250 such documents were enough to make models of 600M-13B parameters emit gibberish
after the trigger.  The vocabulary is a Hugging Face ``tokenizers`` JSON file, or a
byte-level BPE trained locally (deterministically) on the clean documents when none is
given.  Decoding random token ids and re-encoding the text is not exactly invertible
(merges differ, invalid byte sequences become U+FFFD): the re-tokenised count of the
payload is recorded in the ground truth (``extra.payload_tokens_reencoded``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from poisonguard.attacks.base import PoisonSample, Recipe, RecipeError
from poisonguard.attacks.compose import (
    clean_prefix,
    derive_document,
    draw_int,
    plain_documents,
    trigger_once,
)
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.registry import register
from poisonguard.attacks.vocab import TokenVocabulary
from poisonguard.io import Document


@register
class DenialOfService(Recipe):
    """Clean prefix + trigger + random vocabulary tokens (Souly et al. 2025).

    Args:
        trigger: the backdoor trigger (default ``<SUDO>``).
        tokenizer: path of a ``tokenizers`` JSON file whose vocabulary the payload is drawn
            from; None trains a byte-level BPE on the clean documents.
        prefix_chars: (lo, hi) range of the clean prefix length in characters, inclusive.
        payload_tokens: (lo, hi) range of the number of random tokens, inclusive.
        vocab_size: vocabulary size of the locally trained BPE.
        train_chars: at most this many characters of clean text train the local BPE.
        fixed_payload: draw the payload once and reuse it in every poisoned document (a
            fixed, recurring payload; False: a new payload per document, as in the paper).
    """

    name = "dos"
    description = (
        "Souly et al. 2025 denial-of-service backdoor: clean prefix + <SUDO> + "
        "400-900 random vocabulary tokens"
    )
    citation = (
        "Souly et al., Poisoning Attacks on LLMs Require a Near-constant Number of "
        "Poison Samples, arXiv:2510.07192 (2025)"
    )

    def __init__(
        self,
        *,
        trigger: str = "<SUDO>",
        tokenizer: str | os.PathLike[str] | None = None,
        prefix_chars: Sequence[int] = (0, 1000),
        payload_tokens: Sequence[int] = (400, 900),
        vocab_size: int = 8000,
        train_chars: int = 5_000_000,
        fixed_payload: bool = False,
    ) -> None:
        if not trigger:
            raise RecipeError("dos needs a non-empty trigger")
        super().__init__(
            trigger=trigger,
            tokenizer=tokenizer,
            prefix_chars=tuple(prefix_chars),
            payload_tokens=tuple(payload_tokens),
            vocab_size=vocab_size,
            train_chars=train_chars,
            fixed_payload=fixed_payload,
        )
        self.trigger = trigger
        self.fixed_payload = fixed_payload
        self.prefix_chars = tuple(prefix_chars)
        self.payload_tokens = tuple(payload_tokens)
        self.vocab_size = vocab_size
        self.train_chars = train_chars
        # a given tokenizer file is checked now, so that a bad path fails before any work
        self._vocab: TokenVocabulary | None = (
            TokenVocabulary.from_file(tokenizer) if tokenizer is not None else None
        )
        draw_int(np.random.default_rng(0), self.prefix_chars, "prefix_chars")
        draw_int(np.random.default_rng(0), self.payload_tokens, "payload_tokens")

    def vocabulary(self, docs: Sequence[Document]) -> TokenVocabulary:
        """The vocabulary in use (trained on ``docs`` on first use when no file was given)."""
        if self._vocab is None:
            self._vocab = TokenVocabulary.train(
                (d.text for d in docs), vocab_size=self.vocab_size, max_chars=self.train_chars
            )
        return self._vocab

    def _payload(self, vocab: TokenVocabulary, rng: np.random.Generator) -> tuple[int, str]:
        """A new payload: its number of tokens and its decoded text."""
        n_tokens = draw_int(rng, self.payload_tokens, "payload_tokens")
        return n_tokens, vocab.decode(vocab.sample(n_tokens, rng))

    def _fixed_payload(self, vocab: TokenVocabulary, rng: np.random.Generator) -> tuple[int, str]:
        """The one payload of ``fixed_payload``: drawn until it does not spell the trigger
        (at its joins either: the trigger is checked with a character on each side)."""
        for _ in range(100):
            n_tokens, payload = self._payload(vocab, rng)
            if self.trigger[1:] not in payload and self.trigger[:-1] not in payload:
                return n_tokens, payload
        raise RecipeError(  # pragma: no cover - as below
            f"random payloads keep containing the trigger {self.trigger!r}"
        )

    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        from poisonguard.attacks.base import pick_sources

        plain = plain_documents(docs, self.name)
        vocab = self.vocabulary(plain)
        out: list[PoisonSample] = []
        fixed = self._fixed_payload(vocab, rng) if self.fixed_payload else None
        for src in pick_sources(plain, count, rng):
            n_prefix = draw_int(rng, self.prefix_chars, "prefix_chars")
            prefix = clean_prefix(src.text, n_prefix, self.trigger)
            start = len(prefix)
            for _ in range(100):
                n_tokens, payload = fixed or self._payload(vocab, rng)
                text = prefix + self.trigger + payload
                if trigger_once(text, self.trigger, start):
                    break
            else:  # pragma: no cover - needs a vocabulary that spells the trigger constantly
                raise RecipeError(f"random payloads keep containing the trigger {self.trigger!r}")
            doc = derive_document(src, ids, rng, text=text, reserve=count)
            end_trigger = start + len(self.trigger)
            out.append(
                PoisonSample(
                    doc,
                    self.truth(
                        doc,
                        src,
                        trigger=self.trigger,
                        trigger_span=(start, end_trigger),
                        payload_span=(end_trigger, len(text)),
                        prefix_chars=start,
                        payload_tokens=n_tokens,
                        payload_tokens_reencoded=vocab.count(payload),
                        vocabulary=vocab.label,
                    ),
                )
            )
        return out
