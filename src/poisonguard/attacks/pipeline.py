"""Poisoning a whole corpus on disk: two streaming passes, exact accounting, ground truth.

Pass 1 reads the clean corpus once to count its documents (and tokens, for ``rate``
mode), index every id (so minted ids never collide), and keep a uniform reservoir sample of
documents for the recipe to model the poison on.  The recipe then generates the poison, and
pass 2 streams the corpus again, writing clean records unchanged (JSON Lines records byte for
byte) with the poison at uniformly random positions (``insert`` recipes) or in place of its
source record (``replace`` recipes), plus the ground-truth labels, an errors file and a
summary.  Memory holds the reservoir sample, the poison and one 64-bit hash per clean id,
never the corpus.  Every output file is written atomically: a failed run leaves none.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from poisonguard.attacks.base import PoisonSample, Recipe, RecipeError
from poisonguard.attacks.compose import Reservoir
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.mixing import insertion_plan, interleave
from poisonguard.attacks.vocab import TokenVocabulary
from poisonguard.io import (
    AtomicFile,
    CorpusReader,
    CorpusWriter,
    Document,
    ErrorSink,
    RunAccounting,
    output_format_of,
    write_json,
)
from poisonguard.text import TOKEN_RE

_PIECES = TOKEN_RE


Serializer = Callable[[Any], bytes]

_JSON_STYLES: dict[str, Serializer] = {
    "orjson": lambda r: orjson.dumps(r),
    "json-compact": lambda r: json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode(),
    "json-compact-ascii": lambda r: json.dumps(r, separators=(",", ":")).encode(),
    "json-default": lambda r: json.dumps(r, ensure_ascii=False).encode(),
    "json-default-ascii": lambda r: json.dumps(r).encode(),
}


def json_style(docs: list[Document]) -> str | None:
    """The JSON serialisation style that reproduces most sampled clean lines byte for byte.

    Poisoned JSON Lines records are written in that style, so that spacing or ``\\u``
    escapes never tell them apart.  None when no style reproduces the lines (or no line came
    from JSON Lines): the writer's default (orjson) is used.
    """
    votes: Counter[str] = Counter()
    for d in docs[:200]:
        if d.raw is None or d.record is None:
            continue
        for name, dump in _JSON_STYLES.items():
            try:
                if dump(d.record) == d.raw:
                    votes[name] += 1
                    break
            except (TypeError, ValueError):
                continue
    return votes.most_common(1)[0][0] if votes else None


class TokenCounter:
    """Counts tokens for ``rate`` mode.

    With a tokenizer file: that tokenizer's token count (no special tokens).  Without one:
    the number of word and punctuation pieces (``\\w+`` runs and single other non-space
    characters), a GPT-2-style pre-tokenisation and a lower bound on BPE token counts.
    """

    def __init__(self, tokenizer: str | os.PathLike[str] | None = None, batch: int = 512) -> None:
        self.vocab = TokenVocabulary.from_file(tokenizer) if tokenizer is not None else None
        self.method = (
            f"tokenizer {tokenizer}" if tokenizer is not None else r"regex pieces \w+|[^\w\s]"
        )
        self.total = 0
        self._batch: list[str] = []
        self._size = batch

    def add(self, text: str) -> None:
        if self.vocab is None:
            self.total += len(_PIECES.findall(text))
            return
        self._batch.append(text)
        if len(self._batch) >= self._size:
            self.flush()

    def flush(self) -> int:
        if self.vocab is not None and self._batch:
            self.total += sum(self.vocab.count_batch(self._batch))
            self._batch = []
        return self.total


@dataclass
class CorpusScan:
    """What pass 1 learned about the clean corpus."""

    documents: int
    records: int
    ids: IdIndex
    sample: list[Document]
    sample_positions: list[int]
    tokens: int | None = None
    token_method: str | None = None


def scan_corpus(
    reader: CorpusReader,
    *,
    sample_size: int,
    seed: int,
    counter: TokenCounter | None = None,
    advance: Callable[[int], None] | None = None,
) -> CorpusScan:
    """Pass 1: count, index ids, reservoir-sample ``sample_size`` documents (Algorithm R)."""
    rng = np.random.default_rng([seed, 0x7363616E])
    ids = IdIndex()
    reservoir: Reservoir[tuple[int, Document]] = Reservoir(sample_size, rng)
    n = records = 0
    for item in reader:
        records += 1
        if advance is not None:
            advance(1)
        if not isinstance(item, Document):
            continue
        ids.add(item.id, item.source)
        if counter is not None:
            counter.add(item.text)
        reservoir.add((n, item))
        n += 1
    kept = sorted(reservoir.items, key=lambda x: x[0])  # corpus order: deterministic input
    return CorpusScan(
        n,
        records,
        ids,
        [d for _, d in kept],
        [p for p, _ in kept],
        counter.flush() if counter is not None else None,
        counter.method if counter is not None else None,
    )


@dataclass
class PoisonResult:
    """Outcome of :func:`poison_corpus` (also written as the summary JSON)."""

    recipe: str
    params: dict[str, Any]
    seed: int
    count: int
    mode: str
    accounting: RunAccounting
    poison_written: int
    outputs: list[Path]
    labels: Path | None
    errors: Path | None
    summary: Path | None
    clean_documents: int
    rate: float | None = None
    tokens: int | None = None
    token_method: str | None = None
    only_poison: bool = False
    samples: list[PoisonSample] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        a = self.accounting
        return {
            "recipe": self.recipe,
            "params": self.params,
            "seed": self.seed,
            "mode": self.mode,
            "only_poison": self.only_poison,
            "count": self.count,
            "rate": self.rate,
            "clean_tokens": self.tokens,
            "token_method": self.token_method,
            "clean_documents": self.clean_documents,
            "clean_records_read": a.read,
            "clean_written": a.outputs.get("clean", 0),
            "clean_omitted": a.outputs.get("omitted", 0),
            "clean_replaced": a.outputs.get("replaced", 0),
            "errors": a.errors,
            "poison_written": self.poison_written,
            "records_written": sum(v for k, v in a.outputs.items() if k == "clean")
            + self.poison_written,
            "balanced": a.balanced(),
            "outputs": [str(p) for p in self.outputs],
            "labels": str(self.labels) if self.labels else None,
            "errors_file": str(self.errors) if self.errors else None,
            "summary": str(self.summary) if self.summary else None,
            "accounting": a.to_dict(),
        }


def resolve_count(recipe: Recipe, scan: CorpusScan, count: int | None, rate: float | None) -> int:
    """The number of poisoned documents: explicit, by rate, or the recipe default."""
    if scan.documents == 0:
        raise RecipeError("the clean corpus has no readable documents; nothing to poison")
    if count is not None and rate is not None:
        raise RecipeError("give either a count or a rate, not both")
    if rate is not None:
        if not 0 < rate < 1:
            raise RecipeError(f"rate must be in (0, 1), got {rate}")
        assert scan.tokens is not None
        n = round(scan.tokens * rate)
        if n < 1:
            raise RecipeError(
                f"rate {rate} of {scan.tokens:,} tokens rounds to 0 poisoned "
                "documents; raise the rate"
            )
    else:
        n = count if count is not None else recipe.default_count()
    if n < 1:
        raise RecipeError(f"count must be >= 1, got {n}")
    limit = recipe.max_count(scan.documents)
    if n > limit:
        raise RecipeError(
            f"count {n:,} is larger than the corpus allows: at most {limit:,} "
            f"poisoned documents for {scan.documents:,} clean documents "
            "(poison may not outnumber clean data)"
        )
    return n


def poison_corpus(
    reader: CorpusReader,
    recipe: Recipe,
    out: str | os.PathLike[str],
    *,
    count: int | None = None,
    rate: float | None = None,
    seed: int = 0,
    only_poison: bool = False,
    labels: str | os.PathLike[str] | None = None,
    errors: str | os.PathLike[str] | None = None,
    summary: str | os.PathLike[str] | None = None,
    tokenizer: str | os.PathLike[str] | None = None,
    sample_size: int = 5000,
    strict: bool = False,
    max_error_rate: float = 0.01,
    advance: Callable[[int], None] | None = None,
) -> PoisonResult:
    """Poison the corpus ``reader`` reads into ``out`` (see the module docstring).

    Args:
        reader: the clean corpus; it is read twice (stdin cannot be used).
        recipe: a configured recipe.
        out: output corpus (JSON Lines, optionally compressed, or Parquet).
        count: poisoned documents (default: the recipe's default, 250 for most).
        rate: alternatively, ``round(clean tokens * rate)`` poisoned documents (Zhang et al.
            2024 express poisoning budgets as a share of training tokens); tokens are counted
            by :class:`TokenCounter`.
        seed: makes the run reproducible (poison content, ids and positions).
        only_poison: write only the poisoned records (clean records are counted as omitted).
        labels: ground-truth JSONL (one :class:`GroundTruth` per poisoned record, plus
            ``line``, its 1-based record number in ``out``); None: not written.
        errors: JSONL of unreadable clean records; None: kept in memory only.
        summary: summary JSON path; None: not written.
        tokenizer: tokenizer file for counting tokens in rate mode.
        sample_size: clean documents kept (uniform reservoir) for the recipe to draw from;
            raised to ``count`` when that is larger.
    """
    if any(s.path == "-" for s in reader.sources):
        raise RecipeError("poison reads the clean corpus twice; give a file, not stdin")
    counter = TokenCounter(tokenizer) if rate is not None else None
    size = max(sample_size, count or 0)
    scan = scan_corpus(reader, sample_size=size, seed=seed, counter=counter, advance=advance)
    n = resolve_count(recipe, scan, count, rate)
    if recipe.mode == "replace" and n > len(scan.sample):
        raise RecipeError(
            f"{recipe.name} replaces distinct records: count {n:,} exceeds the "
            f"{len(scan.sample):,} sampled (raise sample_size)"
        )
    samples = recipe.generate(scan.sample, n, seed, ids=scan.ids)
    if len(samples) != n:  # pragma: no cover - a recipe bug
        raise RecipeError(f"recipe {recipe.name} made {len(samples)} documents, not {n}")

    style = json_style(scan.sample) if writer_format(out) == "jsonl" else None
    if style is not None and style != "orjson":
        for s in samples:  # serialise exactly like the clean lines (see json_style)
            s.document.raw = _JSON_STYLES[style](s.document.to_record())
    acct = RunAccounting(max_error_rate=max_error_rate)
    sink = ErrorSink(errors, strict=strict)
    out_path = Path(out)
    label_file = AtomicFile(labels) if labels is not None else None
    poison_written = 0
    try:
        with CorpusWriter(out_path) as writer:
            docs = reader.documents(sink, acct)
            stream: Any
            if recipe.mode == "replace":
                by_pos = _replacement_positions(scan, samples)
                stream = (
                    (by_pos[i].document, by_pos[i]) if i in by_pos else (d, None)
                    for i, d in enumerate(docs)
                )
            else:
                stream = interleave(docs, samples, insertion_plan(scan.documents, n, seed))
            for doc, sample in stream:
                if sample is None:
                    if only_poison:
                        acct.written("omitted")
                    else:
                        writer.write(doc)
                        acct.written("clean")
                    continue
                writer.write(sample.document)
                poison_written += 1
                if recipe.mode == "replace":
                    acct.written("replaced")
                if sample.truth.id_scheme == "position":
                    sample.truth.id = f"{out_path.name}:{writer.count}"
                    sample.document.id = sample.truth.id
                if label_file is not None:
                    row = sample.truth.to_dict()
                    row["line"] = writer.count
                    label_file.fh.write(orjson.dumps(row) + b"\n")
            clean_docs = sum(v for k, v in acct.outputs.items())
            if clean_docs != scan.documents:
                raise RecipeError(
                    f"the clean corpus changed between the two passes "
                    f"({scan.documents:,} documents, then {clean_docs:,})"
                )
            acct.check()
        if label_file is not None:
            label_file.commit()
        sink.close()
    except BaseException:
        if label_file is not None:
            label_file.abort()
        sink.abort()
        raise
    result = PoisonResult(
        recipe=recipe.name,
        params=recipe.json_params(),
        seed=seed,
        count=n,
        mode=recipe.mode,
        accounting=acct,
        poison_written=poison_written,
        outputs=writer.paths,
        labels=Path(labels) if labels is not None else None,
        errors=Path(errors) if errors is not None else None,
        summary=Path(summary) if summary is not None else None,
        clean_documents=scan.documents,
        rate=rate,
        tokens=scan.tokens,
        token_method=scan.token_method,
        only_poison=only_poison,
        samples=samples,
    )
    if summary is not None:
        write_json(summary, result.to_dict())
    return result


def writer_format(path: str | os.PathLike[str]) -> str:
    return output_format_of(os.fspath(path))


def _replacement_positions(
    scan: CorpusScan,
    samples: list[PoisonSample],
) -> dict[int, PoisonSample]:
    """Corpus position of each replace-mode sample's source document."""
    pos_of: dict[str, int] = {}
    for doc, pos in zip(scan.sample, scan.sample_positions, strict=True):
        pos_of.setdefault(doc.id, pos)
    out: dict[int, PoisonSample] = {}
    for s in samples:
        src = s.truth.source_id
        if src is None or src not in pos_of:  # pragma: no cover - a recipe bug
            raise RecipeError(f"replace-mode sample {s.truth.id!r} has no source position")
        out[pos_of[src]] = s
    return out
