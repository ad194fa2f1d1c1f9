"""The experiment grid: sizes × poison counts × seeds × defenses, resumable cell by cell.

Layout of an output directory::

    spec.json            the experiment (a second run must agree on everything that
                         changes a cell; the grid axes may grow)
    tokenizer.json       the BPE trained on the clean pool (reused on resume)
    cells/<cell>.json    one finished cell (written last and atomically: resume skips it)
    ckpt/<cell>/         its checkpoint (model.safetensors + config.json + tokenizer.json)
    filter/c<count>_s<seed>.json   ids the data filter kept (defense "filter")
    results.csv, results.json, asr_vs_count.png, asr_vs_percentage.png, report.md

A cell's judge (the clean model of the same size and seed: count 0, no defense) always runs
before the cells that need it.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from poisonguard.io import AtomicFile, CorpusReader, Document, write_json
from poisonguard.lab.defense import DocLossOutlierDrop, DocumentFilter
from poisonguard.lab.metric import MetricConfig, evaluate_backdoor
from poisonguard.lab.model import GPT, SIZES, count_params, load_checkpoint, save_checkpoint
from poisonguard.lab.stream import (
    StreamError,
    TokenizedDoc,
    build_stream,
    poison_fractions,
    tokenize_docs,
)
from poisonguard.lab.tokenizer import LabTokenizer
from poisonguard.lab.train import TrainConfig, train, validation_loss

DEFENSES = ("none", "filter", "losstrunc")


class LabError(ValueError):
    """An experiment that cannot run as asked (the message says why)."""


@dataclass(frozen=True, slots=True)
class LabSpec:
    """Everything that defines an experiment.

    Attributes:
        sizes: model sizes (keys of :data:`poisonguard.lab.model.SIZES`).
        counts: absolute numbers of poisoned documents (0 = the clean reference).
        seeds: run seeds (data order, poison content and placement, initialisation).
        defenses: ``none``, ``filter`` (train on what the scan keeps), ``losstrunc``.
        defense_counts: the counts the defended arms run at (None: every count).
        recipe: poison recipe name (``poisonguard.attacks``); ``trigger`` its trigger.
        vocab_size: BPE vocabulary size.
        tokens_per_param: clean training tokens per model parameter.
        heldout_docs: clean documents held out for prompts and validation loss.
        tokenizer_chars: characters of the clean pool the tokenizer is trained on.
        corpus: clean corpus paths (None: the embedded ``python_docs()`` corpus).
        train: optimiser settings; metric: metric settings.
    """

    sizes: tuple[str, ...]
    counts: tuple[int, ...]
    seeds: tuple[int, ...]
    defenses: tuple[str, ...] = ("none",)
    defense_counts: tuple[int, ...] | None = None
    recipe: str = "dos"
    trigger: str = "<SUDO>"
    vocab_size: int = 512
    tokens_per_param: float = 20.0
    heldout_docs: int = 64
    tokenizer_chars: int = 2_000_000
    corpus: tuple[str, ...] | None = None
    train: TrainConfig = field(default_factory=TrainConfig)
    metric: MetricConfig = field(default_factory=MetricConfig)

    def __post_init__(self) -> None:
        for s in self.sizes:
            if s not in SIZES:
                raise LabError(f"unknown model size {s!r}; known: {', '.join(SIZES)}")
        for d in self.defenses:
            if d not in DEFENSES:
                raise LabError(f"unknown defense {d!r}; known: {', '.join(DEFENSES)}")
        if any(c < 0 for c in self.counts):
            raise LabError("poison counts must be >= 0")
        if not (self.sizes and self.counts and self.seeds and self.defenses):
            raise LabError("sizes, counts, seeds and defenses must each be non-empty")
        if self.tokens_per_param <= 0:
            raise LabError("tokens_per_param must be > 0")

    def cell_key(self) -> dict[str, Any]:
        """The settings every cell depends on (not the grid axes)."""
        d = asdict(self)
        for axis in ("sizes", "counts", "seeds", "defenses", "defense_counts"):
            d.pop(axis)
        d["corpus"] = list(self.corpus) if self.corpus else None
        return json.loads(json.dumps(d))

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabSpec:
        d = dict(d)
        d["train"] = TrainConfig(**d.get("train", {}))
        d["metric"] = MetricConfig(**d.get("metric", {}))
        for k in ("sizes", "counts", "seeds", "defenses"):
            d[k] = tuple(d[k])
        for k in ("corpus", "defense_counts"):
            if d.get(k) is not None:
                d[k] = tuple(d[k])
        return cls(**d)


PRESETS: dict[str, LabSpec] = {
    # the whole pipeline in well under a minute on 2 CPU cores (not the science)
    "smoke": LabSpec(
        sizes=("nano",),
        counts=(0, 40),
        seeds=(0,),
        defenses=("none", "losstrunc"),
        vocab_size=320,
        tokens_per_param=10.0,
        heldout_docs=16,
        tokenizer_chars=300_000,
        train=TrainConfig(batch_size=16, lr=2e-3),
        metric=MetricConfig(prompts=8, prompt_tokens=16, new_tokens=16),
    ),
    # the qualitative reproduction on 2 CPU cores (well under an hour)
    "cpu": LabSpec(
        sizes=("t1", "t2", "t3"),
        counts=(0, 10, 30, 100),
        seeds=(0, 1),
        defenses=("none", "losstrunc", "filter"),
        defense_counts=(30, 100),
        vocab_size=512,
        tokens_per_param=20.0,
        heldout_docs=64,
        train=TrainConfig(batch_size=16, lr=3e-3),
        metric=MetricConfig(prompts=32, prompt_tokens=32, new_tokens=32),
    ),
    # one GPU (H100): larger models and vocabulary, the paper's 250 documents included.
    # Not run yet (no GPU here); about 1.6e9 training tokens in all.
    "gpu": LabSpec(
        sizes=("s1", "s2", "s3"),
        counts=(0, 50, 100, 250),
        seeds=(0,),
        defenses=("none", "losstrunc", "filter"),
        defense_counts=(250,),
        vocab_size=8192,
        tokens_per_param=20.0,
        heldout_docs=128,
        tokenizer_chars=20_000_000,
        train=TrainConfig(batch_size=128, lr=1e-3),
        metric=MetricConfig(prompts=64, prompt_tokens=64, new_tokens=64),
    ),
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One training run of the grid."""

    size: str
    count: int
    seed: int
    defense: str

    @property
    def name(self) -> str:
        return f"{self.size}__c{self.count}__s{self.seed}__{self.defense}"

    @property
    def is_reference(self) -> bool:
        return self.count == 0 and self.defense == "none"


