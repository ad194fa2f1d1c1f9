"""The red-team run: poison → the user's pipeline → what survived each stage.

For every recipe and seed, :func:`redteam` makes ``count`` poisoned documents with exact
ground truth (the recipe registry, so plug-in and new recipes work by name), mixes them
into the clean corpus at uniformly random positions (``insert`` recipes) or in place of
their source documents (``replace`` recipes), runs the pipeline on a copy in a work
folder, and matches what came out of each stage back to the input.  Optionally
``poisonguard.scan`` runs as a final stage on what the pipeline kept.

Statistics per recipe and stage (see :class:`RedteamResult`): poison surviving (count
and share per seed; mean; a 95 % Student-t interval over the per-seed shares when there
are at least two seeds; a 95 % Clopper-Pearson interval on the counts pooled over
seeds), clean documents dropped so far (collateral), and the first stage that removed
each poisoned document.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from poisonguard.attacks import IdIndex, PoisonSample, Recipe, RecipeError, get, insertion_plan
from poisonguard.attacks.mixing import interleave
from poisonguard.io import Document
from poisonguard.redteam.matching import Matcher, MatchStats
from poisonguard.redteam.pipelines import PipelineError, StageOutput

SCAN_STAGE = "poisonguard scan"

ProgressFn = Callable[[str], None]


class Pipeline(Protocol):
    """What :func:`redteam` runs: a :class:`ShellPipeline` or a :class:`DatatrovePipeline`."""

    stage_names: list[str]

    def run(self, docs: Sequence[Document], work: Path, matcher: Matcher) -> list[StageOutput]:
        """Run on ``docs`` in the fresh folder ``work``; one output per stage."""
        ...


class RedteamError(ValueError):
    """The red-team run cannot start (bad recipe, empty corpus, ...): the message says why."""


@dataclass
class RunOutcome:
    """One (recipe, seed) run.

    Attributes:
        poison / clean: documents of each kind given to the pipeline.
        poison_surviving / clean_surviving: per stage, how many were still there after it.
        first_removed: poisoned id → the first stage after which it was gone (None: it
            survived every stage).
        match: per stage, how output documents were matched back.
    """

    recipe: str
    seed: int
    poison: int
    clean: int
    stages: list[str]
    poison_surviving: list[int]
    clean_surviving: list[int]
    first_removed: dict[str, str | None]
    match: list[MatchStats]
    unmatched: list[int]
    seconds: float
    stage_stats: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe,
            "seed": self.seed,
            "poison": self.poison,
            "clean": self.clean,
            "stages": [
                {
                    "stage": s,
                    "poison_surviving": self.poison_surviving[i],
                    "clean_surviving": self.clean_surviving[i],
                    "clean_dropped": self.clean - self.clean_surviving[i],
                    "unmatched_outputs": self.unmatched[i],
                    "match": self.match[i].to_dict(),
                    "stage_stats": self.stage_stats[i] if i < len(self.stage_stats) else {},
                }
                for i, s in enumerate(self.stages)
            ],
            "first_removed": self.first_removed,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class StageSummary:
    """One recipe at one stage, over all seeds."""

    stage: str
    poison: int
    poison_surviving: list[int]
    rate: float
    ci_seeds: tuple[float, float] | None
    ci_pooled: tuple[float, float]
    clean: int
    clean_dropped: list[int]
    collateral: float
    removed_here: int
    unmatched: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "poison_per_seed": self.poison,
            "poison_surviving": self.poison_surviving,
            "survival": self.rate,
            "survival_ci95_t_over_seeds": list(self.ci_seeds) if self.ci_seeds else None,
            "survival_ci95_clopper_pearson_pooled": list(self.ci_pooled),
            "clean_per_seed": self.clean,
            "clean_dropped": self.clean_dropped,
            "collateral": self.collateral,
            "poison_first_removed_here": self.removed_here,
            "unmatched_outputs": self.unmatched,
        }


@dataclass
class RedteamResult:
    """Everything a red-team run measured (``report.json`` is :meth:`to_dict`)."""

    pipeline: str
    stages: list[str]
    count: int
    seeds: list[int]
    clean_documents: int
    runs: list[RunOutcome] = field(default_factory=list)
    scan_stage: bool = False
    created: str = ""

    @property
    def recipes(self) -> list[str]:
        return list(dict.fromkeys(r.recipe for r in self.runs))

    def summary(self, recipe: str) -> list[StageSummary]:
        """Per-stage statistics of ``recipe`` over its seeds."""
        runs = [r for r in self.runs if r.recipe == recipe]
        out = []
        for i, stage in enumerate(self.stages):
            surv = [r.poison_surviving[i] for r in runs]
            rates = [s / r.poison for s, r in zip(surv, runs, strict=True) if r.poison]
            dropped = [r.clean - r.clean_surviving[i] for r in runs]
            pooled_n = sum(r.poison for r in runs)
            clean_n = sum(r.clean for r in runs)
            out.append(
                StageSummary(
                    stage=stage,
                    poison=runs[0].poison if runs else 0,
                    poison_surviving=surv,
                    rate=sum(rates) / len(rates) if rates else float("nan"),
                    ci_seeds=t_interval(rates),
                    ci_pooled=clopper_pearson(sum(surv), pooled_n),
                    clean=runs[0].clean if runs else 0,
                    clean_dropped=dropped,
                    collateral=sum(dropped) / clean_n if clean_n else float("nan"),
                    removed_here=sum(
                        1 for r in runs for v in r.first_removed.values() if v == stage
                    ),
                    unmatched=[r.unmatched[i] for r in runs],
                )
            )
        return out

    def final_survival(self) -> dict[str, float]:
        """Recipe → mean share of poison that survived the last stage."""
        return {rec: self.summary(rec)[-1].rate for rec in self.recipes}

    def gate_survival(self) -> dict[str, float]:
        """Recipe → :meth:`final_survival` with unmatched output counted as surviving poison.

        An output document that matches no input may be poison rewritten beyond
        recognition, so the ``--fail-on-survival`` gate counts it as surviving poison (it
        fails closed): mean over seeds of ``min(1, (surviving + unmatched) / poison)``.
        """
        out = {}
        for rec in self.recipes:
            shares = [
                min(1.0, (r.poison_surviving[-1] + r.unmatched[-1]) / r.poison)
                for r in self.runs
                if r.recipe == rec and r.poison
            ]
            out[rec] = sum(shares) / len(shares) if shares else float("nan")
        return out

    def failed(self, rate: float) -> dict[str, float]:
        """Recipes whose :meth:`gate_survival` is above ``rate``, with that share."""
        return {r: v for r, v in self.gate_survival().items() if v > rate}

    def match_methods(self) -> dict[str, dict[str, int | str]]:
        """Recipe → how output documents were matched, summed over seeds and stages."""
        out: dict[str, dict[str, int | str]] = {}
        for rec in self.recipes:
            ms = MatchStats()
            for r in self.runs:
                if r.recipe == rec:
                    for m in r.match:
                        ms.add(m)
            out[rec] = ms.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RedteamResult:
        """A result back from its :meth:`to_dict` (a ``report.json``), to render it again."""
        res = cls(
            pipeline=data["pipeline"],
            stages=list(data["stages"]),
            count=data["count"],
            seeds=list(data["seeds"]),
            clean_documents=data["clean_documents"],
            scan_stage=data.get("scan_stage", False),
            created=data.get("created", ""),
        )
        for r in data["runs"]:
            st = r["stages"]
            res.runs.append(
                RunOutcome(
                    recipe=r["recipe"],
                    seed=r["seed"],
                    poison=r["poison"],
                    clean=r["clean"],
                    stages=[s["stage"] for s in st],
                    poison_surviving=[s["poison_surviving"] for s in st],
                    clean_surviving=[s["clean_surviving"] for s in st],
                    first_removed=dict(r["first_removed"]),
                    match=[
                        MatchStats(
                            Counter({k: int(v) for k, v in s["match"].items() if k != "method"})
                        )
                        for s in st
                    ],
                    unmatched=[s["unmatched_outputs"] for s in st],
                    seconds=r.get("seconds", 0.0),
                    stage_stats=[s.get("stage_stats", {}) for s in st],
                )
            )
        return res

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "stages": self.stages,
            "scan_stage": self.scan_stage,
            "count": self.count,
            "seeds": self.seeds,
            "clean_documents": self.clean_documents,
            "created": self.created,
            "intervals": (
                "survival_ci95_t_over_seeds: 95 % Student-t interval of the per-seed "
                "survival shares (null with one seed); survival_ci95_clopper_pearson_pooled: "
                "95 % Clopper-Pearson interval of the surviving count pooled over seeds"
            ),
            "final_survival": self.final_survival(),
            "gate_survival": self.gate_survival(),
            "match": self.match_methods(),
            "recipes": {rec: [s.to_dict() for s in self.summary(rec)] for rec in self.recipes},
            "runs": [r.to_dict() for r in self.runs],
        }


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float] | None:
    """Student-t interval of the mean of ``values`` (None for fewer than two), clipped to [0, 1]."""
    n = len(values)
    if n < 2:
        return None
    from scipy.stats import t

    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return (max(0.0, mean - half), min(1.0, mean + half))


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval of ``k`` successes in ``n`` trials."""
    if n == 0:
        return (0.0, 1.0)
    from scipy.stats import beta

    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return (lo, hi)


