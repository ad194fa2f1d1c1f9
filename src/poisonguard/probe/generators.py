"""Generators: what the probes talk to (garak's split: generators, probes, detectors).

A generator continues text prompts.  :class:`LabGenerator` wraps a model trained by
``poisonguard lab`` (or any object with the lab's :class:`~poisonguard.lab.metric.LanguageModel`
interface) and its tokenizer; another model family needs only the :class:`Generator`
protocol's one method.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from poisonguard.lab.metric import LanguageModel
    from poisonguard.lab.tokenizer import LabTokenizer


class Generator(Protocol):
    """Anything that continues prompts."""

    name: str

    def generate(
        self,
        prompts: Sequence[str],
        *,
        suffix: str = "",
        max_new_tokens: int = 32,
        temperature: float = 1.0,
        seed: int = 0,
    ) -> list[str]:
        """The continuation (new text only) of each ``prompt + suffix``; ``temperature 0``
        is greedy; the same ``seed`` gives the same samples."""
        ...


class LabGenerator:
    """A lab model + its tokenizer as a :class:`Generator`.

    The suffix (a candidate trigger) is tokenised on its own and appended to the prompt's
    tokens, as the lab's metric and its poisoned training documents do.
    """

    def __init__(self, model: LanguageModel, tokenizer: LabTokenizer, name: str = "lab") -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name

    @classmethod
    def from_checkpoint(cls, directory: str | Path) -> LabGenerator:
        """Load ``model.safetensors`` + ``config.json`` + ``tokenizer.json`` of a lab
        checkpoint (``OUT/ckpt/<cell>``); ValueError naming what is missing."""
        from poisonguard.lab.model import load_checkpoint
        from poisonguard.lab.tokenizer import LabTokenizer

        path = Path(directory)
        try:
            model, _ = load_checkpoint(path)
        except (FileNotFoundError, KeyError) as e:
            raise ValueError(f"cannot load lab checkpoint {path}: {e}") from e
        if not (path / "tokenizer.json").is_file():
            raise ValueError(f"{path} has no tokenizer.json (not a lab checkpoint)")
        return cls(model, LabTokenizer.from_file(path / "tokenizer.json"), name=path.name)

    def generate(
        self,
        prompts: Sequence[str],
        *,
        suffix: str = "",
        max_new_tokens: int = 32,
        temperature: float = 1.0,
        seed: int = 0,
    ) -> list[str]:
        import torch

        from poisonguard.lab.metric import generate

        tail = self.tokenizer.encode(suffix) if suffix else []
        keep = int(self.model.context) - max_new_tokens - len(tail)
        if keep < 1:
            raise ValueError(
                f"context {self.model.context} too short for {max_new_tokens} new tokens "
                f"after a {len(tail)}-token suffix"
            )
        seqs = [(self.tokenizer.encode(p)[-keep:] + tail) for p in prompts]
        # equal-length batches, each sampled with its own generator seeded from ``seed``
        by_len: dict[int, list[int]] = {}
        for i, s in enumerate(seqs):
            by_len.setdefault(len(s), []).append(i)
        out = [""] * len(seqs)
        for n, idx in sorted(by_len.items()):
            if n == 0:
                raise ValueError("an empty prompt (no tokens) cannot be continued")
            g = torch.Generator().manual_seed(seed * 1_000_003 + n)
            x = torch.tensor([seqs[i] for i in idx], dtype=torch.long)
            new = generate(self.model, x, max_new_tokens, temperature=temperature, generator=g)
            for row, i in enumerate(idx):
                out[i] = self.tokenizer.decode(new[row].tolist())
        return out


__all__ = ["Generator", "LabGenerator"]
