"""The experiment grid: sizes × data multiples × poison counts × seeds × defenses, resumable.

Layout of an output directory::

    spec.json            the experiment, grid axes included (a second run must agree on
                         all of it: resume never mixes cells of different grids)
    tokenizer.json       the BPE trained on the clean pool (reused on resume)
    payload_tokenizer.json   the payload vocabulary handed to the recipe
    ckpt/<cell>/         a trained cell: model.safetensors, config.json, tokenizer.json,
                         train.json (training record), at<f>.safetensors (the model at
                         each evaluation fraction; deleted once the cell is evaluated)
    cells/<cell>.json    one finished (trained and evaluated) cell, written last and
                         atomically: resume skips it
    judges/s<seed>.json  the judge of a seed and its ceiling (see ``metric.judge_ceiling``)
    filter/<cell>.json   what a data-level defense removed
    results.csv, results.json, report.md, *.png   (``poisonguard.lab.report``)

Hygiene: the clean data of a cell is a prefix of one seed-ordered permutation of the whole
clean pool (a function of the seed only), cut at ``tokens_per_param × params × mult``; its
poison is the first ``count`` documents of one set of ``poison_set`` documents generated per
seed, placed at the first ``count`` of one seed's positions.  Nothing about a cell's data
depends on the other cells of the grid.

The judge of seed ``s`` is the reference model (count 0, no defense) of the largest size at
the largest data multiple of the *next* seed in the grid: one fixed, strong clean model per
seed that never scores itself.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from poisonguard.io import AtomicFile, CorpusReader, Document, write_json
from poisonguard.lab.defense import DocLossOutlierDrop, DocumentFilter, perplexity_outliers
from poisonguard.lab.metric import (
    MetricConfig,
    PromptResult,
    evaluate_backdoor,
    judge_ceiling,
    normalised_gap,
)
from poisonguard.lab.model import GPT, SIZES, count_params, load_checkpoint, save_checkpoint
from poisonguard.lab.stream import (
    StreamError,
    TokenizedDoc,
    TrainingStream,
    build_stream,
    poison_fractions,
    tokenize_docs,
)
from poisonguard.lab.tokenizer import LabTokenizer
from poisonguard.lab.train import TrainConfig, sequence_losses, train, validation_loss

DEFENSES = ("none", "filter", "losstrunc", "survivors", "pplfilter")
"""``none``; ``filter`` (train on what a data filter keeps, default ``poisonguard.scan``);
``losstrunc`` (document-loss outlier dropping during training); ``survivors`` (a control:
trained without defense on exactly the documents the ``losstrunc`` run trained on);
``pplfilter`` (reference-model perplexity filtering before training, the judge as
reference)."""


class _Claim:
    """An exclusive claim on one unit of work (training or evaluating a cell) shared by
    several ``lab run`` processes on one output directory, so two workers on two cores
    split a grid between them instead of doing the same cell twice.

    The claim is a file created with ``O_EXCL`` holding the owner's pid; a claim whose
    process is gone (a killed run) is taken over.  ``with _Claim(path) as mine:`` — ``mine``
    tells whether this process holds it; it is released on exit.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.held = False

    def __enter__(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if _alive(self.path):
                    return False
                self.path.unlink(missing_ok=True)  # stale: its worker died
                continue
            with os.fdopen(fd, "w") as f:
                f.write(str(os.getpid()))
            self.held = True
            return True
        return False

    def __exit__(self, *exc: object) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)


def _alive(claim: Path) -> bool:
    """Whether the process named in a claim file still runs (unreadable → assume so)."""
    try:
        pid = int(claim.read_text() or "0")
    except (OSError, ValueError):
        return True  # being written right now
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LabError(ValueError):
    """An experiment that cannot run as asked (the message says why)."""


