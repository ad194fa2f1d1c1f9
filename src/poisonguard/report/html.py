"""A self-contained HTML report of a scan, for triage: one file, no external assets.

Order of sections, as a reviewer works: summary counts; **triggers** and **campaigns**
first (one row per trigger or per campaign — campaign groups that share their claim are one
row — with size, sources, the shared span, a few members side by side and why the
detector judged them coordinated); charts (flags per source, where in the corpus the flags
sit, score distributions with axes and the calibrated threshold); then **every** flagged
document, paged, filterable by verdict / detector / source / campaign / trigger and
searchable (a small inline script; without it every document is simply listed), with its
evidence spans highlighted; a per-source table last.  Every piece of corpus text is
HTML-escaped and control characters are replaced (U+FFFD): the report is valid HTML and
safe to open even when the corpus holds hostile markup.
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from poisonguard.io.accounting import AtomicFile

MAX_EXCERPT = 1500
"""Characters of a flagged document's excerpt shown (the findings files hold the rest)."""
PAGE_SIZE = 50
"""Flagged documents per page in the browser."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

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
.caution{background:#fff4e0;border-left:4px solid #d98200;padding:6px 10px}
.side{display:flex;gap:10px;flex-wrap:wrap}.side>div{flex:1 1 280px;min-width:0}
.side pre{max-height:160px}
.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:center;margin:8px 0}
.filters select,.filters input{font:inherit;padding:3px 6px}
.pager{display:flex;gap:8px;align-items:center;margin:8px 0}
.pager button{font:inherit;padding:2px 10px}
.charts{display:flex;flex-wrap:wrap;gap:18px}
a.filter{cursor:pointer}
article.campaign{border-top:2px solid #dde1e8;padding:10px 0 4px}
article.campaign h3{font-size:15px;margin:4px 0}
article.campaign h4{font-size:13px;margin:10px 0 4px}
.lead{font-size:15px}.lead q{background:#c8e6ff;padding:0 3px}
table.evidence td.num{white-space:nowrap}
"""


def _e(x: Any) -> str:
    """HTML-escaped text with control characters (NUL, ESC, ...) replaced by U+FFFD."""
    return html.escape(_CONTROL.sub("\ufffd", "" if x is None else str(x)), quote=True)


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
    width: int = 480,
    height: int = 220,
    x_label: str = "score",
) -> str:
    """An inline SVG bar chart of a score histogram: log-scaled y axis with labelled ticks
    (documents), x axis with score ticks, and the threshold as a dashed line when it lies
    within the scores (a note says so when it lies above every score)."""
    n = len(counts)
    if n == 0:
        return "<svg width='0' height='0'></svg>"
    lo, hi = (float(edges[0]), float(edges[-1])) if len(edges) >= 2 else (0.0, 1.0)
    span = (hi - lo) or 1.0
    left, right, top_pad, bottom = 46, 10, 8, 34
    pw, ph = width - left - right, height - top_pad - bottom
    top = max(1.0, max(math.log10(1 + c) for c in counts))
    bw = pw / n
    out = []
    # y axis: decades
    for k in range(math.ceil(top) + 1):
        if k > top + 1e-9:
            break
        y = top_pad + ph - ph * k / top
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e9ef"/>'
            f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end">'
            f"{10**k - 1 if k == 0 else 10**k:,}</text>"
        )
    for i, c in enumerate(counts):
        h = ph * math.log10(1 + c) / top
        x = left + i * bw
        right_edge = float(edges[i + 1]) if i + 1 < len(edges) else hi
        out.append(
            f'<rect x="{x:.1f}" y="{top_pad + ph - h:.1f}" width="{max(bw - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="#4f6fb3"><title>{_e(c)} docs in '
            f"[{float(edges[i]):.3f}, {right_edge:.3f})</title></rect>"
        )
    # x axis: five ticks
    for j in range(5):
        v = lo + span * j / 4
        x = left + pw * j / 4
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top_pad + ph}" y2="{top_pad + ph + 4}" '
            f'stroke="#69707d"/><text x="{x:.1f}" y="{top_pad + ph + 15}" font-size="10" '
            f'text-anchor="middle">{v:.2g}</text>'
        )
    out.append(
        f'<line x1="{left}" x2="{left + pw}" y1="{top_pad + ph}" y2="{top_pad + ph}" '
        f'stroke="#69707d"/><line x1="{left}" x2="{left}" y1="{top_pad}" y2="{top_pad + ph}" '
        f'stroke="#69707d"/>'
        f'<text x="{left + pw / 2:.1f}" y="{height - 4}" font-size="11" '
        f'text-anchor="middle">{_e(x_label)}</text>'
        f'<text x="12" y="{top_pad + ph / 2:.1f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 12 {top_pad + ph / 2:.1f})">documents (log)</text>'
    )
    if threshold is not None and lo <= threshold <= hi:
        x = left + (threshold - lo) / span * pw
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top_pad}" y2="{top_pad + ph}" '
            f'stroke="#b4232a" stroke-width="1.5" stroke-dasharray="4,3"><title>threshold '
            f"{threshold:.4f}</title></line>"
            f'<text x="{min(x + 3, left + pw - 60):.1f}" y="{top_pad + 10}" font-size="10" '
            f'fill="#b4232a">threshold {threshold:.3g}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img">{"".join(out)}</svg>'
    )