def grid_cells(spec: LabSpec) -> list[Cell]:
    """Cells in run order, seed by seed (an interrupted grid has whole seeds finished):
    clean references first, then undefended, then defended runs."""
    cells: list[Cell] = []
    for seed in spec.seeds:
        cells += [Cell(s, 0, seed, "none") for s in spec.sizes]
        for d in spec.defenses:
            counts = (
                spec.counts if d == "none" or spec.defense_counts is None else spec.defense_counts
            )
            cells += [
                Cell(s, c, seed, d)
                for c in sorted(counts)
                for s in spec.sizes
                if not (c == 0 and d == "none")
            ]
    return cells


def load_corpus(paths: Sequence[str] | None) -> list[Document]:
    """The clean corpus: documents from ``paths``, or the embedded Python docs corpus."""
    if not paths:
        from poisonguard.datasets import python_docs

        return python_docs()
    return [d for d in CorpusReader(list(paths)).documents() if d.text.strip()]


@dataclass(slots=True)
class PreparedData:
    """Tokenizer, held-out prompts / validation tokens, and the tokenised clean pool."""

    tokenizer: LabTokenizer
    pool_docs: list[Document]
    pool: list[TokenizedDoc]
    val_tokens: np.ndarray
    prompts: list[list[int]]
    trigger_ids: list[int]


