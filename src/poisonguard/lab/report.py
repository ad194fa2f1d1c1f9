"""Tables and plots from the finished cells of a lab directory (re-rendered at any time).

``results.csv`` / ``results.json`` hold one row per (size, count, defense): ASR (sampled and
greedy decoding) with Wilson and cluster-bootstrap 95 % intervals over seeds × prompts, the
mean log-perplexity gap, the clean validation loss, the poison share of the stream and the
training throughput.  ``results.json`` also lists every cell.  ``asr_vs_count.png`` and
``asr_vs_percentage.png`` draw ASR (sampled) against the number and the token percentage of
poisoned documents, one line per model size, one panel per defense.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from poisonguard.io import AtomicFile, write_json
from poisonguard.lab.metric import PromptResult, summarise

COLUMNS = [
    "defense",
    "size",
    "params",
    "count",
    "seeds",
    "poison_token_pct",
    "poison_doc_pct",
    "asr_sampled",
    "asr_sampled_wilson_lo",
    "asr_sampled_wilson_hi",
    "asr_sampled_boot_lo",
    "asr_sampled_boot_hi",
    "asr_greedy",
    "asr_greedy_wilson_lo",
    "asr_greedy_wilson_hi",
    "logppl_gap_sampled",
    "logppl_gap_greedy",
    "val_loss",
    "val_loss_sd",
    "clean_tokens",
    "tokens_per_s",
    "dropped_poison",
    "dropped_clean",
    "filtered_poison",
    "filtered_clean",
]


def load_cells(out: Path) -> list[dict[str, Any]]:
    """Every finished cell of a lab directory."""
    cells_dir = Path(out) / "cells"
    if not cells_dir.is_dir():
        raise FileNotFoundError(f"{out} has no cells/ directory (not a lab run)")
    return [json.loads(p.read_text()) for p in sorted(cells_dir.glob("*.json"))]


def aggregate(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (defense, size, count) over seeds."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = defaultdict(list)
    for c in cells:
        groups[(c["defense"], c["size"], c["count"])].append(c)
    rows = []
    for (defense, size, count), cs in groups.items():
        per_seed = [[PromptResult(**p) for p in c["prompts"]] for c in cs]
        sam, gre = summarise(per_seed, "sampled"), summarise(per_seed, "greedy")
        vl = [c["val_loss"] for c in cs]
        rows.append(
            {
                "defense": defense,
                "size": size,
                "params": cs[0]["params"],
                "count": count,
                "seeds": len(cs),
                "poison_token_pct": float(np.mean([c["poison_token_pct"] for c in cs])),
                "poison_doc_pct": float(np.mean([c["poison_doc_pct"] for c in cs])),
                "asr_sampled": sam.asr,
                "asr_sampled_wilson_lo": sam.wilson_lo,
                "asr_sampled_wilson_hi": sam.wilson_hi,
                "asr_sampled_boot_lo": sam.boot_lo,
                "asr_sampled_boot_hi": sam.boot_hi,
                "asr_greedy": gre.asr,
                "asr_greedy_wilson_lo": gre.wilson_lo,
                "asr_greedy_wilson_hi": gre.wilson_hi,
                "logppl_gap_sampled": sam.logppl_gap,
                "logppl_gap_greedy": gre.logppl_gap,
                "val_loss": float(np.mean(vl)),
                "val_loss_sd": float(np.std(vl)),
                "clean_tokens": int(np.mean([c["clean_tokens"] for c in cs])),
                "tokens_per_s": float(np.mean([c["tokens_per_s"] for c in cs])),
                "dropped_poison": int(sum(c["dropped_poison"] for c in cs)),
                "dropped_clean": int(sum(c["dropped_docs"] - c["dropped_poison"] for c in cs)),
                "filtered_poison": int(
                    sum(c.get("filter", {}).get("removed_poison", 0) for c in cs)
                ),
                "filtered_clean": int(sum(c.get("filter", {}).get("removed_clean", 0) for c in cs)),
            }
        )
    order = {"none": 0, "filter": 1, "losstrunc": 2}
    rows.sort(key=lambda r: (order.get(r["defense"], 9), r["params"], r["count"]))
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (the one pasted into ``docs/lab.md``)."""
    head = (
        "| defense | size | params | poison docs | poison % tokens | ASR sampled [95% CI] "
        "| ASR greedy | log-ppl gap | val loss | dropped/filtered poison |\n"
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        removed = r["dropped_poison"] + r["filtered_poison"]
        lines.append(
            f"| {r['defense']} | {r['size']} | {r['params']:,} | {r['count']} "
            f"| {r['poison_token_pct']:.2f} | {r['asr_sampled']:.2f} "
            f"[{r['asr_sampled_wilson_lo']:.2f}, {r['asr_sampled_wilson_hi']:.2f}] "
            f"| {r['asr_greedy']:.2f} | {r['logppl_gap_sampled']:+.2f} "
            f"| {r['val_loss']:.3f} | {removed} |"
        )
    return head + "\n".join(lines) + "\n"


def _plot(rows: list[dict[str, Any]], x: str, xlabel: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    defenses = [d for d in ("none", "filter", "losstrunc") if any(r["defense"] == d for r in rows)]
    sizes = sorted({(r["params"], r["size"]) for r in rows})
    colour = {size: f"C{i}" for i, (_, size) in enumerate(sizes)}
    fig, axes = plt.subplots(
        1, len(defenses), figsize=(4.2 * len(defenses), 3.4), sharey=True, squeeze=False
    )
    for ax, defense in zip(axes[0], defenses, strict=True):
        for params, size in sizes:
            pts = sorted(
                (r[x], r["asr_sampled"], r["asr_sampled_wilson_lo"], r["asr_sampled_wilson_hi"])
                for r in rows
                if r["defense"] == defense and r["size"] == size
            )
            if not pts:
                continue
            xs = np.array([p[0] for p in pts])
            ys = np.array([p[1] for p in pts])
            err = np.array([[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]])
            ax.errorbar(
                xs,
                ys,
                yerr=err,
                marker="o",
                capsize=3,
                color=colour[size],
                label=f"{size} ({params / 1e3:.0f}k params)",
            )
        if x == "count":
            ax.set_xscale("symlog", linthresh=10.0)
            ticks = sorted({r["count"] for r in rows})
            ax.set_xticks(ticks)
            ax.set_xticklabels([str(t) for t in ticks])
        else:
            ax.set_xscale("symlog", linthresh=0.5)
        ax.set_title(f"defense: {defense}")
        ax.set_xlabel(xlabel)
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    axes[0][0].set_ylabel("ASR (sampled, T=1)")
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def write_report(out: Path) -> list[dict[str, Any]]:
    """(Re)write results.csv/json, both plots and report.md from the cells in ``out``."""
    out = Path(out)
    cells = load_cells(out)
    if not cells:
        raise FileNotFoundError(f"{out} has no finished cells yet")
    rows = aggregate(cells)
    with AtomicFile(out / "results.csv", "w") as f:
        w = csv.DictWriter(f.fh, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    write_json(
        out / "results.json",
        {
            "rows": rows,
            "cells": [
                {k: v for k, v in c.items() if k not in ("prompts", "poison_positions")}
                for c in cells
            ],
        },
    )
    _plot(rows, "count", "poisoned documents", out / "asr_vs_count.png")
    _plot(
        rows,
        "poison_token_pct",
        "poisoned tokens (% of training tokens)",
        out / "asr_vs_percentage.png",
    )
    with AtomicFile(out / "report.md", "w") as f:
        f.fh.write(markdown_table(rows))
    return rows