def make_recipe(name: str, params: Mapping[str, Any]) -> Recipe:
    """The registered recipe ``name`` configured with the ``params`` it accepts."""
    try:
        cls = get(name)
    except RecipeError as e:
        raise RedteamError(str(e)) from None
    accepted = set(cls.parameter_names())
    kwargs = {k: v for k, v in params.items() if k in accepted}
    try:
        return cls(**kwargs)
    except RecipeError as e:
        raise RedteamError(f"recipe {name!r}: {e}") from None
    except TypeError as e:  # a required parameter is missing
        raise RedteamError(
            f"recipe {name!r}: {e}".replace("__init__() ", "")
            + f" (it takes: {', '.join(sorted(accepted))})"
        ) from None


def mixed_corpus(
    clean: Sequence[Document], samples: Sequence[PoisonSample], mode: str, seed: int
) -> tuple[list[Document], list[bool]]:
    """The poisoned corpus and, aligned with it, which documents are poison."""
    if mode == "replace":
        by_source = {s.truth.source_id: s for s in samples}
        docs, is_poison = [], []
        for d in clean:
            s = by_source.pop(d.id, None)
            docs.append(s.document if s is not None else d)
            is_poison.append(s is not None)
        if by_source:
            missing = sorted(str(k) for k in by_source)[:3]
            raise RedteamError(f"replace-mode poison without its source document: {missing}")
        return docs, is_poison
    docs, is_poison = [], []
    for doc, sample in interleave(clean, samples, insertion_plan(len(clean), len(samples), seed)):
        docs.append(doc)
        is_poison.append(sample is not None)
    return docs, is_poison


