"""A self-contained HTML report of a scan: one file, no external assets, no JavaScript.

Sections: summary counts, per-detector score distributions (inline SVG histograms with the
calibrated threshold), mined triggers with example documents, campaigns (claim families,
near-duplicate clusters, fixed replies, restated-question groups), flagged documents with
their evidence spans highlighted, and a per-source breakdown.  Every piece of corpus text is
HTML-escaped: the report is safe to open even when the corpus holds hostile markup.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from poisonguard.io.accounting import AtomicFile

MAX_DOCS = 200
"""Flagged documents shown in full (the findings files hold all of them)."""
MAX_EXCERPT = 1500

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9d1e0}
main{padding:10px 28px 40px;max-width:1200px}
section{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:14px 18px;
margin:16px 0}
h2{font-size:17px;margin:0 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e6e9ef;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f6}
.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #dde1e8;border-radius:8px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}
.poisoned{color:#b4232a}.suspicious{color:#b76e00}.clean{color:#2c7a3f}
.doc{border-top:1px solid #e6e9ef;padding:10px 0}
pre{white-space:pre-wrap;word-break:break-word;background:#fafbfc;border:1px solid #e6e9ef;
padding:8px;border-radius:6px;max-height:320px;overflow:auto;font-size:12.5px}
mark{padding:0 1px;border-radius:2px}
mark.trigger{background:#ffb3b3}mark.payload{background:#ffe7a3}mark.claim{background:#c8e6ff}
mark.changepoint{background:#e0c8ff}mark.shared{background:#d8f2d0}mark.reply{background:#ffe7a3}
mark.other{background:#e3e3e3}
.hists{display:flex;flex-wrap:wrap;gap:14px}.hist{font-size:12px}
code{background:#f0f2f6;padding:0 3px;border-radius:3px}
.muted{color:#69707d}
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def highlight(text: str, spans: Iterable[Any], offset: int = 0) -> str:
    """``text`` HTML-escaped, with ``spans`` (offsets relative to ``offset``) wrapped in
    ``<mark class=label>``.  Overlapping spans are clipped so marks never nest."""
    items = []
    for s in spans:
        start, end = int(_get(s, "start", 0)) - offset, int(_get(s, "end", 0)) - offset
        label = str(_get(s, "label", "other"))
        start, end = max(0, start), min(len(text), end)
        if end > start:
            items.append((start, end, label))
    items.sort()
    out, pos = [], 0
    for start, end, label in items:
        start = max(start, pos)
        if start >= end:
            continue
        cls = (
            label
            if label in ("trigger", "payload", "claim", "changepoint", "shared", "reply")
            else "other"
        )
        out.append(_e(text[pos:start]))
        out.append(f'<mark class="{cls}" title="{_e(label)}">{_e(text[start:end])}</mark>')
        pos = end
    out.append(_e(text[pos:]))
    return "".join(out)


def histogram_svg(
    edges: Sequence[float],
    counts: Sequence[int],
    threshold: float | None = None,
    width: int = 320,
    height: int = 120,
) -> str:
    """An inline SVG bar chart of a score histogram (log-scaled bar heights)."""
    import math

    n = len(counts)
    if n == 0:
        return "<svg width='0' height='0'></svg>"
    lo, hi = (float(edges[0]), float(edges[-1])) if len(edges) >= 2 else (0.0, 1.0)
    span = (hi - lo) or 1.0
    top = max(math.log10(1 + c) for c in counts) or 1.0
    bw = (width - 20) / n
    bars = []
    for i, c in enumerate(counts):
        h = (height - 22) * math.log10(1 + c) / top
        x = 10 + i * bw
        right = float(edges[i + 1]) if i + 1 < len(edges) else hi
        bars.append(
            f'<rect x="{x:.1f}" y="{height - 14 - h:.1f}" width="{max(bw - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="#4f6fb3"><title>{_e(c)} docs in '
            f"[{float(edges[i]):.3f}, {right:.3f})</title></rect>"
        )
    thr = ""
    if threshold is not None and lo <= threshold <= hi:
        x = 10 + (threshold - lo) / span * (width - 20)
        thr = (
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="4" y2="{height - 14}" stroke="#b4232a" '
            f'stroke-dasharray="3,2"><title>threshold {threshold:.4f}</title></line>'
        )
    axis = (
        f'<text x="10" y="{height - 2}" font-size="10">{lo:g}</text>'
        f'<text x="{width - 20}" y="{height - 2}" font-size="10">{hi:g}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img">{"".join(bars)}{thr}{axis}</svg>'
    )


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], num: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for r in rows:
        cells = []
        for i, v in enumerate(r):
            cls = ' class="num"' if i in num else ""
            cells.append(f"<td{cls}>{v}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        return '<p class="muted">none</p>'
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _summary(result: Any) -> str:
    counts = _get(result, "counts", {}) or {}
    cards = []
    for key in ("documents", "clean", "suspicious", "poisoned", "errors"):
        cards.append(f'<div class="card {key}"><b>{_e(counts.get(key, 0))}</b>{_e(key)}</div>')
    rows = [
        ("corpus", _e(", ".join(map(str, _get(result, "corpus", []) or [])))),
        ("kind", _e(_get(result, "kind"))),
        ("target false-positive rate", _e(_get(result, "target_fpr"))),
        ("reference", _e(", ".join(_get(result, "reference") or []) or "none")),
        ("detectors", _e(", ".join(_get(result, "detectors", []) or []))),
        ("backend / workers", _e(f"{_get(result, 'backend')} / {_get(result, 'workers')}")),
        ("bytes scanned", _e(f"{_get(result, 'bytes_scanned', 0):,}")),
    ]
    timings = _get(result, "timings", {}) or {}
    if timings:
        rows.append(("timings (s)", _e(", ".join(f"{k} {v:.1f}" for k, v in timings.items()))))
    errs = _get(result, "detector_errors", {}) or {}
    if errs:
        rows.append(("detector errors", _e(", ".join(f"{k}: {v}" for k, v in errs.items()))))
    return (
        f'<section><h2>Summary</h2><div class="cards">{"".join(cards)}</div>'
        + _table(["", ""], rows)
        + "</section>"
    )


def _histograms(result: Any) -> str:
    hists = _get(result, "histograms", {}) or {}
    thresholds = _get(result, "thresholds", {}) or {}
    parts = []
    for name, h in sorted(hists.items()):
        thr = (thresholds.get(name) or {}).get("threshold")
        parts.append(
            f'<div class="hist"><b>{_e(name)}</b>'
            f"{histogram_svg(h.get('edges', []), h.get('counts', []), thr)}"
            f'<div class="muted">threshold: {_e(thr if thr is not None else "face value")}'
            f"</div></div>"
        )
    if not parts:
        return ""
    return (
        '<section><h2>Score distributions</h2><p class="muted">Documents per score bin '
        "(log scale); dashed line: calibrated threshold.</p>"
        f'<div class="hists">{"".join(parts)}</div></section>'
    )


def _doc_links(ids: Iterable[Any], flagged: set[str]) -> str:
    out = []
    for i in list(ids)[:10]:
        s = str(i)
        out.append(f'<a href="#doc-{_e(s)}">{_e(s)}</a>' if s in flagged else _e(s))
    return ", ".join(out)


def _triggers(result: Any, flagged: set[str]) -> str:
    rows = []
    for t in _get(result, "triggers", []) or []:
        q = _get(t, "q_value")
        rows.append(
            [
                f"<code>{_e(_get(t, 'trigger'))}</code>",
                _e(_get(t, "anomalous_docs")),
                _e(_get(t, "containing_docs")),
                _e(f"{float(_get(t, 'expected', 0) or 0):.2f}"),
                _e(f"{q:.2g}" if isinstance(q, float) else "–"),
                _e(", ".join(_get(t, "detectors", []) or [])),
                _doc_links(_get(t, "examples", []) or [], flagged),
            ]
        )
    return (
        "<section><h2>Mined triggers</h2>"
        + _table(
            [
                "trigger",
                "anomalous docs",
                "docs containing it",
                "expected by chance",
                "q-value",
                "detector",
                "examples",
            ],
            rows,
            num=(1, 2, 3, 4),
        )
        + "</section>"
    )


def _campaigns(result: Any, flagged: set[str]) -> str:
    rows = []
    for det, rep in sorted((_get(result, "corpus_reports", {}) or {}).items()):
        for c in (rep or {}).get("campaigns", [])[:100]:
            rows.append(
                [
                    _e(det),
                    _e(c.get("kind", "")),
                    f"<code>{_e(c.get('id'))}</code>",
                    _e(c.get("size")),
                    _e(c.get("sources")),
                    _e(f"{float(c.get('score', 0)):.2f}"),
                    _e(str(c.get("shared_span", ""))[:300]),
                    _doc_links(c.get("examples", []), flagged),
                ]
            )
    return (
        '<section><h2>Campaigns</h2><p class="muted">Recurring claims, near-duplicate '
        "clusters, fixed replies and restated-question groups (score ≥ 0.5 flags the "
        "members).</p>"
        + _table(
            ["detector", "kind", "id", "docs", "sources", "score", "shared span", "examples"],
            rows,
            num=(3, 4, 5),
        )
        + "</section>"
    )


def _documents(result: Any) -> str:
    findings = list(_get(result, "findings", []) or [])
    parts = []
    for v in findings[:MAX_DOCS]:
        label = str(_get(v, "label", ""))
        excerpt = str(_get(v, "excerpt", "") or "")
        off = int(_get(v, "excerpt_offset", 0) or 0)
        cut = excerpt[:MAX_EXCERPT]
        body = highlight(cut, _get(v, "spans", []) or [], off)
        more = " …" if len(excerpt) > MAX_EXCERPT else ""
        reasons = "".join(f"<li>{_e(r)}</li>" for r in _get(v, "reasons", []) or [])
        meta = []
        if _get(v, "trigger"):
            meta.append(f"trigger <code>{_e(_get(v, 'trigger'))}</code>")
        if _get(v, "campaign"):
            meta.append(f"campaign <code>{_e(_get(v, 'campaign'))}</code>")
        score = float(_get(v, "score", 0) or 0)
        parts.append(
            f'<div class="doc" id="doc-{_e(_get(v, "id"))}"><b class="{_e(label)}">{_e(label)}'
            f"</b> <code>{_e(_get(v, 'id'))}</code> score {score:.3f}"
            f' <span class="muted">{_e(_get(v, "source"))}</span> {" · ".join(meta)}'
            f"<ul>{reasons}</ul><pre>{body}{more}</pre></div>"
        )
    note = ""
    if len(findings) > MAX_DOCS:
        note = (
            f'<p class="muted">Showing {MAX_DOCS} of {len(findings)} flagged documents; '
            "all of them are in the findings files.</p>"
        )
    legend = (
        '<p class="muted">Highlights: <mark class="trigger">trigger</mark> '
        '<mark class="payload">payload / reply</mark> <mark class="claim">claim</mark> '
        '<mark class="changepoint">changepoint</mark> <mark class="shared">shared</mark>'
        "</p>"
    )
    return (
        "<section><h2>Flagged documents</h2>"
        + legend
        + note
        + ("".join(parts) or '<p class="muted">none</p>')
        + "</section>"
    )


def _sources(result: Any) -> str:
    by = _get(result, "by_source", {}) or {}
    rows = []
    for src, c in sorted(
        by.items(), key=lambda kv: (-(kv[1].get("suspicious", 0) + kv[1].get("poisoned", 0)), kv[0])
    )[:300]:
        n = c.get("documents", 0) or 0
        bad = c.get("suspicious", 0) + c.get("poisoned", 0)
        rows.append(
            [
                _e(src),
                _e(n),
                _e(c.get("clean", 0)),
                _e(c.get("suspicious", 0)),
                _e(c.get("poisoned", 0)),
                _e(f"{bad / n:.1%}" if n else "–"),
            ]
        )
    return (
        "<section><h2>Per-source breakdown</h2>"
        + _table(
            ["source", "documents", "clean", "suspicious", "poisoned", "flagged"],
            rows,
            num=(1, 2, 3, 4, 5),
        )
        + "</section>"
    )


def render_html_string(result: Any) -> str:
    """The report as one HTML string (see :func:`render_html`)."""
    flagged = {str(_get(v, "id")) for v in (_get(result, "findings", []) or [])[:MAX_DOCS]}
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>poisonguard scan report</title>"
        f"<style>{_CSS}</style></head><body><header><h1>poisonguard scan report</h1>"
        f"<p>{_e(now)}</p></header><main>"
        + _summary(result)
        + _histograms(result)
        + _triggers(result, flagged)
        + _campaigns(result, flagged)
        + _documents(result)
        + _sources(result)
        + "</main></body></html>"
    )


def render_html(result: Any, path: str | os.PathLike[str]) -> Path:
    """Write the self-contained HTML report of ``result`` (a ``ScanResult``) to ``path``.

    Only reads ``result``.  The file is written atomically; returns its path.
    """
    text = render_html_string(result)
    af = AtomicFile(path, "w")
    try:
        af.fh.write(text)
    except BaseException:
        af.abort()
        raise
    return af.commit()


__all__ = ["highlight", "histogram_svg", "render_html", "render_html_string"]