def bar_chart_svg(
    rows: Sequence[tuple[str, int, int]],
    width: int = 480,
    bar: int = 16,
    title: str = "",
) -> str:
    """Horizontal bars of (label, poisoned, suspicious) counts, with the numbers written."""
    if not rows:
        return '<p class="muted">none</p>'
    left, right = 170, 60
    pw = width - left - right
    top = max(1, max(p + s for _, p, s in rows))
    height = 18 + len(rows) * (bar + 4)
    out = []
    for i, (label, p, s_) in enumerate(rows):
        y = 4 + i * (bar + 4)
        wp, ws = pw * p / top, pw * s_ / top
        short = label if len(label) <= 28 else "…" + label[-27:]
        out.append(
            f'<text x="{left - 4}" y="{y + bar - 4}" font-size="11" text-anchor="end">'
            f"{_e(short)}<title>{_e(label)}</title></text>"
            f'<rect x="{left}" y="{y}" width="{wp:.1f}" height="{bar}" fill="#b4232a"/>'
            f'<rect x="{left + wp:.1f}" y="{y}" width="{ws:.1f}" height="{bar}" fill="#e0a030"/>'
            f'<text x="{left + wp + ws + 4:.1f}" y="{y + bar - 4}" font-size="11">'
            f"{p + s_:,}</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img"'
        f' aria-label="{_e(title)}">{"".join(out)}</svg>'
    )


