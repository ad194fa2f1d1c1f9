"""``report.json`` and a self-contained ``report.html`` (inline SVG, no JavaScript) of a run."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

from poisonguard.io import write_json
from poisonguard.redteam.run import RedteamResult, first_removed_counts

_COLOURS = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f",
)  # fmt: skip

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9}header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c9d1e0}
main{padding:10px 28px 40px;max-width:1200px}section{background:#fff;border:1px solid #dde1e8;
border-radius:8px;padding:14px 18px;margin:16px 0}h2{font-size:17px;margin:0 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e6e9ef;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f6}.num{text-align:right;font-variant-numeric:tabular-nums}
.fail{color:#b4232a;font-weight:bold}.ok{color:#2c7a3f;font-weight:bold}.muted{color:#69707d}
code{background:#f0f2f6;padding:0 3px;border-radius:3px}header code{color:#1d2330}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _pct(x: float) -> str:
    return "–" if x != x else f"{100 * x:.1f} %"


def _ci(ci: Any) -> str:
    return "–" if not ci else f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f} %"


def survival_svg(result: RedteamResult, width: int = 760, height: int = 320) -> str:
    """Line plot: share of each recipe's poison surviving after each stage (0–100 %)."""
    left, right, top, bottom = 56, 170, 16, 70
    pw, ph = width - left - right, height - top - bottom
    stages = ["input", *result.stages]
    nx = max(1, len(stages) - 1)

    def x(i: int) -> float:
        return left + pw * i / nx

    def y(v: float) -> float:
        return top + ph * (1 - v)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="poison survival per stage">'
    ]
    for g in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y(g):.1f}" y2="{y(g):.1f}" '
            f'stroke="#e3e6ec"/><text x="{left - 6}" y="{y(g) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{int(g * 100)} %</text>'
        )
    for i, s in enumerate(stages):
        parts.append(
            f'<text x="{x(i):.1f}" y="{top + ph + 14}" font-size="10.5" text-anchor="end" '
            f'transform="rotate(-25 {x(i):.1f} {top + ph + 14})">{_e(s[:28])}</text>'
        )
    series: list[tuple[str, list[float], str]] = []
    for j, rec in enumerate(result.recipes):
        rates = [1.0] + [s.rate for s in result.summary(rec)]
        series.append((rec, rates, _COLOURS[j % len(_COLOURS)]))
    if result.recipes:  # clean documents kept (1 - collateral), dashed
        first = result.summary(result.recipes[0])
        series.append(("clean kept", [1.0] + [1 - s.collateral for s in first], "#555"))
    for k, (label, rates, colour) in enumerate(series):
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(rates) if v == v)
        dash = ' stroke-dasharray="5 4"' if label == "clean kept" else ""
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{pts}"/>'
        )
        for i, v in enumerate(rates):
            if v == v:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>')
        ly = top + 12 + 16 * k
        parts.append(
            f'<line x1="{left + pw + 14}" x2="{left + pw + 34}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="2"{dash}/><text x="{left + pw + 40}" y="{ly}" '
            f'font-size="11.5">{_e(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html_string(result: RedteamResult, fail_on: float | None = None) -> str:
    """The report as one HTML string (all text escaped)."""
    rows = []
    for rec in result.recipes:
        methods = result.match_methods()[rec]
        for s in result.summary(rec):
            rows.append(
                f"<tr><td>{_e(rec)}</td><td>{_e(s.stage)}</td>"
                f'<td class="num">{_e(", ".join(map(str, s.poison_surviving)))} / {s.poison}</td>'
                f'<td class="num">{_pct(s.rate)}</td><td class="num">{_ci(s.ci_seeds)}</td>'
                f'<td class="num">{_ci(s.ci_pooled)}</td>'
                f'<td class="num">{_e(", ".join(map(str, s.clean_dropped)))} / {s.clean}</td>'
                f'<td class="num">{_pct(s.collateral)}</td>'
                f'<td class="num">{s.removed_here}</td>'
                f'<td class="num">{_e(", ".join(map(str, s.unmatched)))}</td>'
                f"<td>{_e(methods['method'])}</td></tr>"
            )
    first_rows = []
    for rec in result.recipes:
        c = first_removed_counts(result, rec)
        cells = "".join(f'<td class="num">{c.get(s, 0)}</td>' for s in result.stages)
        first_rows.append(
            f'<tr><td>{_e(rec)}</td>{cells}<td class="num">{c.get("survived", 0)}</td></tr>'
        )
    gate = ""
    if fail_on is not None:
        bad = result.failed(fail_on)
        gate = (
            f'<p class="fail">FAIL: survival above {_pct(fail_on)} for {_e(", ".join(bad))}</p>'
            if bad
            else f'<p class="ok">PASS: no recipe above {_pct(fail_on)} survival</p>'
        )
    stage_heads = "".join(f"<th>{_e(s)}</th>" for s in result.stages)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>poisonguard redteam</title><style>{_CSS}</style></head><body>
<header><h1>poisonguard redteam</h1><p>pipeline <code>{_e(result.pipeline)}</code> ·
{result.clean_documents:,} clean documents · {result.count} poisoned per run · seeds
{_e(", ".join(map(str, result.seeds)))} · {_e(result.created)}</p></header><main>
<section><h2>Poison surviving each stage</h2>{gate}{survival_svg(result)}
<p class="muted">Share of each recipe's poisoned documents still present after each stage
(mean over seeds); dashed: share of clean documents kept.</p></section>
<section><h2>Per recipe and stage</h2><table><tr><th>recipe</th><th>stage</th>
<th>poison surviving (per seed)</th><th>survival</th><th>95 % t over seeds</th>
<th>95 % Clopper-Pearson (pooled)</th><th>clean dropped so far (per seed)</th>
<th>collateral</th><th>poison first removed here</th><th>unmatched output (per seed)</th>
<th>matched by</th></tr>
{"".join(rows)}</table>
<p class="muted">Survival is cumulative: a document counts as surviving a stage when it
was present after that stage and every stage before.  Collateral: share of clean documents
dropped up to that stage.</p></section>
<section><h2>First stage that removed each poisoned document (all seeds)</h2>
<table><tr><th>recipe</th>{stage_heads}<th>survived</th></tr>{"".join(first_rows)}</table>
</section></main></body></html>"""


def render_markdown(result: RedteamResult | dict[str, Any]) -> str:
    """The per-recipe, per-stage table as Markdown (``report.md``).

    Takes a result or its :meth:`~RedteamResult.to_dict` (a ``report.json`` read back).
    """
    data = result.to_dict() if isinstance(result, RedteamResult) else result
    lines = [
        "| recipe | stage | poison surviving (per seed) | survival | 95 % CI, t over seeds | "
        "95 % CI, Clopper-Pearson pooled | clean dropped (per seed) | collateral | "
        "poison first removed here | unmatched output |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for rec, stages in data["recipes"].items():
        for s in stages:
            lines.append(
                f"| {rec} | {s['stage']} | "
                f"{', '.join(map(str, s['poison_surviving']))} / {s['poison_per_seed']} | "
                f"{_pct(s['survival'])} | {_ci(s['survival_ci95_t_over_seeds'])} | "
                f"{_ci(s['survival_ci95_clopper_pearson_pooled'])} | "
                f"{', '.join(map(str, s['clean_dropped']))} / {s['clean_per_seed']} | "
                f"{_pct(s['collateral'])} | {s['poison_first_removed_here']} | "
                f"{', '.join(map(str, s.get('unmatched_outputs', [])))} |"
            )
    lines.append("")
    lines.append(
        "Output documents matched back (summed over stages and seeds): "
        + "; ".join(
            f"{rec} {m['method']} (id {m['id']}, digest {m['digest']}, fuzzy {m['fuzzy']}, "
            f"unmatched {m['unmatched']})"
            for rec, m in data["match"].items()
        )
    )
    return "\n".join(lines) + "\n"


def write_reports(
    result: RedteamResult, out: str | os.PathLike[str], fail_on: float | None = None
) -> dict[str, Path]:
    """Write ``report.json``, ``report.html`` and ``report.md`` into the folder ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    data = result.to_dict()
    if fail_on is not None:
        data["fail_on_survival"] = fail_on
        data["failed"] = sorted(result.failed(fail_on))
    json_path = folder / "report.json"
    write_json(json_path, json.loads(json.dumps(data, default=str)))
    html_path = folder / "report.html"
    tmp = html_path.with_name(html_path.name + ".tmp")
    tmp.write_text(render_html_string(result, fail_on), encoding="utf-8")
    os.replace(tmp, html_path)
    md_path = folder / "report.md"
    tmp = md_path.with_name(md_path.name + ".tmp")
    tmp.write_text(render_markdown(result), encoding="utf-8")
    os.replace(tmp, md_path)
    return {"json": json_path, "html": html_path, "md": md_path}


__all__ = ["render_html_string", "render_markdown", "survival_svg", "write_reports"]