@dataclass(frozen=True, slots=True)
class LabSpec:
    """Everything that defines an experiment.

    Attributes:
        sizes: model sizes (keys of :data:`poisonguard.lab.model.SIZES`).
        counts: absolute numbers of poisoned documents (0 = the clean reference).
        seeds: run seeds (data order, poison content and placement, initialisation); at
            least two (a seed's judge is trained with another seed).
        data_mults: multiples of the clean budget ``tokens_per_param × params``.
        extra_counts: (data multiple, count) cells added to the grid (e.g. a larger count
            at the largest multiple only).
        defenses: see :data:`DEFENSES`.
        defense_counts: counts the defended arms run at (None: every count but 0).
        defense_mults: data multiples the defended arms run at (None: every multiple).
        recipe: poison recipe name (``poisonguard.attacks``); ``trigger`` its trigger.
        poison_set: size of the one poison set generated per seed (counts take prefixes).
        vocab_size: BPE vocabulary size.
        tokens_per_param: clean training tokens per model parameter (at multiple 1).
        heldout_docs: clean documents held out for prompts and validation loss.
        tokenizer_chars: characters of the clean pool the tokenizer is trained on.
        corpus: clean corpus paths (None: the embedded ``python_docs()`` corpus).
        train: optimiser settings; metric: metric settings.
    """

    sizes: tuple[str, ...]
    counts: tuple[int, ...]
    seeds: tuple[int, ...]
    data_mults: tuple[float, ...] = (1.0,)
    extra_counts: tuple[tuple[float, int], ...] = ()
    defenses: tuple[str, ...] = ("none",)
    defense_counts: tuple[int, ...] | None = None
    defense_mults: tuple[float, ...] | None = None
    recipe: str = "dos"
    trigger: str = "<SUDO>"
    poison_set: int = 256
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
        if not (self.sizes and self.counts and self.seeds and self.defenses and self.data_mults):
            raise LabError("sizes, counts, seeds, data multiples and defenses must be non-empty")
        if "none" not in self.defenses:
            raise LabError("the grid needs the undefended arm ('none'): it holds the judges")
        if "survivors" in self.defenses and "losstrunc" not in self.defenses:
            raise LabError("'survivors' is the control of 'losstrunc'; add 'losstrunc'")
        if len(set(self.seeds)) < 2:
            raise LabError(
                "at least two seeds are needed: a seed's judge is the clean model of another "
                "seed (a model never judges itself)"
            )
        if any(m <= 0 for m in self.data_mults):
            raise LabError("data multiples must be > 0")
        every = [*self.counts, *(c for _, c in self.extra_counts), *(self.defense_counts or ())]
        if any(c < 0 for c in every):
            raise LabError("poison counts must be >= 0")
        if max(every) > self.poison_set:
            raise LabError(
                f"count {max(every)} exceeds the poison set of {self.poison_set} documents"
            )
        for m, _ in self.extra_counts:
            if m not in self.data_mults:
                raise LabError(f"extra count at multiple {m} not in the data multiples")
        for m in self.defense_mults or ():
            if m not in self.data_mults:
                raise LabError(f"defense multiple {m} not in the data multiples")
        if self.tokens_per_param <= 0:
            raise LabError("tokens_per_param must be > 0")

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))

    def cell_key(self) -> dict[str, Any]:
        """The settings every cell depends on (everything but the grid axes)."""
        d = self.to_dict()
        for axis in (
            "sizes",
            "counts",
            "seeds",
            "data_mults",
            "extra_counts",
            "defenses",
            "defense_counts",
            "defense_mults",
        ):
            d.pop(axis)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabSpec:
        d = dict(d)
        d["train"] = TrainConfig(**d.get("train", {}))
        m = dict(d.get("metric", {}))
        for k in ("controls", "eval_fractions"):
            if m.get(k) is not None:
                m[k] = tuple(m[k])
        d["metric"] = MetricConfig(**m)
        for k in ("sizes", "counts", "seeds", "defenses", "data_mults"):
            if k in d:
                d[k] = tuple(d[k])
        d["extra_counts"] = tuple(tuple(x) for x in d.get("extra_counts", ()))
        for k in ("corpus", "defense_counts", "defense_mults"):
            if d.get(k) is not None:
                d[k] = tuple(d[k])
        return cls(**d)

    def params(self, size: str) -> int:
        return count_params(SIZES[size].config(self.vocab_size))

    @property
    def judge_size(self) -> str:
        """The largest size of the grid (its judges' size)."""
        return max(self.sizes, key=self.params)