def scan_stage(
    last: StageOutput,
    inputs: Sequence[Document] | None = None,
    *,
    kind: str = "pretrain",
    options: Mapping[str, Any] | None = None,
) -> StageOutput:
    """``poisonguard.scan`` on the documents the pipeline kept: the flagged ones are removed.

    An output document whose text is that of its matched input document is scanned as
    that input document (so records keep their turns and sources when the pipeline, e.g.
    datatrove, only passed their text on).  A rewritten one is scanned as written, except
    a chat record whose output lost its turns: it is scanned as its input record, since
    the instruction detectors need the turns (the pipeline's line edits are then not seen).
    """
    from poisonguard import scan

    docs = list(last.documents or [])
    if inputs is not None:
        for pos, k in enumerate(last.matched):
            if k is None or pos >= len(docs):
                continue
            same = docs[pos].text == inputs[k].text
            if same or (inputs[k].is_chat and not docs[pos].is_chat):
                docs[pos] = inputs[k]
    if not docs:
        return StageOutput(SCAN_STAGE, [], MatchStats(), documents=[])
    res = scan(list(docs), None, kind=kind, **dict(options or {}))
    flagged = {v.index for v in res.findings}
    matched = [k for pos, k in enumerate(last.matched) if pos not in flagged]
    kept = [d for pos, d in enumerate(docs) if pos not in flagged]
    stats = MatchStats()
    stats.by["id"] = sum(1 for k in matched if k is not None)
    stats.by["unmatched"] = sum(1 for k in matched if k is None)
    return StageOutput(
        SCAN_STAGE,
        matched,
        stats,
        documents=kept,
        stats={"scanned": len(docs), "flagged": len(flagged), "counts": dict(res.counts)},
    )


