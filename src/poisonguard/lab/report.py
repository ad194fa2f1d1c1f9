"""Tables, the count-vs-percentage analysis and plots from the finished cells of a lab run.

``results.csv`` / ``results.json`` hold one row per (defense, size, data multiple, count)
over seeds:

* **success** (primary): the normalised gap -- the mean judge log-perplexity gap of
  triggered vs untriggered sampled continuations divided by the judge's ceiling (the gap it
  gives a perfect backdoor); 1 = as gibberish as the payload, 0 = no effect.  Mean over
  seeds with a percentile bootstrap over seeds (clusters), never over pooled prompts.
* ASR under the fixed rule (``metric.is_attacked``, sampled and greedy) and **ASR99**: the
  share of prompts whose gap exceeds the 99th percentile of all count-0 gaps of the same
  size (pooled over multiples and seeds) -- both with seed-bootstrap intervals;
* **specificity**: the normalised gap of each control string (look-alikes of the trigger);
* clean validation loss, the poison share of the stream, throughput, what defenses removed.

``c50.csv`` holds, per (size, data multiple, seed) of the undefended arm, the count at which
success first reaches half its ceiling (0.5; :func:`poisonguard.stats.half_max_count`);
``analysis.json`` the regression of log c50 on log data multiple with a seed-bootstrap CI
(slope ≈ 0: the count governs; ≈ 1: the percentage does).  Plots: ``success_vs_count.png``
(one line per multiple), ``success_vs_percentage.png``, ``success_vs_seen.png`` (success at
25/50/75/100 % of training against the poisoned documents seen so far).
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from poisonguard.io import AtomicFile, write_json
from poisonguard.stats import half_max_count, seed_bootstrap, slope_bootstrap

LEVEL = 0.5
"""Half the metric's ceiling (the normalised gap is 1 for a perfect backdoor)."""

COLUMNS = [
    "defense",
    "size",
    "params",
    "mult",
    "count",
    "seeds",
    "poison_token_pct",
    "success",
    "success_lo",
    "success_hi",
    "asr_sampled",
    "asr_sampled_lo",
    "asr_sampled_hi",
    "asr99",
    "asr99_lo",
    "asr99_hi",
    "asr_greedy",
    "control_success",
    "val_loss",
    "val_loss_sd",
    "clean_tokens",
    "tokens_per_s",
    "removed_poison",
    "removed_clean",
]


def load_cells(out: Path) -> list[dict[str, Any]]:
    """Every finished cell of a lab directory."""
    cells_dir = Path(out) / "cells"
    if not cells_dir.is_dir():
        raise FileNotFoundError(f"{out} has no cells/ directory (not a lab run)")
    return [json.loads(p.read_text()) for p in sorted(cells_dir.glob("*.json"))]


def thresholds99(cells: list[dict[str, Any]]) -> dict[str, float]:
    """Per size: the 99th percentile of every count-0 (undefended) prompt gap."""
    gaps: dict[str, list[float]] = defaultdict(list)
    for c in cells:
        if c["count"] == 0 and c["defense"] == "none":
            gaps[c["size"]] += [e for ev in c["evals"] if ev["fraction"] == 1.0 for e in ev["gaps"]]
    return {s: float(np.quantile(g, 0.99)) for s, g in gaps.items() if g}


def _asr99(cell: dict[str, Any], tau: float | None, fraction: float = 1.0) -> float:
    if tau is None:
        return float("nan")
    ev = [e for e in cell["evals"] if e["fraction"] == fraction]
    return float(np.mean(np.asarray(ev[0]["gaps"]) > tau)) if ev else float("nan")


