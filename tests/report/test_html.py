"""The self-contained HTML report: content, escaping, no external assets."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import poisonguard
from poisonguard.attacks import get, mix_poison
from poisonguard.datasets import python_docs
from poisonguard.detect.base import Span
from poisonguard.report import highlight, histogram_svg, render_html

HOSTILE = '<script>alert("pwned")</script><img src="http://evil.example/x.png">'


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    clean = random.Random(0).sample(python_docs(), 700)
    samples = get("dos")(trigger="<SUDO>").generate(clean, 40, seed=0)
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, samples, seed=0)]
    # a flagged document carrying hostile markup: it must come out escaped
    i = next(k for k, d in enumerate(docs) if d is samples[0].document)
    docs[i] = docs[i].with_text(HOSTILE + "\n" + docs[i].text)
    result = poisonguard.scan(docs, kind="pretrain")
    path = render_html(result, tmp_path_factory.mktemp("rep") / "sub" / "report.html")
    return result, path, path.read_text(encoding="utf-8")


def test_report_has_every_section_and_the_mined_trigger(scanned) -> None:  # type: ignore[no-untyped-def]
    result, path, text = scanned
    assert path.is_file() and text.startswith("<!DOCTYPE html>")
    for title in (
        "Summary",
        "Score distributions",
        "Mined triggers",
        "Campaigns",
        "Flagged documents",
        "Per-source breakdown",
    ):
        assert f"<h2>{title}</h2>" in text
    assert result.triggers and "&lt;SUDO&gt;" in text
    assert "<SUDO>" not in text  # never raw
    assert text.count('class="doc"') == min(len(result.findings), 200)
    assert '<mark class="trigger"' in text
    assert "<svg" in text


def test_report_is_self_contained_and_escapes_corpus_text(scanned) -> None:  # type: ignore[no-untyped-def]
    result, _, text = scanned
    assert any(HOSTILE in v.excerpt for v in result.findings)
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in text
    parser = _Collect()
    parser.feed(text)
    tags = {t for t, _ in parser.tags}
    assert "script" not in tags and "img" not in tags and "link" not in tags
    for _, attrs in parser.tags:
        for key in ("src", "href"):
            v = attrs.get(key)
            assert v is None or v.startswith("#"), (key, v)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?https?:", text)


def test_highlight_escapes_and_clips_overlaps() -> None:
    text = "a <b> trigger & payload"
    out = highlight(text, [Span(2, 5, "trigger"), Span(4, 13, "payload"), Span(100, 120, "claim")])
    assert out.startswith('a <mark class="trigger" title="trigger">&lt;b&gt;</mark>')
    assert '<mark class="payload" title="payload"> trigger</mark>' in out
    assert out.endswith(" &amp; payload")
    shifted = highlight(text[2:], [Span(2, 5, "trigger")], offset=2)
    assert shifted.startswith('<mark class="trigger" title="trigger">&lt;b&gt;</mark>')


def test_histogram_svg_draws_bars_and_threshold() -> None:
    svg = histogram_svg([0.0, 0.5, 1.0], [10, 2], threshold=0.75)
    assert svg.count("<rect") == 2 and "<line" in svg and "threshold 0.7500" in svg
    assert histogram_svg([], []) == "<svg width='0' height='0'></svg>"


def test_render_html_fails_cleanly_without_half_written_file(tmp_path: Path) -> None:
    class Broken:
        @property
        def counts(self) -> dict[str, int]:
            return {"documents": 1}

        @property
        def findings(self) -> list[object]:
            raise RuntimeError("boom")

    target = tmp_path / "r.html"
    with pytest.raises(RuntimeError):
        render_html(Broken(), target)
    assert not target.exists()
    assert not list(tmp_path.iterdir())