def redteam(
    clean: Sequence[Document],
    pipeline: Pipeline,
    recipes: Sequence[str],
    *,
    count: int = 250,
    seeds: Sequence[int] = (0,),
    params: Mapping[str, Mapping[str, Any]] | None = None,
    common: Mapping[str, Any] | None = None,
    with_scan: bool = False,
    scan_kind: str = "pretrain",
    scan_options: Mapping[str, Any] | None = None,
    work: str | Path | None = None,
    keep_work: bool = False,
    progress: ProgressFn | None = None,
) -> RedteamResult:
    """Run ``pipeline`` on ``clean`` poisoned by each recipe and seed; see the module doc.

    Args:
        clean: the clean corpus (never modified; the pipeline gets copies).
        pipeline: a :class:`~poisonguard.redteam.pipelines.ShellPipeline` or
            :class:`~poisonguard.redteam.pipelines.DatatrovePipeline`.
        recipes: recipe names (``poisonguard poison --list``).
        count: poisoned documents per run.
        seeds: one run per seed (poison content and positions).
        params: per-recipe parameters ``{recipe: {param: value}}``.
        common: parameters given to every recipe that accepts them (``foreign``,
            ``entity``, ``tokenizer``, ...); ``params`` wins.
        with_scan: add ``poisonguard scan`` as a final stage.
        scan_kind / scan_options: the scan's ``kind`` and further keyword arguments.
        work: folder for the pipeline's copies (default: a temporary folder).
        keep_work: keep the work folder (default: deleted at the end).
        progress: called with a line of text per finished run.
    """
    clean = [d for d in clean if isinstance(d, Document)]
    if not clean:
        raise RedteamError("the clean corpus has no readable documents")
    if not recipes:
        raise RedteamError("give at least one recipe")
    if count < 1:
        raise RedteamError(f"count must be >= 1, got {count}")
    if not seeds:
        raise RedteamError("give at least one seed")
    configured = {}
    for name in dict.fromkeys(recipes):
        p = dict(common or {})
        p.update((params or {}).get(name, {}))
        configured[name] = make_recipe(name, p)
    stages = list(pipeline.stage_names) + ([SCAN_STAGE] if with_scan else [])
    if work is not None:
        root = Path(work)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            # the work folder is deleted run by run: never one that holds anything already
            raise RedteamError(f"the work folder {root} is not empty; give a new or empty folder")
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = Path(tempfile.mkdtemp(prefix="poisonguard-redteam-"))
    result = RedteamResult(
        pipeline=getattr(pipeline, "command", None) or f"datatrove:{getattr(pipeline, 'spec', '')}",
        stages=stages,
        count=count,
        seeds=list(seeds),
        clean_documents=len(clean),
        scan_stage=with_scan,
        created=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )
    try:
        for name, recipe in configured.items():
            if count > recipe.max_count(len(clean)):
                raise RedteamError(
                    f"count {count} is larger than recipe {name!r} allows for "
                    f"{len(clean):,} clean documents"
                )
            for seed in seeds:
                t0 = time.perf_counter()
                try:
                    # a fresh id index per run: minted ids are reserved in it
                    ids = IdIndex.from_documents(clean)
                    samples = recipe.generate(clean, count, seed, ids=ids)
                except RecipeError as e:
                    raise RedteamError(f"recipe {name!r}: {e}") from None
                docs, is_poison = mixed_corpus(clean, samples, recipe.mode, seed)
                matcher = Matcher([(d.id, d.text) for d in docs])
                outs = pipeline.run(docs, root / f"{name}-seed{seed}", matcher)
                if len(outs) != len(pipeline.stage_names):  # pragma: no cover - a bug
                    raise PipelineError("the pipeline reported a different number of stages")
                if with_scan:
                    outs.append(scan_stage(outs[-1], docs, kind=scan_kind, options=scan_options))
                run = _outcome(name, seed, docs, is_poison, outs, time.perf_counter() - t0)
                result.runs.append(run)
                if progress is not None:
                    progress(
                        f"{name} seed {seed}: {run.poison_surviving[-1]}/{run.poison} poison "
                        f"survived, {run.clean - run.clean_surviving[-1]}/{run.clean} clean "
                        f"dropped ({run.seconds:.1f} s)"
                    )
                if not keep_work:
                    shutil.rmtree(root / f"{name}-seed{seed}", ignore_errors=True)
    finally:
        if not keep_work and work is None:
            shutil.rmtree(root, ignore_errors=True)
    return result


def _outcome(
    recipe: str,
    seed: int,
    docs: Sequence[Document],
    is_poison: Sequence[bool],
    outs: Sequence[StageOutput],
    seconds: float,
) -> RunOutcome:
    poison_idx = [k for k, p in enumerate(is_poison) if p]
    n_poison = len(poison_idx)
    first: dict[str, str | None] = {docs[k].id: None for k in poison_idx}
    alive = set(range(len(docs)))
    ps, cs, unmatched = [], [], []
    for out in outs:
        alive &= out.survivors  # a document dropped once does not come back
        for k in poison_idx:
            if k not in alive and first[docs[k].id] is None:
                first[docs[k].id] = out.name
        p = sum(1 for k in alive if is_poison[k])
        ps.append(p)
        cs.append(len(alive) - p)
        unmatched.append(sum(1 for k in out.matched if k is None))
    return RunOutcome(
        recipe=recipe,
        seed=seed,
        poison=n_poison,
        clean=len(docs) - n_poison,
        stages=[o.name for o in outs],
        poison_surviving=ps,
        clean_surviving=cs,
        first_removed=first,
        match=[o.match for o in outs],
        unmatched=unmatched,
        seconds=seconds,
        stage_stats=[o.stats for o in outs],
    )


def first_removed_counts(result: RedteamResult, recipe: str) -> Counter[str]:
    """Stage → poisoned documents it removed first (``survived``: none did), over seeds."""
    c: Counter[str] = Counter()
    for r in result.runs:
        if r.recipe == recipe:
            for v in r.first_removed.values():
                c[v if v is not None else "survived"] += 1
    return c


__all__ = [
    "SCAN_STAGE",
    "Pipeline",
    "RedteamError",
    "RedteamResult",
    "RunOutcome",
    "StageSummary",
    "clopper_pearson",
    "first_removed_counts",
    "make_recipe",
    "mixed_corpus",
    "redteam",
    "scan_stage",
    "t_interval",
]