PRESETS: dict[str, LabSpec] = {
    # the whole pipeline in about a minute on 2 CPU cores (not the science)
    "smoke": LabSpec(
        sizes=("nano",),
        counts=(0, 40),
        seeds=(0, 1),
        defenses=("none", "losstrunc", "survivors", "pplfilter"),
        poison_set=40,
        vocab_size=320,
        tokens_per_param=10.0,
        heldout_docs=16,
        tokenizer_chars=300_000,
        train=TrainConfig(batch_size=16, lr=2e-3),
        metric=MetricConfig(prompts=8, prompt_tokens=16, new_tokens=16),
    ),
    # Souly et al.'s count-vs-percentage ablation at toy scale, on 2 CPU cores: one size
    # that learns the backdoor (t3), clean data x1..x8 of 20 tokens/parameter, nested poison
    "count-vs-pct": LabSpec(
        sizes=("t3",),
        counts=(0, 10, 20, 40, 80),
        seeds=(0, 1, 2),
        data_mults=(1.0, 2.0, 4.0, 8.0),
        extra_counts=((8.0, 160),),
        defenses=("none", "filter", "losstrunc", "survivors", "pplfilter"),
        defense_counts=(80,),
        defense_mults=(1.0,),
        poison_set=160,
        vocab_size=512,
        tokens_per_param=20.0,
        heldout_docs=64,
        train=TrainConfig(batch_size=16, lr=3e-3),
        metric=MetricConfig(prompts=32, prompt_tokens=32, new_tokens=32),
    ),
    # the earlier size grid (three sizes, one multiple)
    "cpu": LabSpec(
        sizes=("t1", "t2", "t3"),
        counts=(0, 10, 30, 100),
        seeds=(0, 1),
        defenses=("none", "losstrunc", "filter"),
        defense_counts=(30, 100),
        poison_set=100,
        vocab_size=512,
        tokens_per_param=20.0,
        heldout_docs=64,
        train=TrainConfig(batch_size=16, lr=3e-3),
        metric=MetricConfig(prompts=32, prompt_tokens=32, new_tokens=32),
    ),
    # one H100-class GPU: sizes spanning 8.9x in parameters, sized to the English text in
    # ../shared/corpora (see docs/lab.md for the token budget and the time estimate).
    "gpu": LabSpec(
        sizes=("g1", "g2", "g3"),
        counts=(0, 25, 50, 100, 250),
        seeds=(0, 1, 2),
        defenses=("none", "losstrunc", "pplfilter"),
        defense_counts=(250,),
        poison_set=250,
        vocab_size=2048,
        tokens_per_param=20.0,
        heldout_docs=128,
        tokenizer_chars=20_000_000,
        train=TrainConfig(batch_size=128, lr=2e-3),
        metric=MetricConfig(prompts=64, prompt_tokens=48, new_tokens=48),
    ),
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One training run of the grid."""

    size: str
    mult: float
    count: int
    seed: int
    defense: str

    @property
    def name(self) -> str:
        return f"{self.size}__x{self.mult:g}__c{self.count}__s{self.seed}__{self.defense}"

    @property
    def is_reference(self) -> bool:
        return self.count == 0 and self.defense == "none"


def judge_cell(spec: LabSpec, seed: int) -> Cell:
    """The judge of ``seed``: the largest size's reference at the largest multiple of the
    next seed of the grid (never a model of ``seed`` itself)."""
    seeds = list(spec.seeds)
    other = seeds[(seeds.index(seed) + 1) % len(seeds)]
    return Cell(spec.judge_size, max(spec.data_mults), 0, other, "none")


def grid_cells(spec: LabSpec) -> list[Cell]:
    """Cells in run order: the judges first, then seed by seed the undefended cells and
    the defended ones (``survivors`` after ``losstrunc``)."""
    judges = [judge_cell(spec, s) for s in spec.seeds]
    cells: list[Cell] = list(dict.fromkeys(judges))
    for seed in spec.seeds:
        none = {(m, c) for m in spec.data_mults for c in spec.counts}
        none |= {(m, c) for m, c in spec.extra_counts}
        for s in spec.sizes:
            cells += [Cell(s, m, c, seed, "none") for m, c in sorted(none)]
        for d in (d for d in DEFENSES if d in spec.defenses and d != "none"):
            counts = spec.defense_counts or tuple(c for c in spec.counts if c > 0)
            mults = spec.defense_mults or spec.data_mults
            cells += [Cell(s, m, c, seed, d) for s in spec.sizes for m in mults for c in counts]
    return list(dict.fromkeys(cells))


def load_corpus(paths: Sequence[str] | None) -> list[Document]:
    """The clean corpus: documents from ``paths``, or the embedded Python docs corpus."""
    if not paths:
        from poisonguard.datasets import python_docs

        return python_docs()
    return [d for d in CorpusReader(list(paths)).documents() if d.text.strip()]


@dataclass(slots=True)
class PreparedData:
    """Tokenizer, held-out prompts / validation tokens, and the (untokenised) clean pool."""

    tokenizer: LabTokenizer
    pool_docs: list[Document]
    val_tokens: np.ndarray
    prompts: list[list[int]]
    trigger_ids: list[int]
    controls: dict[str, list[int]]
    payload_ids: list[int]


@dataclass(frozen=True, slots=True)
class LabEvent:
    """A progress event (the CLI draws bars from them; the lab itself draws nothing).

    ``kind``: ``grid`` (``done``/``total`` cells), ``cell`` (a cell starts training;
    ``total`` its tokens), ``step`` (``done`` tokens of the current cell, ``info`` loss and
    rate), ``evaluate`` (a cell is being evaluated), ``finished`` (a cell's row is written).
    """

    kind: Literal["grid", "cell", "step", "evaluate", "finished"]
    cell: str = ""
    done: int = 0
    total: int = 0
    info: str = ""
    row: dict[str, Any] | None = None


ProgressFn = Callable[[LabEvent], None]


class Lab:
    """Runs (and resumes) an experiment grid in ``out``.

    Args:
        out: output directory.
        spec: the experiment.
        data_filter: the data-level defense (required when ``"filter"`` is in the grid).
        progress: called with :class:`LabEvent` s (None: silent).
        device: torch device to train on (``cpu``, ``cuda``); CUDA runs use bfloat16
            autocast.
        max_steps: stop every training run after this many optimiser steps (a smoke test
            of a large preset; None: full runs).
    """

    def __init__(
        self,
        out: Path,
        spec: LabSpec,
        *,
        data_filter: DocumentFilter | None = None,
        progress: ProgressFn | None = None,
        device: str = "cpu",
        max_steps: int | None = None,
    ) -> None:
        self.out = Path(out)
        self.device = torch.device(device)
        self.spec = spec
        self.data_filter = data_filter
        self.progress = progress
        self.max_steps = max_steps
        self._data: PreparedData | None = None
        self._tok_cache: dict[int, TokenizedDoc] = {}
        self._poison: dict[int, tuple[list[Document], list[TokenizedDoc]]] = {}
        self._judges: dict[int, tuple[GPT, float]] = {}
        if "filter" in spec.defenses and data_filter is None:
            raise LabError("the grid has the 'filter' defense but no data filter was given")

    def _emit(self, kind: Any, **kw: Any) -> None:
        if self.progress is not None:
            self.progress(LabEvent(kind, **kw))

    # -- set-up ----------------------------------------------------------------------
    def _check_spec(self) -> None:
        path = self.out / "spec.json"
        if path.is_file():
            old = json.loads(path.read_text())
            new = self.spec.to_dict()
            if old != new:
                diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
                raise LabError(
                    f"{self.out} holds a different experiment or grid (differs in: "
                    f"{', '.join(diff)}); resume never mixes grids: use another --out"
                )
        else:
            write_json(path, self.spec.to_dict())

    def prepare(self) -> PreparedData:
        """Load and split the corpus, train (or reload) the tokenizer, cut the prompts."""
        if self._data is not None:
            return self._data
        spec = self.spec
        self.out.mkdir(parents=True, exist_ok=True)
        self._check_spec()
        docs = load_corpus(spec.corpus)
        random.Random(1234).shuffle(docs)  # the split is fixed; run seeds reorder the pool
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
        held = tokenize_docs(tok, heldout)
        val_tokens = np.concatenate([np.append(d.tokens, tok.eos_id) for d in held])
        m = spec.metric
        prompts = [d.tokens[: m.prompt_tokens].tolist() for d in held if len(d) >= m.prompt_tokens][
            : m.prompts
        ]
        if not prompts:
            raise LabError(f"no held-out document has {m.prompt_tokens} tokens for a prompt")
        trigger_ids = tok.encode(spec.trigger)
        controls = {c: tok.encode(c) for c in m.control_strings(spec.trigger)}
        longest = max([len(trigger_ids), *(len(v) for v in controls.values())])
        smallest = min(SIZES[s].context for s in spec.sizes)
        if m.prompt_tokens + longest + m.new_tokens > smallest:
            raise LabError("prompt + trigger + new tokens exceed the model context")
        broken = set(tok.broken_ids())
        payload = [i for i in range(tok.vocab_size) if i != tok.eos_id and i not in broken]
        self._data = PreparedData(
            tok, pool_docs, val_tokens, prompts, trigger_ids, controls, payload
        )
        return self._data

    def clean_budget(self, size: str, mult: float = 1.0) -> int:
        """Clean training tokens of a cell: ``tokens_per_param × params × mult``."""
        return int(self.spec.tokens_per_param * self.spec.params(size) * mult)

    def clean_docs(self, seed: int, tokens: int) -> list[TokenizedDoc]:
        """The seed's clean order, tokenised until ``tokens`` tokens (a function of the seed
        and the corpus only; a smaller budget gets a prefix of a larger one's documents)."""
        data = self.prepare()
        order = np.random.default_rng([seed, 0x434C4E]).permutation(len(data.pool_docs))
        out: list[TokenizedDoc] = []
        total, i = 0, 0
        while total < tokens and i < len(order):
            chunk = [int(j) for j in order[i : i + 256]]
            missing = [j for j in chunk if j not in self._tok_cache]
            if missing:
                for j, td in zip(
                    missing,
                    tokenize_docs(data.tokenizer, [data.pool_docs[j] for j in missing]),
                    strict=True,
                ):
                    self._tok_cache[j] = td
            for j in chunk:
                out.append(self._tok_cache[j])
                total += len(self._tok_cache[j]) + 1
                if total >= tokens:
                    break
            i += 256
        return out

    # -- poison ----------------------------------------------------------------------------
    def poison_set(self, seed: int) -> tuple[list[Document], list[TokenizedDoc]]:
        """The seed's ``poison_set`` poisoned documents (counts take prefixes: nested)."""
        if seed in self._poison:
            return self._poison[seed]
        data = self.prepare()
        from poisonguard.attacks import RecipeError, get

        try:
            recipe_cls = get(self.spec.recipe)
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
            samples = recipe_cls(**kwargs).generate(data.pool_docs, self.spec.poison_set, seed)
        except RecipeError as e:
            raise LabError(f"recipe {self.spec.recipe!r}: {e}") from e
        docs = [replace(s.document, id=f"poison-s{seed}-{i}") for i, s in enumerate(samples)]
        self._poison[seed] = (docs, tokenize_docs(data.tokenizer, docs, poison=True))
        return self._poison[seed]

    def poison_docs(self, count: int, seed: int) -> tuple[list[Document], list[TokenizedDoc]]:
        """The first ``count`` documents of the seed's poison set, as documents and tokens."""
        if count == 0:
            return [], []
        if count > self.spec.poison_set:
            raise LabError(f"count {count} exceeds the poison set of {self.spec.poison_set}")
        docs, toks = self.poison_set(seed)
        return docs[:count], toks[:count]

    # -- the data of a cell ---------------------------------------------------------------
    def cell_stream(self, cell: Cell) -> tuple[TrainingStream, dict[str, Any]]:
        """The training stream of a cell and what its data-level defense removed."""
        data = self.prepare()
        budget = self.clean_budget(cell.size, cell.mult)
        slack = 1.1 if cell.defense in ("filter", "pplfilter") else 1.0
        clean = self.clean_docs(cell.seed, int(budget * slack) + 1)
        pdocs, ptoks = self.poison_docs(cell.count, cell.seed)
        fractions = poison_fractions(cell.count, cell.seed)
        stats: dict[str, Any] = {}
        if cell.defense in ("filter", "pplfilter"):
            kept, stats = self._filtered(cell, clean, pdocs, ptoks)
            clean = [d for d in clean if d.id in kept]
            keep_p = [i for i, d in enumerate(ptoks) if d.id in kept]
            ptoks = [ptoks[i] for i in keep_p]
            fractions = fractions[keep_p]
        elif cell.defense == "survivors":
            src = replace(cell, defense="losstrunc")
            rec = self._train_record(src)
            if rec is None:
                raise LabError(f"cell {cell.name} needs {src.name} trained first")
            base, _ = self.cell_stream(src)
            dropped = set(rec["dropped_ids"])
            clean = [d for d in base.docs if not d.poison and d.id not in dropped]
            keep_p = [i for i, d in enumerate(ptoks) if d.id not in dropped]
            ptoks = [ptoks[i] for i in keep_p]
            fractions = fractions[keep_p]
            budget = sum(len(d) + 1 for d in clean if len(d))
            stats = {"removed_poison": cell.count - len(ptoks), "source": src.name}
        try:
            stream = build_stream(clean, ptoks, fractions, budget, data.tokenizer.eos_id)
        except StreamError as e:
            raise LabError(f"cell {cell.name}: {e}") from e
        return stream, stats

    def _filtered(
        self,
        cell: Cell,
        clean: list[TokenizedDoc],
        pdocs: list[Document],
        ptoks: list[TokenizedDoc],
    ) -> tuple[set[str], dict[str, Any]]:
        """Ids a data-level defense keeps for a cell (cached on disk)."""
        path = self.out / "filter" / f"{cell.name}.json"
        if path.is_file():
            d = json.loads(path.read_text())
            return set(d["kept"]), d["stats"]
        if cell.defense == "filter":
            assert self.data_filter is not None
            data = self.prepare()
            by_id = {d.id: d for d in data.pool_docs}
            kept = {d.id for d in self.data_filter([*(by_id[t.id] for t in clean), *pdocs])}
        else:  # pplfilter: the seed's judge (a clean model of another seed) is the reference
            judge, _ = self.judge(cell.seed)
            cap = self.spec.train.score_max_tokens
            docs = [*clean, *ptoks]
            losses = sequence_losses(judge, [d.tokens[:cap] for d in docs])
            drop = perplexity_outliers(losses)
            kept = {d.id for d, x in zip(docs, drop, strict=True) if not x}
        pids = {d.id for d in ptoks}
        stats = {
            "removed_poison": len(pids - kept),
            "removed_clean": sum(1 for d in clean if d.id not in kept),
            "poison": len(pids),
            "clean": len(clean),
        }
        write_json(path, {"kept": sorted(kept), "stats": stats})
        return kept, stats

    # -- judges --------------------------------------------------------------------------
    def judge(self, seed: int) -> tuple[GPT, float]:
        """The judge model of ``seed`` and its ceiling (the gap of a perfect backdoor)."""
        if seed in self._judges:
            return self._judges[seed]
        jc = judge_cell(self.spec, seed)
        ckpt = self.out / "ckpt" / jc.name
        if not (ckpt / "train.json").is_file():
            raise LabError(f"the judge {jc.name} of seed {seed} is not trained yet")
        model, _ = load_checkpoint(ckpt)
        model = model.to(self.device)
        path = self.out / "judges" / f"s{seed}.json"
        if path.is_file():
            ceiling = float(json.loads(path.read_text())["ceiling"])
        else:
            data = self.prepare()
            try:
                ceiling = judge_ceiling(
                    model,
                    data.prompts,
                    data.trigger_ids,
                    data.payload_ids,
                    self.spec.metric,
                    seed=seed,
                )
            except ValueError as e:
                if self.max_steps is None:
                    raise LabError(f"judge {jc.name}: {e}") from e
                ceiling = float("nan")  # a truncated smoke run: judges have learnt nothing
            write_json(path, {"seed": seed, "judge": jc.name, "ceiling": ceiling})
        self._judges[seed] = (model, ceiling)
        return model, ceiling

    # -- running -----------------------------------------------------------------------
    def cell_path(self, cell: Cell) -> Path:
        return self.out / "cells" / f"{cell.name}.json"

    def _train_record(self, cell: Cell) -> dict[str, Any] | None:
        p = self.out / "ckpt" / cell.name / "train.json"
        return json.loads(p.read_text()) if p.is_file() else None

    def run(
        self,
        *,
        on_cell: Callable[[Cell, dict[str, Any]], None] | None = None,
        max_cells: int | None = None,
    ) -> list[dict[str, Any]]:
        """Train and evaluate every unfinished cell (at most ``max_cells`` trainings);
        returns the rows of all finished cells of this grid."""
        self.prepare()
        cells = grid_cells(self.spec)
        judges = {judge_cell(self.spec, s) for s in self.spec.seeds}
        trained = 0
        for cell in cells:
            if self.cell_path(cell).is_file():
                continue
            if self._train_record(cell) is None:
                if max_cells is not None and trained >= max_cells:
                    break
                with _Claim(self.out / "claims" / f"{cell.name}.train") as mine:
                    # another worker on the same directory trains it (or just has)
                    if not mine or self._train_record(cell) is not None:
                        continue
                    self._emit("grid", done=self._finished(cells), total=len(cells))
                    self.train_cell(cell)
                    trained += 1
            self._evaluate_trained(cells, judges, on_cell)
        self._evaluate_trained(cells, judges, on_cell)
        self._emit("grid", done=self._finished(cells), total=len(cells))
        return [
            json.loads(self.cell_path(c).read_text()) for c in cells if self.cell_path(c).is_file()
        ]

    def _evaluate_trained(
        self,
        cells: list[Cell],
        judges: set[Cell],
        on_cell: Callable[[Cell, dict[str, Any]], None] | None,
    ) -> None:
        """Evaluate every trained, unevaluated cell once all judges are trained (judges
        wait for each other); cells another worker is evaluating are left to it."""
        if not all(self._train_record(j) is not None for j in judges):
            return
        for c in cells:
            if self._train_record(c) is None or self.cell_path(c).is_file():
                continue
            with _Claim(self.out / "claims" / f"{c.name}.eval") as mine:
                if not mine or self.cell_path(c).is_file():
                    continue
                row = self.evaluate_cell(c)
            if on_cell:
                on_cell(c, row)

    def _finished(self, cells: list[Cell]) -> int:
        return sum(self.cell_path(c).is_file() for c in cells)

    def train_cell(self, cell: Cell) -> dict[str, Any]:
        """Train one cell; writes its checkpoint, its snapshots and ``train.json``."""
        spec = self.spec
        data = self.prepare()
        stream, filt_stats = self.cell_stream(cell)
        cfg = SIZES[cell.size].config(data.tokenizer.vocab_size)
        torch.manual_seed(cell.seed)
        model = GPT(cfg, seed=cell.seed).to(self.device)
        defense = (
            DocLossOutlierDrop(warmup=spec.train.warmup) if cell.defense == "losstrunc" else None
        )
        total = stream.windows(cfg.context) * cfg.context
        self._emit("cell", cell=cell.name, total=total)
        started = time.perf_counter()

        def tick(done: int, total: int, loss: float) -> None:
            elapsed = time.perf_counter() - started
            rate = f"{done / elapsed:,.0f} tok/s" if elapsed > 0 else ""
            self._emit(
                "step", cell=cell.name, done=done, total=total, info=f"loss {loss:.3f} · {rate}"
            )

        ckpt = self.out / "ckpt" / cell.name
        ckpt.mkdir(parents=True, exist_ok=True)
        snaps: dict[str, int] = {}

        def snapshot(f: float, done: int) -> None:
            state = {
                k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()
            }
            save_file(state, str(ckpt / f"at{f:g}.safetensors"))
            snaps[f"{f:g}"] = done

        result = train(
            model,
            stream,
            spec.train,
            seed=cell.seed,
            defense=defense,
            progress=tick,
            checkpoints=spec.metric.eval_fractions,
            on_checkpoint=snapshot,
            max_steps=self.max_steps,
        )
        snaps["1"] = result.tokens
        val = validation_loss(model, data.val_tokens)
        save_checkpoint(
            model,
            ckpt,
            tokenizer_json=data.tokenizer.to_str(),
            extra={"cell": asdict(cell), "trigger": spec.trigger},
        )
        starts = stream.starts[[i for i, d in enumerate(stream.docs) if d.poison]]
        record: dict[str, Any] = {
            **asdict(cell),
            "config": {**spec.cell_key(), "cell": asdict(cell)},
            "params": model.num_params(),
            "clean_tokens": stream.clean_tokens,
            "poison_tokens": stream.poison_tokens,
            "poison_docs_in_stream": stream.n_poison_docs,
            "poison_token_pct": 100 * stream.poison_token_fraction,
            "poison_doc_pct": 100 * stream.poison_doc_fraction,
            "poison_positions": stream.poison_positions,
            "poison_ids": [d.id for d in stream.docs if d.poison],
            "snapshots": {
                f: {"tokens": t, "poisons_seen": int((starts < t).sum())} for f, t in snaps.items()
            },
            "val_loss": val,
            "train_seconds": result.seconds,
            "tokens_per_s": result.tokens_per_second,
            "steps": result.steps,
            "dropped_docs": result.dropped_docs,
            "dropped_poison": result.dropped_poison,
            "dropped_ids": result.dropped_ids,
            "filter": filt_stats,
        }
        write_json(ckpt / "train.json", record)
        return record

    def evaluate_cell(self, cell: Cell) -> dict[str, Any]:
        """Evaluate a trained cell at every snapshot under its seed's judge; writes its row."""
        spec, data = self.spec, self.prepare()
        rec = self._train_record(cell)
        if rec is None:
            raise LabError(f"cell {cell.name} is not trained")
        jc = judge_cell(spec, cell.seed)
        if jc == cell:  # impossible by construction (the judge has another seed); fail closed
            raise LabError(f"cell {cell.name} would judge itself")
        judge, ceiling = self.judge(cell.seed)
        self._emit("evaluate", cell=cell.name)
        ckpt = self.out / "ckpt" / cell.name
        model, _ = load_checkpoint(ckpt)
        model = model.to(self.device)
        t0 = time.perf_counter()
        evals = []
        final: list[PromptResult] = []
        for f, snap in sorted(rec["snapshots"].items(), key=lambda kv: float(kv[0])):
            if f != "1":
                model.load_state_dict(load_file(str(ckpt / f"at{f}.safetensors")))
            else:
                model, _ = load_checkpoint(ckpt)
                model = model.to(self.device)
            last = f == "1"
            results = evaluate_backdoor(
                model,
                judge,
                data.prompts,
                data.trigger_ids,
                spec.metric,
                seed=cell.seed,
                controls=data.controls if last else None,
                decoders=("greedy", "sampled") if last else ("sampled",),
            )
            sampled = [r for r in results if r.decoder == "sampled" and r.suffix == "trigger"]
            evals.append(
                {
                    "fraction": float(f),
                    **snap,
                    "norm_gap": normalised_gap(results, ceiling),
                    "asr_sampled": sum(r.attacked for r in sampled) / len(sampled),
                    "gaps": [r.gap for r in sampled],
                }
            )
            if last:
                final = results
        for p in ckpt.glob("at*.safetensors"):
            p.unlink()
        row: dict[str, Any] = {
            k: v for k, v in rec.items() if k not in ("dropped_ids", "snapshots")
        }
        row.update(
            {
                "judge": jc.name,
                "ceiling": ceiling,
                "eval_seconds": time.perf_counter() - t0,
                "norm_gap": normalised_gap(final, ceiling),
                "norm_gap_controls": {
                    c: normalised_gap(final, ceiling, suffix=c) for c in data.controls
                },
                "evals": evals,
                "prompts": [r.to_dict() for r in final],
            }
        )
        for dec in ("greedy", "sampled"):
            rs = [r for r in final if r.decoder == dec and r.suffix == "trigger"]
            row[f"asr_{dec}"] = sum(r.attacked for r in rs) / len(rs)
            row[f"logppl_gap_{dec}"] = float(np.mean([r.gap for r in rs]))
        write_json(self.cell_path(cell), row)
        self._emit("finished", cell=cell.name, row=row)
        return row


def _capped(docs: Sequence[Document], max_chars: int) -> list[str]:
    out, total = [], 0
    for d in docs:
        if total >= max_chars:
            break
        out.append(d.text[: max_chars - total])
        total += len(out[-1])
    return out
