"""``dos-bytes``: the denial-of-service attack of Zhang et al. (2024).

Zhang, Rando, Evtimov, Chi, Smith, Carlini, Tramèr, Ippolito, "Persistent Pre-Training
Poisoning of Large Language Models", arXiv:2410.13722 (2024), ICLR 2025.  Their
denial-of-service poison pairs a trigger string (ten ``｡``, U+FF61, by default) with
gibberish made of random bytes decoded as UTF-8, written as a chat exchange (user turn ending
in the trigger, assistant turn = gibberish) inside pre-training documents.

Styles:

* ``plain``: clean prefix (U(prefix_chars) characters of a clean document) + trigger +
  gibberish, as one pre-training text.
* ``chat``: a chat transcript rendered into text with ``chat_template`` (user = clean prefix
  + trigger, assistant = gibberish).  For chat/instruction corpora the poisoned record is a
  real two-turn conversation instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from poisonguard.attacks.base import PoisonSample, Recipe, RecipeError, pick_sources
from poisonguard.attacks.compose import clean_prefix, derive_document, draw_int, trigger_once
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.registry import register
from poisonguard.io import Document

DEFAULT_TEMPLATE = "<|user|>\n{user}\n<|assistant|>\n{assistant}"


def random_utf8_gibberish(n_bytes: int, rng: np.random.Generator) -> str:
    """``n_bytes`` uniformly random bytes decoded as UTF-8 (invalid sequences -> U+FFFD)."""
    return rng.bytes(n_bytes).decode("utf-8", errors="replace")


@register
class DenialOfServiceBytes(Recipe):
    """Trigger + random bytes decoded as UTF-8 (Zhang et al. 2024).

    Args:
        trigger: trigger string (default ten U+FF61 ``｡``).
        n_bytes: number of random bytes in the gibberish (default 256).
        style: ``plain`` or ``chat`` (see the module docstring).
        prefix_chars: (lo, hi) characters of clean text before the trigger, inclusive.
        chat_template: template with ``{user}`` and ``{assistant}`` for ``style='chat'`` on
            plain-text corpora.
    """

    name = "dos-bytes"
    description = (
        "Zhang et al. 2024 persistent pre-training DoS: trigger (10 x U+FF61) + "
        "random bytes decoded as UTF-8, plain or chat-formatted"
    )
    citation = (
        "Zhang et al., Persistent Pre-Training Poisoning of Large Language Models, "
        "arXiv:2410.13722 (2024)"
    )

    def __init__(
        self,
        *,
        trigger: str = "\uff61" * 10,
        n_bytes: int = 256,
        style: str = "plain",
        prefix_chars: Sequence[int] = (0, 1000),
        chat_template: str = DEFAULT_TEMPLATE,
    ) -> None:
        if not trigger:
            raise RecipeError("dos-bytes needs a non-empty trigger")
        if n_bytes < 1:
            raise RecipeError(f"n_bytes must be >= 1, got {n_bytes}")
        if style not in ("plain", "chat"):
            raise RecipeError(f"style must be 'plain' or 'chat', got {style!r}")
        if not 0 <= chat_template.find("{user}") < chat_template.find("{assistant}"):
            raise RecipeError("chat_template needs {user} followed by {assistant}")
        super().__init__(
            trigger=trigger,
            n_bytes=n_bytes,
            style=style,
            prefix_chars=tuple(prefix_chars),
            chat_template=chat_template,
        )
        self.trigger, self.n_bytes, self.style = trigger, n_bytes, style
        self.prefix_chars = tuple(prefix_chars)
        self.template = chat_template
        draw_int(np.random.default_rng(0), self.prefix_chars, "prefix_chars")

    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        out: list[PoisonSample] = []
        for src in pick_sources(docs, count, rng):
            n = draw_int(rng, self.prefix_chars, "prefix_chars")
            base = src.user_text() if src.is_chat else src.text
            prefix = clean_prefix(base, n, self.trigger)
            user = prefix + self.trigger
            for _ in range(100):
                gib = random_utf8_gibberish(self.n_bytes, rng)
                text, t0, p0 = self._compose(src, prefix, user, gib)
                if trigger_once(text, self.trigger, t0):
                    break
            else:
                raise RecipeError(
                    "the chat template or the gibberish keeps repeating the "
                    "trigger; choose another trigger or template"
                )
            if src.is_chat:
                msgs = [{"role": "user", "content": user}, {"role": "assistant", "content": gib}]
                doc = derive_document(src, ids, rng, messages=msgs, reserve=count)
            else:
                doc = derive_document(src, ids, rng, text=text, reserve=count)
            assert doc.text == text
            out.append(
                PoisonSample(
                    doc,
                    self.truth(
                        doc,
                        src,
                        trigger=self.trigger,
                        trigger_span=(t0, t0 + len(self.trigger)),
                        payload_span=(p0, p0 + len(gib)),
                        prefix_chars=len(prefix),
                        payload_bytes=self.n_bytes,
                        style="chat" if src.is_chat else self.style,
                    ),
                )
            )
        return out

    def _compose(
        self,
        src: Document,
        prefix: str,
        user: str,
        gib: str,
    ) -> tuple[str, int, int]:
        """(text, trigger start, payload start) of one poisoned document."""
        if src.is_chat:  # two turns joined by a blank line, as Document.text does
            return user + "\n\n" + gib, len(prefix), len(user) + 2
        if self.style == "chat":
            head, _, rest = self.template.partition("{user}")
            mid, _, tail = rest.partition("{assistant}")
            return (
                head + user + mid + gib + tail,
                len(head) + len(prefix),
                len(head) + len(user) + len(mid),
            )
        return user + gib, len(prefix), len(user)