def position_svg(
    positions: Sequence[int], n_docs: int, width: int = 480, height: int = 150, bins: int = 50
) -> str:
    """Where in the corpus (document index) the flagged documents sit: counts per bin."""
    if not positions or n_docs <= 0:
        return '<p class="muted">none</p>'
    counts = [0] * bins
    for i in positions:
        counts[min(bins - 1, int(i * bins / n_docs))] += 1
    left, bottom, top_pad = 46, 30, 8
    pw, ph = width - left - 10, height - bottom - top_pad
    top = max(counts)
    bw = pw / bins
    out = []
    for i, c in enumerate(counts):
        h = ph * c / top
        a, b = i * n_docs // bins, (i + 1) * n_docs // bins
        out.append(
            f'<rect x="{left + i * bw:.1f}" y="{top_pad + ph - h:.1f}" '
            f'width="{max(bw - 1, 1):.1f}" height="{h:.1f}" fill="#b4232a"><title>{c:,} flagged '
            f"in documents {a:,}–{b:,}</title></rect>"
        )
    out.append(
        f'<line x1="{left}" x2="{left + pw}" y1="{top_pad + ph}" y2="{top_pad + ph}" '
        f'stroke="#69707d"/><line x1="{left}" x2="{left}" y1="{top_pad}" y2="{top_pad + ph}" '
        f'stroke="#69707d"/>'
        f'<text x="{left - 4}" y="{top_pad + 8}" font-size="10" text-anchor="end">{top:,}</text>'
        f'<text x="{left - 4}" y="{top_pad + ph}" font-size="10" text-anchor="end">0</text>'
        f'<text x="{left}" y="{top_pad + ph + 13}" font-size="10">0</text>'
        f'<text x="{left + pw}" y="{top_pad + ph + 13}" font-size="10" text-anchor="end">'
        f"{n_docs:,}</text>"
        f'<text x="{left + pw / 2:.1f}" y="{height - 4}" font-size="11" text-anchor="middle">'
        f"position in the corpus (document number)</text>"
        f'<text x="12" y="{top_pad + ph / 2:.1f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 12 {top_pad + ph / 2:.1f})">flagged</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img">{"".join(out)}</svg>'
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
        ("profile", _e(_get(result, "profile", "default") or "default")),
        (
            "not screened",
            _e("; ".join(_get(result, "unscreened", []) or []) or "none"),
        ),
        ("detector settings", _e(options_text(_get(result, "options", {}) or {}))),
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


def options_text(options: Mapping[str, Mapping[str, Any]]) -> str:
    """The settings a scan ran with, one ``detector.param=value`` each (``--set``'s
    spelling), or ``defaults`` when none differed."""
    from poisonguard.detect.settings import show_value

    parts = [f"{det}.{k}={show_value(v)}" for det, opts in options.items() for k, v in opts.items()]
    return "; ".join(parts) or "defaults"


def _histograms(result: Any) -> str:
    hists = _get(result, "histograms", {}) or {}
    thresholds = _get(result, "thresholds", {}) or {}
    parts = []
    for name, h in sorted(hists.items()):
        edges, counts = h.get("edges", []), h.get("counts", [])
        thr = (thresholds.get(name) or {}).get("threshold")
        top = float(edges[-1]) if edges else 1.0
        if thr is None:
            note = "no calibrated threshold: findings taken at face value"
        elif float(thr) > top:
            note = (
                "flags no document on its own: even the highest scores exceed the false-"
                "positive budget, so it only feeds trigger mining"
            )
        else:
            note = f"documents scoring at or above {float(thr):.3g} are flagged"
        parts.append(
            f'<div class="hist"><b>{_e(name)}</b><br>'
            f"{histogram_svg(edges, counts, thr, x_label=f'{name} score')}"
            f'<div class="muted">{_e(note)}</div></div>'
        )
    if not parts:
        return ""
    return (
        '<section><h2>Score distributions</h2><p class="muted">Documents per score bin (log '
        "scale) for each calibrated detector; dashed red line: the threshold calibrated for "
        "the target false-positive rate.</p>"
        f'<div class="charts">{"".join(parts)}</div></section>'
    )


def _charts(result: Any, findings: Sequence[Any]) -> str:
    by = _get(result, "by_source", {}) or {}
    rows = sorted(
        (
            (str(src), int(c.get("poisoned", 0)), int(c.get("suspicious", 0)))
            for src, c in by.items()
            if c.get("poisoned", 0) or c.get("suspicious", 0)
        ),
        key=lambda r: (-(r[1] + r[2]), r[0]),
    )
    more = len(rows) - 20
    positions = [int(_get(v, "index", 0) or 0) for v in findings]
    n_docs = int((_get(result, "counts", {}) or {}).get("documents", 0) or 0)
    return (
        '<section><h2>Where the flags are</h2><div class="charts">'
        '<div><b>Flagged documents per source</b> <span class="muted">(red: poisoned, '
        "amber: suspicious)</span><br>"
        + bar_chart_svg(rows[:20], title="flagged documents per source")
        + (f'<div class="muted">and {more:,} more sources (table below)</div>' if more > 0 else "")
        + "</div><div><b>Where in the corpus the flags sit</b><br>"
        + position_svg(positions, n_docs)
        + "</div></div></section>"
    )


def _norm_span(text: Any) -> str:
    words = re.findall(r"\w+", str(text or "").lower())
    return " ".join(words)[:200]


def _doc_ref(v: Any) -> str:
    return f"doc-{int(_get(v, 'index', 0) or 0)}"


def _member_card(v: Any, around: str | None = None) -> str:
    """A flagged document's excerpt, centred on ``around`` (a trigger) when given."""
    excerpt = str(_get(v, "excerpt", "") or "")
    off = int(_get(v, "excerpt_offset", 0) or 0)
    spans = _get(v, "spans", []) or []
    start = 0
    if around and around in excerpt:
        start = max(0, excerpt.index(around) - 150)
    elif spans:
        start = max(0, min(int(_get(sp, "start", 0)) for sp in spans) - off - 150)
    cut = excerpt[start : start + 450]
    body = highlight(cut, spans, off + start)
    return (
        f'<div><a href="#{_doc_ref(v)}"><code>{_e(_get(v, "id"))}</code></a> '
        f'<span class="muted">{_e(_get(v, "source"))}</span>'
        f"<pre>{'…' if start else ''}{body}{'…' if start + 450 < len(excerpt) else ''}</pre></div>"
    )


def _filter_link(kind: str, value: str, text: str) -> str:
    return (
        f'<a class="filter" href="#flagged" data-filter="{_e(kind)}" data-value="{_e(value)}">'
        f"{text}</a>"
    )


def _group_by(findings: Sequence[Any], field_name: str) -> dict[str, list[Any]]:
    """Flagged documents by their trigger or campaign (those without one left out)."""
    groups: dict[str, list[Any]] = {}
    for v in findings:
        if _get(v, field_name):
            groups.setdefault(str(_get(v, field_name)), []).append(v)
    return groups


def _triggers(result: Any, findings: Sequence[Any]) -> str:
    by_trigger = _group_by(findings, "trigger")
    rows = []
    for t in _get(result, "triggers", []) or []:
        trig = str(_get(t, "trigger"))
        q = _get(t, "q_value")
        members = by_trigger.get(trig, [])
        expected = f"{float(_get(t, 'expected', 0) or 0):.1f}"
        q_text = f"{q:.2g}" if isinstance(q, float) else "–"
        extra = _get(t, "extra", {}) or {}
        phrasings = [str(p) for p in extra.get("phrasings") or []]
        shown = (
            '<br><span class="muted">written as '
            + ", ".join(f"<code>{_e(p)}</code>" for p in phrasings)
            + "</span>"
            if phrasings
            else ""
        )
        if extra.get("stem"):
            # a trigger grown into its payload's opening: the copies that write another
            # opening are matched by the phrase it grew from
            shown += (
                f'<br><span class="muted">copies without its payload\'s opening matched by '
                f"<code>{_e(str(extra['stem']))}</code></span>"
            )
        if extra.get("intense_only"):
            # confirmed on the random-token documents alone (a common phrase a few words
            # before them): its carriers are those with such a stretch near it
            shown += (
                '<br><span class="muted">common phrase: flagged only where random tokens '
                "start near it"
                # (its route also reads short stretches as odd: within its budget)
                + (", a short run of them included" if extra.get("sharp") else "")
                + "</span>"
            )
        elif extra.get("narrowed"):
            # confirmed on its purity but matched far more widely: narrowed to its alignment
            shown += (
                '<br><span class="muted">flagged only where the anomaly starts at it (an '
                f"anomaly anywhere after it would flag about {float(extra['narrowed']):.0f} "
                "clean holders)</span>"
            )
        rows.append(
            "<tr>"
            f"<td><code>{_e(trig)}</code>{shown}</td>"
            f'<td class="num">{_filter_link("trigger", trig, _e(_get(t, "containing_docs")))}</td>'
            f'<td class="num">{_e(_get(t, "anomalous_docs"))}</td>'
            f'<td class="num">{_e(expected)}</td><td class="num">{_e(q_text)}</td>'
            f"<td>{_e(', '.join(_get(t, 'detectors', []) or []))}</td></tr>"
            f'<tr><td colspan="6"><div class="side">'
            + "".join(_member_card(v, trig) for v in members[:3])
            + "</div></td></tr>"
        )
    body = (
        "<table><tr><th>trigger</th><th>flagged docs</th><th>anomalies it precedes</th>"
        "<th>expected by chance</th><th>q-value</th><th>detector</th></tr>"
        + "".join(rows)
        + "</table>"
        if rows
        else '<p class="muted">none</p>'
    )
    return (
        '<section id="triggers"><h2>Mined triggers</h2><p class="muted">A string that precedes '
        "an anomaly in far more documents than chance allows (expected by chance: how many "
        "anomalies it would precede if it were an ordinary string, from its frequency in the "
        "corpus sample). A document is flagged only when it carries the trigger with an "
        "anomaly or a payload right after that occurrence (joint evidence); documents that "
        "merely contain the string stay clean. A mined piece that several phrasings share "
        "lists the phrasings its carriers write (<em>written as</em>); a trigger mined with "
        "its payload's opening words names the phrase that matches the copies writing other "
        "words there. Click the count to list the flagged ones."
        "</p>" + body + "</section>"
    )


_CORE = ("id", "kind", "size", "sources", "shared_span", "score", "examples")
"""Campaign fields shown in their own place; every other field is evidence."""
_PHRASINGS = ("paraphrases", "phrasings_examples", "payloads", "variants")
"""List-of-text fields that show the payload family's wordings."""
_EVIDENCE_TEXT = {
    "sources": "distinct sources (URL hosts, else the record's source) among the members",
    "host_similarity": "mean pairwise MinHash Jaccard of the host documents: a claim spliced "
    "into unrelated pages ≈ 0.00-0.02, templated or syndicated records 0.08 and more",
    "diversity": "sources per document: many independent sources asserting one thing is the "
    "campaign signature",
    "phrasings": "effective number of phrasings (a campaign rotates its wordings, a template "
    "family has one)",
    "members": "groups (phrasings) the detector merged into this campaign",
    "edge_fraction": "share of hosts where the span is their first or last unit "
    "(boilerplate sits at the edges, a spliced claim anywhere)",
    "block_share": "how often the span has the same neighbouring sentence (templates come "
    "in blocks; a spliced claim has different neighbours in every host)",
    "boilerplate_words": "share of its content words that are the vocabulary of notices",
    "core": "content words (stemmed) most members share: the claim itself",
    "claim_documents": "documents whose sentences fall into this claim's cluster",
    "entity": "rare words that burst in the members (a name the claim is about)",
    "entity_df": "documents of the corpus that hold the rare word (its base rate)",
    "distinct_phrasings": "share of members worded differently (a campaign rotates wording)",
    "member_jaccard": "mean word overlap of member sentences (one proposition, many wordings)",
    "embedding_cohesion": "mean cosine similarity of the members' sentence embeddings",
    "host_similarity_all_pairs": "host similarity over every pair, not a sample",
    "host_topic_p": "chance that the hosts share topic terms this much if they were unrelated "
    "pages (small: the hosts are about one topic)",
    "host_topic_terms": "terms the hosts share beyond chance: (term, hosts, base rate)",
    "rare_words_elsewhere_in_host": "share of hosts that use the claim's rare words outside "
    "the claim (a spliced claim is foreign to its host)",
    "hosts_only_recurring": "share of hosts with nothing left once recurring sentences are "
    "cut (whole pages made of the campaign's text)",
    "assertions_per_host": "member sentences per host (fabricated articles repeat the claim)",
    "topic_fit": "how well the claim fits its hosts' own vocabulary (low: spliced in)",
    "declarative": "share of members that are statements, not questions or headings",
    "template_share": "share of members with the most common frame (a template varies a "
    "slot; a campaign varies its framing)",
    "core_share": "share of each member that is the core",
    "neighbour_share": "share of members with the same neighbouring sentence",
    "host_subject": "terms in half or more of the hosts: what the pages are about",
    "predicate": "core words beyond the hosts' subject: what is asserted",
    "rare_predicate": "rare words in the predicate (a technical fact, not a planted claim)",
    "own_pages": "whether the pages are the entity's own: most members name the claim's rare "
    "words elsewhere in their page, or most hosts are nothing but recurring material (one "
    "site restating a template sentence is neither)",
    "family": "spliced-claims: the hosts are unrelated once the claim is cut out; "
    "fabricated-articles: pages about one rare entity that all assert one predicate",
    "carries_core": "share of sampled members that carry the whole core",
    "failed": "tests this group failed (empty: a campaign)",
    "campaign_test": "whether every test passed",
    "trigger": "the string before the payload in every member",
}
"""What a reviewer should read into the evidence fields the detectors commonly emit; any
other field is shown by its name."""


def _as_ids(value: Any) -> list[str]:
    return [str(x) for x in value] if isinstance(value, list | tuple) else []


class _Union:
    """Union-find over campaign entries."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _campaign_groups(result: Any, findings: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Campaign entries of every detector grouped as a reviewer triages them.

    Two entries are one campaign when (a) they come from the same detector and kind and
    share their span (a claim repeated by many clusters), or (b) their member documents
    overlap: an entry whose example documents are, for half or more, members of a flagged
    entry (the documents carrying its campaign id, or its examples) joins it — another
    cluster of the same planted documents, or one of their other recurring sentences that
    is below the bar on its own.  Flagged groups first (score, then size)."""
    entries: list[tuple[str, dict[str, Any]]] = []
    for det, rep in sorted((_get(result, "corpus_reports", {}) or {}).items()):
        for c in (rep or {}).get("campaigns", []) if isinstance(rep, Mapping) else []:
            if isinstance(c, Mapping):
                entries.append((str(det), dict(c)))
    flagged_of: dict[str, list[Any]] = _group_by(findings, "campaign")
    members = [
        {str(_get(v, "id")) for v in flagged_of.get(str(c.get("id")), [])}
        | set(_as_ids(c.get("examples")))
        for _, c in entries
    ]
    flagged = [bool(flagged_of.get(str(c.get("id")))) for _, c in entries]
    uf = _Union(len(entries))
    by_span: dict[tuple[str, str, str], int] = {}
    for i, (det, c) in enumerate(entries):
        key = (det, str(c.get("kind", "")), _norm_span(c.get("shared_span")))
        uf.join(by_span.setdefault(key, i), i)
    examples = [set(_as_ids(c.get("examples"))) for _, c in entries]

    def inside(a: int, b: int) -> bool:  # half of a's examples are b's documents
        return bool(examples[a]) and len(examples[a] & members[b]) * 2 >= len(examples[a])

    for i in range(len(entries)):
        for j in range(i + 1, len(entries)):
            if flagged[i] and flagged[j]:
                same = inside(i, j) or inside(j, i)
            elif flagged[i] or flagged[j]:
                same = inside(j, i) if flagged[i] else inside(i, j)
            else:
                same = False
            if same:
                uf.join(i, j)
    groups: dict[int, dict[str, Any]] = {}
    order = sorted(
        range(len(entries)),
        key=lambda k: (not flagged[k], -float(entries[k][1].get("score", 0) or 0), k),
    )
    for i in order:
        det, c = entries[i]
        g = groups.setdefault(
            uf.find(i),
            {
                "detector": det,
                "kind": c.get("kind", ""),
                "shared_span": c.get("shared_span", ""),
                "ids": [],
                "flagged_ids": [],
                "detectors": [],
                "related": [],
                "size": 0,
                "sources": 0,
                "score": 0.0,
                "why": {},
                "phrasings": [],
            },
        )
        cid = str(c.get("id"))
        g["ids"].append(cid)
        if flagged[i]:
            g["flagged_ids"].append(cid)
        if det not in g["detectors"]:
            g["detectors"].append(det)
        if g["ids"][0] != cid and _norm_span(c.get("shared_span")) != _norm_span(g["shared_span"]):
            g["related"].append(str(c.get("shared_span", "")))
        g["size"] += int(c.get("size", 0) or 0)
        g["sources"] = max(g["sources"], int(float(c.get("sources", 0) or 0)))
        g["score"] = max(g["score"], float(c.get("score", 0) or 0))
        for k in _PHRASINGS if flagged[i] else ():
            for text in c.get(k) or [] if isinstance(c.get(k), list) else []:
                if str(text) not in g["phrasings"]:
                    g["phrasings"].append(str(text))
        for k, val in c.items():
            if k not in _CORE and k not in _PHRASINGS:
                g["why"].setdefault(k, val)
    out = list(groups.values())
    for g in out:
        g["members"] = [v for i in g["flagged_ids"] for v in flagged_of.get(i, [])]
    return sorted(out, key=lambda g: (not g["members"], -g["score"], -g["size"]))


def _short(v: Any, limit: int = 140) -> str:
    """A detail value for the 'why' column: numbers rounded, long values cut."""
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list | tuple):
        shown = "; ".join(
            "(" + ", ".join(_short(y, 20) for y in x) + ")"
            if isinstance(x, list | tuple)
            else _short(x, 40)
            for x in v[:8]
        )
        text = f"{len(v)} item(s): {shown}{' …' if len(v) > 8 else ''}"
    elif isinstance(v, Mapping):
        text = ", ".join(f"{k} {_short(x, 20)}" for k, x in v.items())
    else:
        text = str(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _evidence_rows(why: Mapping[str, Any], prefix: str = "") -> list[str]:
    """One table row per evidence field (nested mappings flattened as ``a · b``)."""
    rows: list[str] = []
    for k, v in why.items():
        name = f"{prefix}{k}"
        if isinstance(v, Mapping) and v and len(rows) < 40:
            rows += _evidence_rows(v, f"{name} · ")
            continue
        meaning = _EVIDENCE_TEXT.get(str(k), "")
        rows.append(
            f'<tr><td><code>{_e(name)}</code></td><td class="num">{_e(_short(v, 200))}</td>'
            f'<td class="muted">{_e(meaning)}</td></tr>'
        )
    return rows


def _host_of(v: Any) -> str:
    """A member's host for the hosts list: its URL's host, else its source; a file
    position is not a host."""
    src = str(_get(v, "source", "") or "")
    if not src or src.startswith("file://"):
        return "(no source or URL field)"
    m = re.match(r"[a-z][a-z0-9+.-]*://([^/?#]+)", src, re.I)
    return m.group(1).lower() if m else src


def _hosts(members: Sequence[Any]) -> str:
    counts: dict[str, int] = {}
    for v in members:
        counts[_host_of(v)] = counts.get(_host_of(v), 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = ", ".join(f"{_e(src)} ({n})" for src, n in top[:8])
    more = f", and {len(top) - 8:,} more" if len(top) > 8 else ""
    ids = ", ".join(
        f'<a href="#{_doc_ref(v)}"><code>{_e(_get(v, "id"))}</code></a>' for v in members[:6]
    )
    return (
        f'<p class="hosts">{len(members):,} flagged document(s); hosts: {listed}{more}.<br>'
        f"Host documents: {ids}{' …' if len(members) > 6 else ''}</p>"
    )


_ONE_SITE_MIN = 10
"""Flagged members from one site at and above which the report points that out."""


def _one_site(members: Sequence[Any]) -> str:
    """A caution when every flagged member comes from one site: a campaign can be posted
    on one site, but a site's own template also repeats itself across its pages — the
    reviewer should compare the examples before quarantining."""
    hosts = {_host_of(v) for v in members}
    if len(members) < _ONE_SITE_MIN or len(hosts) != 1:
        return ""
    (host,) = hosts
    if host.startswith("("):
        return ""
    return (
        f'<p class="caution">All {len(members):,} flagged documents come from one site '
        f"(<code>{_e(host)}</code>). A campaign can be posted on one site, but a site's own "
        "template also repeats itself across its pages: compare the examples above before "
        "quarantining; if it is the site's template, mark it reviewed-benign with "
        "<code>poisonguard triage</code>.</p>"
    )


def _route(why: Mapping[str, Any]) -> str:
    """The heading of the evidence table: which test made the group a campaign."""
    family = why.get("family")
    if family == "fabricated-articles":
        return (
            "Why it is judged a campaign: pages about one rare entity that all assert the "
            "same thing of it"
        )
    if why.get("trigger"):
        return "Why it is judged a campaign: the same trigger before a payload in unrelated hosts"
    return "Why the hosts are judged unrelated"


def _campaign_view(k: int, g: Mapping[str, Any]) -> str:
    """One campaign as a reviewer triages it: the trigger or claim, the payload family with
    members side by side, the hosts, and the detector's evidence that they are unrelated."""
    members = g["members"]
    trig = g["why"].get("trigger")
    lead = (
        f"trigger <code>{_e(trig)}</code> · shared span <q>{_e(str(g['shared_span'])[:300])}</q>"
        if trig
        else f"{'claim' if g['kind'] == 'claim' else 'shared span'} "
        f"<q>{_e(str(g['shared_span'])[:300])}</q>"
    )
    family = ""
    if g["phrasings"]:
        family += (
            f"<p>{len(g['phrasings']):,} phrasing(s) recognised as the same "
            f'{"claim" if g["kind"] == "claim" else "span"}:</p><ul class="phrasings">'
            + "".join(f"<li>{_e(t[:240])}</li>" for t in g["phrasings"][:6])
            + ("<li>…</li>" if len(g["phrasings"]) > 6 else "")
            + "</ul>"
        )
    if g["related"]:
        family += (
            "<p>Also recurring in the same documents (below the bar on their own):</p>"
            '<ul class="related">'
            + "".join(f"<li>{_e(t[:240])}</li>" for t in g["related"][:6])
            + "</ul>"
        )
    why = "".join(_evidence_rows(g["why"]))
    return (
        f'<article class="campaign" id="campaign-{k}" data-group="g{k}">'
        f"<h3>#{k} · {_e(', '.join(g['detectors']))} · {_e(g['kind'])} · "
        f"{_filter_link('campaign', f'g{k}', f'{len(members):,} flagged document(s)')} · "
        f"{g['sources']:,} source(s) · score {g['score']:.2f}</h3>"
        f'<p class="lead">{lead}</p>'
        f'<p class="muted">campaign id(s): {_e(", ".join(g["ids"][:8]))}'
        f"{' …' if len(g['ids']) > 8 else ''} ({len(g['ids']):,} group(s))</p>"
        "<h4>Payload family</h4>"
        + family
        + '<div class="side">'
        + "".join(_member_card(v) for v in members[:4])
        + "</div><h4>Hosts</h4>"
        + _hosts(members)
        + _one_site(members)
        + f"<h4>{_e(_route(g['why']))}</h4>"
        + (
            '<table class="evidence"><tr><th>evidence</th><th>value</th><th>what it means'
            "</th></tr>" + why + "</table>"
            if why
            else '<p class="muted">the detector gave no evidence beyond the counts above</p>'
        )
        + "</article>"
    )


def _campaigns(result: Any, findings: Sequence[Any], groups: Sequence[Mapping[str, Any]]) -> str:
    shown = [g for g in groups if g["members"]]
    quiet = len(groups) - len(shown)
    views = list(enumerate(shown[:100], 1))
    strong = "".join(_campaign_view(k, g) for k, g in views if g["score"] >= 0.5)
    weak = [_campaign_view(k, g) for k, g in views if g["score"] < 0.5]
    body = strong or '<p class="muted">none at or above the suspicious score (0.5)</p>'
    if weak:
        body += (
            f"<details><summary>{len(weak):,} weaker group(s), score below 0.5: their "
            "documents were flagged, by other detectors, not by this evidence alone</summary>"
            + "".join(weak)
            + "</details>"
        )
    if not shown:
        body = '<p class="muted">none flagged</p>'
    note = (
        f'<p class="muted">{quiet:,} candidate group(s) below the bar flag nothing and are '
        "only in summary.json.</p>"
        if quiet
        else ""
    )
    return (
        '<section id="campaigns"><h2>Campaigns</h2><p class="muted">Recurring claims, '
        "near-duplicate clusters, fixed replies and restated-question groups that flagged "
        "documents, one per campaign: clusters that share a claim or their documents are one "
        "campaign. Click the count to list its documents.</p>" + body + note + "</section>"
    )


def _group_of(groups: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Campaign id → the key of its group in the report (``g1``, ``g2``, …)."""
    out: dict[str, str] = {}
    for k, g in enumerate([g for g in groups if g["members"]][:100], 1):
        for cid in g["ids"]:
            out.setdefault(cid, f"g{k}")
    return out


def _doc_html(v: Any, group_of: Mapping[str, str] | None = None) -> str:
    label = str(_get(v, "label", ""))
    excerpt = str(_get(v, "excerpt", "") or "")
    off = int(_get(v, "excerpt_offset", 0) or 0)
    body = highlight(excerpt[:MAX_EXCERPT], _get(v, "spans", []) or [], off)
    more = " …" if len(excerpt) > MAX_EXCERPT else ""
    reasons = "".join(f"<li>{_e(r)}</li>" for r in _get(v, "reasons", []) or [])
    meta = []
    if _get(v, "trigger"):
        meta.append(f"trigger <code>{_e(_get(v, 'trigger'))}</code>")
    if _get(v, "campaign"):
        meta.append(f"campaign <code>{_e(_get(v, 'campaign'))}</code>")
    dets = sorted({str(_get(f, "detector", "")) for f in _get(v, "findings", []) or []} - {""})
    score = float(_get(v, "score", 0) or 0)
    return (
        f'<div class="doc" id="{_doc_ref(v)}" data-label="{_e(label)}" '
        f'data-detectors=" {_e(" ".join(dets))} " data-source="{_e(_get(v, "source"))}" '
        f'data-campaign="{_e(_get(v, "campaign") or "")}" '
        f'data-group="{_e((group_of or {}).get(str(_get(v, "campaign") or ""), ""))}" '
        f'data-trigger="{_e(_get(v, "trigger") or "")}">'
        f'<b class="{_e(label)}">{_e(label)}</b> <code class="docid">{_e(_get(v, "id"))}</code> '
        f'score {score:.3f} <span class="muted">{_e(_get(v, "source"))}</span> '
        f'<span class="muted">{_e(", ".join(dets))}</span> {" · ".join(meta)}'
        f"<ul>{reasons}</ul><pre>{body}{more}</pre></div>"
    )


def _options(values: Iterable[str]) -> str:
    return "".join(f'<option value="{_e(x)}">{_e(x)}</option>' for x in sorted(set(values)) if x)


def _documents(
    result: Any, findings: Sequence[Any], groups: Sequence[Mapping[str, Any]] = ()
) -> str:
    n_flagged = int(_get(result, "flagged", 0) or 0) if not isinstance(result, Mapping) else 0
    counts = _get(result, "counts", {}) or {}
    n_flagged = n_flagged or int(counts.get("suspicious", 0)) + int(counts.get("poisoned", 0))
    dets = {str(_get(f, "detector", "")) for v in findings for f in _get(v, "findings", []) or []}
    group_of = _group_of(groups)
    note = ""
    if n_flagged > len(findings):
        note = (
            f'<p class="muted">This report holds {len(findings):,} of the {n_flagged:,} '
            "flagged documents (the scan's in-memory limit); findings.jsonl has all.</p>"
        )
    legend = (
        '<p class="muted">Highlights: <mark class="trigger">trigger</mark> '
        '<mark class="payload">payload / reply</mark> <mark class="claim">claim</mark> '
        '<mark class="changepoint">changepoint</mark> <mark class="shared">shared</mark>'
        "</p>"
    )
    filters = (
        '<div class="filters">'
        '<label>verdict <select id="f-label"><option value="">all</option>'
        + _options(str(_get(v, "label", "")) for v in findings)
        + '</select></label><label>detector <select id="f-detector"><option value="">all'
        "</option>"
        + _options(dets)
        + '</select></label><label>source <select id="f-source"><option value="">all</option>'
        + _options(str(_get(v, "source", "")) for v in findings)
        + '</select></label><label>campaign <select id="f-campaign"><option value="">all'
        "</option>"
        + "".join(
            f'<option value="g{k}">#{k} {_e(str(g["shared_span"])[:60])}</option>'
            for k, g in enumerate([g for g in groups if g["members"]][:100], 1)
        )
        + '</select></label><label>trigger <select id="f-trigger"><option value="">all'
        "</option>"
        + _options(str(_get(v, "trigger") or "") for v in findings)
        + '</select></label><label>search <input id="f-search" type="search" '
        'placeholder="id, text, reason"></label>'
        '<button id="f-clear" type="button">clear</button></div>'
        '<div class="pager"><button id="p-prev" type="button">previous</button>'
        '<span id="p-info" role="status"></span>'
        '<button id="p-next" type="button">next</button></div>'
    )
    return (
        f'<section id="flagged"><h2>Flagged documents</h2><p class="muted">{len(findings):,} '
        f"documents, {PAGE_SIZE} a page.</p>"
        + legend
        + note
        + filters
        + '<div id="docs">'
        + ("".join(_doc_html(v, group_of) for v in findings) or '<p class="muted">none</p>')
        + "</div></section>"
    )


_JS = """
(function(){
var docs=[].slice.call(document.querySelectorAll('#docs .doc'));
var page=0, size=%(size)d, shown=docs;
function val(id){var e=document.getElementById(id);return e?e.value:'';}
function apply(){
  var l=val('f-label'),d=val('f-detector'),s=val('f-source'),c=val('f-campaign'),
      t=val('f-trigger'),q=val('f-search').toLowerCase();
  shown=docs.filter(function(x){
    return (!l||x.dataset.label===l)&&(!d||x.dataset.detectors.indexOf(' '+d+' ')>=0)&&
      (!s||x.dataset.source===s)&&(!c||x.dataset.group===c)&&(!t||x.dataset.trigger===t)&&
      (!q||x.textContent.toLowerCase().indexOf(q)>=0);});
  render();}
function render(){
  var pages=Math.max(1,Math.ceil(shown.length/size));
  if(page>=pages)page=pages-1; if(page<0)page=0;
  docs.forEach(function(x){x.hidden=true;});
  shown.slice(page*size,(page+1)*size).forEach(function(x){x.hidden=false;});
  document.getElementById('p-info').textContent=shown.length+' of '+docs.length+
    ' documents match · page '+(page+1)+' of '+pages;
  document.getElementById('p-prev').disabled=page===0;
  document.getElementById('p-next').disabled=page>=pages-1;}
['f-label','f-detector','f-source','f-campaign','f-trigger'].forEach(function(id){
  document.getElementById(id).addEventListener('change',function(){page=0;apply();});});
document.getElementById('f-search').addEventListener('input',function(){page=0;apply();});
document.getElementById('f-clear').addEventListener('click',function(){
  ['f-label','f-detector','f-source','f-campaign','f-trigger','f-search'].forEach(
    function(id){document.getElementById(id).value='';});page=0;apply();});
document.getElementById('p-prev').addEventListener('click',function(){page--;render();});
document.getElementById('p-next').addEventListener('click',function(){page++;render();});
[].slice.call(document.querySelectorAll('a.filter')).forEach(function(a){
  a.addEventListener('click',function(){
    ['f-label','f-detector','f-source','f-campaign','f-trigger','f-search'].forEach(
      function(id){document.getElementById(id).value='';});
    document.getElementById('f-'+a.dataset.filter).value=a.dataset.value;page=0;apply();});});
function reveal(){
  var h=location.hash.slice(1); if(h.indexOf('doc-')!==0)return;
  var el=document.getElementById(h); if(!el)return;
  var i=shown.indexOf(el);
  if(i<0){['f-label','f-detector','f-source','f-campaign','f-trigger','f-search'].forEach(
    function(id){document.getElementById(id).value='';});shown=docs;i=docs.indexOf(el);}
  page=Math.floor(i/size);render();el.scrollIntoView();}
window.addEventListener('hashchange',reveal);
apply();reveal();
})();
"""


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
    findings = list(_get(result, "findings", []) or [])
    groups = _campaign_groups(result, findings)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>poisonguard scan report</title>"
        f"<style>{_CSS}</style></head><body><header><h1>poisonguard scan report</h1>"
        f"<p>{_e(now)}</p></header><main>"
        + _summary(result)
        + _triggers(result, findings)
        + _campaigns(result, findings, groups)
        + _charts(result, findings)
        + _histograms(result)
        + _documents(result, findings, groups)
        + _sources(result)
        + f"</main><script>{_JS % {'size': PAGE_SIZE}}</script></body></html>"
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


__all__ = [
    "bar_chart_svg",
    "highlight",
    "histogram_svg",
    "position_svg",
    "render_html",
    "render_html_string",
]