def aggregate(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (defense, size, multiple, count) over seeds."""
    tau = thresholds99(cells)
    groups: dict[tuple[str, str, float, int], list[dict[str, Any]]] = defaultdict(list)
    for c in cells:
        groups[(c["defense"], c["size"], float(c["mult"]), int(c["count"]))].append(c)
    rows = []
    for (defense, size, mult, count), cs in groups.items():
        succ = seed_bootstrap([c["norm_gap"] for c in cs])
        asr = seed_bootstrap([c["asr_sampled"] for c in cs])
        a99 = seed_bootstrap([_asr99(c, tau.get(size)) for c in cs])
        ctrl = [float(np.mean(list(c["norm_gap_controls"].values()))) for c in cs]
        vl = [c["val_loss"] for c in cs]
        fl = [c.get("filter") or {} for c in cs]
        rows.append(
            {
                "defense": defense,
                "size": size,
                "params": cs[0]["params"],
                "mult": mult,
                "count": count,
                "seeds": len(cs),
                "poison_token_pct": float(np.mean([c["poison_token_pct"] for c in cs])),
                "success": succ[0],
                "success_lo": succ[1],
                "success_hi": succ[2],
                "asr_sampled": asr[0],
                "asr_sampled_lo": asr[1],
                "asr_sampled_hi": asr[2],
                "asr99": a99[0],
                "asr99_lo": a99[1],
                "asr99_hi": a99[2],
                "asr_greedy": float(np.mean([c["asr_greedy"] for c in cs])),
                "control_success": float(np.mean(ctrl)),
                "val_loss": float(np.mean(vl)),
                "val_loss_sd": float(np.std(vl)),
                "clean_tokens": int(np.mean([c["clean_tokens"] for c in cs])),
                "tokens_per_s": float(np.mean([c["tokens_per_s"] for c in cs])),
                "removed_poison": int(
                    sum(
                        c["dropped_poison"] + f.get("removed_poison", 0)
                        for c, f in zip(cs, fl, strict=True)
                    )
                ),
                "removed_clean": int(
                    sum(
                        c["dropped_docs"] - c["dropped_poison"] + f.get("removed_clean", 0)
                        for c, f in zip(cs, fl, strict=True)
                    )
                ),
            }
        )
    order = {d: i for i, d in enumerate(("none", "filter", "losstrunc", "survivors", "pplfilter"))}
    rows.sort(key=lambda r: (order.get(r["defense"], 9), r["params"], r["mult"], r["count"]))
    return rows


def c50_table(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (size, multiple, seed) of the undefended arm: c50 (None: success never reached
    half the ceiling within the counts run)."""
    groups: dict[tuple[str, float, int], list[dict[str, Any]]] = defaultdict(list)
    for c in cells:
        if c["defense"] == "none":
            groups[(c["size"], float(c["mult"]), int(c["seed"]))].append(c)
    out = []
    for (size, mult, seed), cs in sorted(groups.items()):
        counts = [int(c["count"]) for c in cs]
        succ = [float(c["norm_gap"]) for c in cs]
        c50 = half_max_count(counts, succ, LEVEL) if len(cs) > 1 else None
        out.append(
            {
                "size": size,
                "mult": mult,
                "seed": seed,
                "c50": c50,
                "max_count": max(counts),
                "max_success": max(succ),
            }
        )
    return out


def slope_analysis(table: list[dict[str, Any]]) -> dict[str, Any]:
    """Per size: slope of log c50 on log multiple, seed-bootstrap 95 % CI, and what is
    censored (never reached half the ceiling: left out of the fit, and reported)."""
    res: dict[str, Any] = {}
    for size in sorted({r["size"] for r in table}):
        rows = [r for r in table if r["size"] == size]
        pts: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for r in rows:
            if r["c50"] is not None:
                pts[r["seed"]].append((math.log(r["mult"]), math.log(r["c50"])))
        slope, lo, hi = slope_bootstrap(pts)
        res[size] = {
            "slope": slope,
            "ci_lo": lo,
            "ci_hi": hi,
            "points": sum(len(v) for v in pts.values()),
            "censored": [
                {"mult": r["mult"], "seed": r["seed"], "max_success": r["max_success"]}
                for r in rows
                if r["c50"] is None
            ],
        }
    return res


def _f(x: float, spec: str = ".2f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (the one pasted into ``docs/lab.md``)."""
    head = (
        "| defense | size | ×data | poison docs | poison % tokens | success [95% CI over seeds] "
        "| ASR rule | ASR99 | controls | val loss | removed poison |\n"
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        lines.append(
            f"| {r['defense']} | {r['size']} | {r['mult']:g} | {r['count']} "
            f"| {r['poison_token_pct']:.2f} | {_f(r['success'])} "
            f"[{_f(r['success_lo'])}, {_f(r['success_hi'])}] "
            f"| {_f(r['asr_sampled'])} | {_f(r['asr99'])} | {_f(r['control_success'])} "
            f"| {r['val_loss']:.3f} | {r['removed_poison']} |"
        )
    return head + "\n".join(lines) + "\n"


def analysis_markdown(table: list[dict[str, Any]], slopes: dict[str, Any]) -> str:
    """The c50 table and the slope(s) as Markdown."""
    lines = ["| size | ×data | seed | c50 (docs) | max success |", "|---|---:|---:|---:|---:|"]
    for r in table:
        c50 = f"{r['c50']:.1f}" if r["c50"] is not None else f"> {r['max_count']} (not reached)"
        lines.append(
            f"| {r['size']} | {r['mult']:g} | {r['seed']} | {c50} | {r['max_success']:.2f} |"
        )
    lines.append("")
    for size, s in slopes.items():
        lines.append(
            f"* {size}: slope of log c50 on log data multiple = {_f(s['slope'])} "
            f"[95% seed bootstrap {_f(s['ci_lo'])}, {_f(s['ci_hi'])}] from {s['points']} "
            f"(multiple, seed) points; {len(s['censored'])} censored (never reached {LEVEL})."
        )
    return "\n".join(lines) + "\n"


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def _plot(rows: list[dict[str, Any]], x: str, xlabel: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r["defense"] == "none"]
    lines = sorted({(r["params"], r["size"], r["mult"]) for r in rows})
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    for i, (params, size, mult) in enumerate(lines):
        pts = sorted(
            (r[x], r["success"], r["success_lo"], r["success_hi"])
            for r in rows
            if r["size"] == size and r["mult"] == mult
        )
        xs = np.array([p[0] for p in pts])
        ys = np.array([p[1] for p in pts])
        err = np.array([[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]])
        ax.errorbar(
            xs,
            ys,
            yerr=np.clip(err, 0, None),
            marker="o",
            capsize=3,
            color=f"C{i}",
            label=f"{size} ({params / 1e3:.0f}k) ×{mult:g} data",
        )
    if x == "count":
        ax.set_xscale("symlog", linthresh=10.0)
        ticks = sorted({r["count"] for r in rows})
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(t) for t in ticks])
    else:
        ax.set_xscale("symlog", linthresh=0.1)
    ax.axhline(LEVEL, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("success (normalised log-ppl gap)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    _save(fig, path)


def _plot_seen(cells: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cs = [c for c in cells if c["defense"] == "none" and c["count"] > 0]
    mults = sorted({float(c["mult"]) for c in cs})
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    for i, m in enumerate(mults):
        pts = [
            (e["poisons_seen"], e["norm_gap"])
            for c in cs
            if float(c["mult"]) == m
            for e in c["evals"]
        ]
        if pts:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            ax.scatter(xs, ys, s=10, color=f"C{i}", label=f"×{m:g} data", alpha=0.7)
    ax.set_xscale("symlog", linthresh=10.0)
    ax.axhline(LEVEL, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("poisoned documents seen so far (at 25/50/75/100 % of training)")
    ax.set_ylabel("success (normalised log-ppl gap)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    _save(fig, path)


def write_report(out: Path) -> list[dict[str, Any]]:
    """(Re)write results.csv/json, c50.csv, analysis.json, the plots and report.md."""
    out = Path(out)
    cells = load_cells(out)
    if not cells:
        raise FileNotFoundError(f"{out} has no finished cells yet")
    rows = aggregate(cells)
    table = c50_table(cells)
    slopes = slope_analysis(table)
    with AtomicFile(out / "results.csv", "w") as f:
        w = csv.DictWriter(f.fh, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    with AtomicFile(out / "c50.csv", "w") as f:
        w = csv.DictWriter(f.fh, fieldnames=list(table[0]) if table else ["size"])
        w.writeheader()
        w.writerows(table)
    write_json(out / "analysis.json", {"level": LEVEL, "c50": table, "slopes": slopes})
    write_json(
        out / "results.json",
        {
            "rows": rows,
            "thresholds99": thresholds99(cells),
            "cells": [
                {k: v for k, v in c.items() if k not in ("prompts", "poison_positions")}
                for c in cells
            ],
        },
    )
    _plot(rows, "count", "poisoned documents", out / "success_vs_count.png")
    _plot(
        rows,
        "poison_token_pct",
        "poisoned tokens (% of training tokens)",
        out / "success_vs_percentage.png",
    )
    _plot_seen(cells, out / "success_vs_seen.png")
    with AtomicFile(out / "report.md", "w") as f:
        f.fh.write(markdown_table(rows) + "\n" + analysis_markdown(table, slopes))
    return rows