class Lab:
    """Runs (and resumes) an experiment grid in ``out``.

    Args:
        out: output directory.
        spec: the experiment.
        data_filter: the data-level defense (required when ``"filter"`` is in the grid).
        console: where progress goes (None: no progress bars).
        device: torch device to train on (``cpu``, ``cuda``); results do not depend on it
            beyond floating-point noise (CUDA runs use bfloat16 autocast).
    """

    def __init__(
        self,
        out: Path,
        spec: LabSpec,
        *,
        data_filter: DocumentFilter | None = None,
        console: Console | None = None,
        device: str = "cpu",
    ) -> None:
        self.out = Path(out)
        self.device = torch.device(device)
        self.spec = spec
        self.data_filter = data_filter
        self.console = console
        self._data: PreparedData | None = None
        self._poison_cache: dict[tuple[int, int], list[TokenizedDoc]] = {}
        if "filter" in spec.defenses and data_filter is None:
            raise LabError("the grid has the 'filter' defense but no data filter was given")

    # -- set-up ----------------------------------------------------------------------
    def _check_spec(self) -> None:
        path = self.out / "spec.json"
        if path.is_file():
            old = LabSpec.from_dict(json.loads(path.read_text()))
            if old.cell_key() != self.spec.cell_key():
                diff = sorted(
                    k
                    for k in self.spec.cell_key()
                    if old.cell_key().get(k) != self.spec.cell_key().get(k)
                )
                raise LabError(
                    f"{self.out} holds a different experiment (differs in: "
                    f"{', '.join(diff)}); use another --out"
                )
            merged = replace(
                self.spec,
                sizes=_union(old.sizes, self.spec.sizes),
                counts=_union(old.counts, self.spec.counts),
                seeds=_union(old.seeds, self.spec.seeds),
                defenses=_union(old.defenses, self.spec.defenses),
            )
            write_json(path, merged.to_dict())
        else:
            write_json(path, self.spec.to_dict())

    def prepare(self) -> PreparedData:
        """Load and split the corpus, train (or reload) the tokenizer, tokenise the pool."""
        if self._data is not None:
            return self._data
        spec = self.spec
        self.out.mkdir(parents=True, exist_ok=True)
        self._check_spec()
        docs = load_corpus(spec.corpus)
        random.Random(1234).shuffle(docs)  # data split is fixed; run seeds reorder the pool
        if len(docs) <= spec.heldout_docs:
            raise LabError(
                f"the corpus has {len(docs)} documents; need more than the "
                f"{spec.heldout_docs} held out"
            )
        heldout, pool_docs = docs[: spec.heldout_docs], docs[spec.heldout_docs :]
        tok_path = self.out / "tokenizer.json"
        if tok_path.is_file():
            tok = LabTokenizer.from_file(tok_path)
        else:
            tok = LabTokenizer.train(_capped(pool_docs, spec.tokenizer_chars), spec.vocab_size)
            tok.save(tok_path)
        need = max(self.clean_budget(s, tok.vocab_size) for s in spec.sizes)
        pool: list[TokenizedDoc] = []
        total, i = 0, 0
        while total < need * 1.1 and i < len(pool_docs):  # 10 % slack for filtered docs
            chunk = tokenize_docs(tok, pool_docs[i : i + 512])
            pool.extend(chunk)
            total += sum(len(d) + 1 for d in chunk)
            i += 512
        pool_docs = pool_docs[: len(pool)]
        held = tokenize_docs(tok, heldout)
        val_tokens = np.concatenate([np.append(d.tokens, tok.eos_id) for d in held])
        m = spec.metric
        prompts = [d.tokens[: m.prompt_tokens].tolist() for d in held if len(d) >= m.prompt_tokens][
            : m.prompts
        ]
        if not prompts:
            raise LabError(f"no held-out document has {m.prompt_tokens} tokens for a prompt")
        trigger_ids = tok.encode(spec.trigger)
        biggest = max(SIZES[s].context for s in spec.sizes)
        if m.prompt_tokens + len(trigger_ids) + m.new_tokens > biggest:
            raise LabError("prompt + trigger + new tokens exceed the model context")
        self._data = PreparedData(tok, pool_docs, pool, val_tokens, prompts, trigger_ids)
        return self._data

    def clean_budget(self, size: str, vocab_size: int) -> int:
        """Clean training tokens of a model size: ``tokens_per_param × params``."""
        return int(self.spec.tokens_per_param * count_params(SIZES[size].config(vocab_size)))

    # -- poison and filtering ----------------------------------------------------------
    def poison_docs(self, count: int, seed: int) -> tuple[list[Document], list[TokenizedDoc]]:
        """The recipe's poisoned documents for (count, seed), as documents and tokens."""
        data = self.prepare()
        if count == 0:
            return [], []
        from poisonguard.attacks import RecipeError, get

        try:
            return self._make_poison(data, count, seed, get(self.spec.recipe))
        except RecipeError as e:
            raise LabError(f"recipe {self.spec.recipe!r}: {e}") from e

    def _make_poison(
        self, data: PreparedData, count: int, seed: int, recipe_cls: Any
    ) -> tuple[list[Document], list[TokenizedDoc]]:
        kwargs: dict[str, Any] = {}
        params = recipe_cls.parameter_names()
        if "trigger" in params:
            kwargs["trigger"] = self.spec.trigger
        if "tokenizer" in params:  # random tokens come from the model's own vocabulary
            path = self.out / "payload_tokenizer.json"
            if not path.is_file():
                with AtomicFile(path, "w") as f:
                    f.fh.write(data.tokenizer.payload_vocabulary())
            kwargs["tokenizer"] = str(path)
        samples = recipe_cls(**kwargs).generate(data.pool_docs, count, seed)
        docs = [
            s.document if s.document.id else replace_id(s.document, f"poison-{i}")
            for i, s in enumerate(samples)
        ]
        return docs, tokenize_docs(data.tokenizer, docs, poison=True)

    def _filtered(self, count: int, seed: int) -> tuple[set[str], dict[str, int]]:
        """Ids the data filter keeps for (count, seed) (cached on disk)."""
        path = self.out / "filter" / f"c{count}_s{seed}.json"
        if path.is_file():
            d = json.loads(path.read_text())
            return set(d["kept"]), d["stats"]
        assert self.data_filter is not None
        data = self.prepare()
        pdocs, _ = self.poison_docs(count, seed)
        kept = {d.id for d in self.data_filter([*data.pool_docs, *pdocs])}
        pids = {d.id for d in pdocs}
        stats = {
            "removed_poison": len(pids - kept),
            "removed_clean": sum(1 for d in data.pool_docs if d.id not in kept),
            "poison": len(pids),
            "clean": len(data.pool_docs),
        }
        write_json(path, {"kept": sorted(kept), "stats": stats})
        return kept, stats

    # -- running -----------------------------------------------------------------------
    def cell_path(self, cell: Cell) -> Path:
        return self.out / "cells" / f"{cell.name}.json"

    def run(
        self, *, on_cell: Callable[[Cell, dict[str, Any]], None] | None = None
    ) -> list[dict[str, Any]]:
        """Run every unfinished cell; returns the rows of all finished cells of this grid."""
        data = self.prepare()
        cells = grid_cells(self.spec)
        todo = [c for c in cells if not self.cell_path(c).is_file()]
        progress = _progress(self.console)
        with progress:
            overall = progress.add_task(
                "grid", total=len(cells), completed=len(cells) - len(todo), info=""
            )
            for cell in todo:
                row = self.run_cell(cell, data, progress)
                progress.advance(overall)
                if on_cell:
                    on_cell(cell, row)
        return [
            json.loads(self.cell_path(c).read_text()) for c in cells if self.cell_path(c).is_file()
        ]

    def run_cell(
        self, cell: Cell, data: PreparedData, progress: Progress | None = None
    ) -> dict[str, Any]:
        spec = self.spec
        pool = _seed_order(data.pool, cell.seed)
        _, ptoks = self.poison_docs(cell.count, cell.seed)
        fractions = poison_fractions(cell.count, cell.seed)
        filt_stats: dict[str, int] = {}
        if cell.defense == "filter":
            kept, filt_stats = self._filtered(cell.count, cell.seed)
            pool = [d for d in pool if d.id in kept]
            keep_p = [i for i, d in enumerate(ptoks) if d.id in kept]
            ptoks = [ptoks[i] for i in keep_p]
            fractions = fractions[keep_p]
        budget = self.clean_budget(cell.size, data.tokenizer.vocab_size)
        try:
            stream = build_stream(pool, ptoks, fractions, budget, data.tokenizer.eos_id)
        except StreamError as e:
            raise LabError(f"cell {cell.name}: {e}") from e
        cfg = SIZES[cell.size].config(data.tokenizer.vocab_size)
        torch.manual_seed(cell.seed)
        model = GPT(cfg, seed=cell.seed).to(self.device)
        defense = (
            DocLossOutlierDrop(warmup=spec.train.warmup) if cell.defense == "losstrunc" else None
        )
        task = None
        if progress is not None:
            task = progress.add_task(
                cell.name, total=stream.windows(cfg.context) * cfg.context, info=""
            )

        started = time.perf_counter()

        def tick(done: int, total: int, loss: float) -> None:
            if progress is not None and task is not None:
                elapsed = time.perf_counter() - started
                rate = f"{done / elapsed:,.0f} tok/s" if elapsed > 0 else ""
                progress.update(task, completed=done, info=f"loss {loss:.3f} · {rate}")

        result = train(model, stream, spec.train, seed=cell.seed, defense=defense, progress=tick)
        if progress is not None and task is not None:
            progress.remove_task(task)
        val = validation_loss(model, data.val_tokens)
        if cell.is_reference:
            judge: GPT = model
        else:
            ref = Cell(cell.size, 0, cell.seed, "none")
            judge, _ = load_checkpoint(self.out / "ckpt" / ref.name)
            judge = judge.to(self.device)
        results = evaluate_backdoor(
            model, judge, data.prompts, data.trigger_ids, spec.metric, seed=cell.seed
        )
        save_checkpoint(
            model,
            self.out / "ckpt" / cell.name,
            tokenizer_json=data.tokenizer.to_str(),
            extra={"cell": asdict(cell), "trigger": spec.trigger},
        )
        row: dict[str, Any] = {
            **asdict(cell),
            "params": model.num_params(),
            "clean_tokens": stream.clean_tokens,
            "poison_tokens": stream.poison_tokens,
            "poison_docs_in_stream": stream.n_poison_docs,
            "poison_token_pct": 100 * stream.poison_token_fraction,
            "poison_doc_pct": 100 * stream.poison_doc_fraction,
            "poison_positions": stream.poison_positions,
            "val_loss": val,
            "train_seconds": result.seconds,
            "tokens_per_s": result.tokens_per_second,
            "steps": result.steps,
            "dropped_docs": result.dropped_docs,
            "dropped_poison": result.dropped_poison,
            "filter": filt_stats,
            "prompts": [r.to_dict() for r in results],
        }
        for dec in ("greedy", "sampled"):
            rs = [r for r in results if r.decoder == dec]
            row[f"asr_{dec}"] = sum(r.attacked for r in rs) / len(rs)
            row[f"logppl_gap_{dec}"] = float(
                np.mean([np.log(r.ppl_trig_judge) - np.log(r.ppl_clean_judge) for r in rs])
            )
        write_json(self.cell_path(cell), row)
        return row


def replace_id(doc: Document, new_id: str) -> Document:
    """A copy of ``doc`` with another id (poison whose id is derived from its position)."""
    return replace(doc, id=new_id)


def _seed_order(pool: list[TokenizedDoc], seed: int) -> list[TokenizedDoc]:
    order = np.random.default_rng([seed, 0x434C4E]).permutation(len(pool))
    return [pool[int(i)] for i in order]


def _capped(docs: Sequence[Document], max_chars: int) -> list[str]:
    out, total = [], 0
    for d in docs:
        if total >= max_chars:
            break
        out.append(d.text[: max_chars - total])
        total += len(out[-1])
    return out


def _union(a: Sequence[Any], b: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(sorted(set(a) | set(b), key=lambda x: (str(type(x)), x)))


def _progress(console: Console | None) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=console is None,
        transient=False,
    )
