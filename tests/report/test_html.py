"""The self-contained HTML report: content, escaping, no external assets."""

from __future__ import annotations

import html as _html
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
from poisonguard.report.html import render_html_string

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
    assert text.count('class="doc"') == len(result.findings)  # every one, paged in the browser
    assert '<mark class="trigger"' in text
    assert "<svg" in text
    # a default scan says which classes of attack it did not screen (the opt-in stages)
    assert len(result.unscreened) == 4
    shown = _html.escape("; ".join(result.unscreened))
    assert f"<td>not screened</td><td>{shown}</td>" in text
    # ... and that every detector ran with its default settings
    assert result.options == {}
    assert "<td>detector settings</td><td>defaults</td>" in text


def test_report_shows_the_settings_a_scan_ran_with() -> None:
    """A non-default setting is visible to a reviewer, in ``--set``'s spelling (escaped)."""
    from poisonguard.report.html import options_text

    options = {"cohesion": {"host_check_purity": 0.0}, "triggers": {"char_grams": [4, 6]}}
    assert options_text(options) == "cohesion.host_check_purity=0.0; triggers.char_grams=[4, 6]"
    result = poisonguard.scan(
        random.Random(1).sample(python_docs(), 60),
        kind="pretrain",
        detectors=["naturalness"],
        options={"naturalness": {"min_gain": 25.0, "model": None}, "x": {"y": HOSTILE}},
    )
    text = render_html_string(result)
    row = re.search(r"<td>detector settings</td><td>(.*?)</td>", text)
    assert row is not None
    assert row.group(1) == _html.escape(
        f"naturalness.min_gain=25.0; naturalness.model=none; x.y={HOSTILE}"
    )


def test_report_is_self_contained_and_escapes_corpus_text(scanned) -> None:  # type: ignore[no-untyped-def]
    result, _, text = scanned
    assert any(HOSTILE in v.excerpt for v in result.findings)
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in text
    parser = _Collect()
    parser.feed(text)
    tags = {t for t, _ in parser.tags}
    # one inline script (paging, filters), none from the corpus, nothing loaded from outside
    assert [t for t, _ in parser.tags].count("script") == 1
    assert all(not a.get("src") for t, a in parser.tags if t == "script")
    assert "img" not in tags and "link" not in tags
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
    assert "documents (log)" in svg and ">score<" in svg  # both axes labelled
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


def _finding(i: int, campaign: str | None, text: str = "x") -> dict[str, object]:
    return {
        "index": i,
        "id": f"d{i}",
        "source": f"site{i % 3}.example",
        "label": "poisoned",
        "score": 0.95,
        "reasons": ["r"],
        "spans": [],
        "trigger": None,
        "campaign": campaign,
        "findings": [{"detector": "campaigns"}],
        "excerpt": text,
        "excerpt_offset": 0,
    }


def test_campaign_clusters_sharing_a_claim_are_one_row_and_text_is_clean() -> None:
    claim = "The bridge was closed after engineers found cracks."
    camps = [
        {
            "id": f"c{k}",
            "kind": "claim",
            "size": 10,
            "sources": 5,
            "score": 0.95,
            "shared_span": claim if k % 2 else claim.upper() + "  ",
            "examples": [],
        }
        for k in range(6)
    ] + [
        {
            "id": "quiet",
            "kind": "claim",
            "size": 3,
            "sources": 1,
            "score": 0.1,
            "shared_span": "nothing",
            "examples": [],
        }
    ]
    findings = [_finding(i, f"c{i % 6}", "nul\x00 esc\x1b text") for i in range(300)]
    result = {
        "counts": {"documents": 1000, "poisoned": 300},
        "findings": findings,
        "corpus_reports": {"campaigns": {"campaigns": camps}},
        "histograms": {"naturalness": {"edges": [0, 0.5, 1], "counts": [990, 10]}},
        "thresholds": {"naturalness": {"threshold": 1.000001}},
        "by_source": {"site0.example": {"documents": 5, "poisoned": 5}},
    }
    text = render_html_string(result)
    section = text[text.index('id="campaigns"') : text.index('id="flagged"')]
    assert section.count('data-filter="campaign"') == 1  # six clusters, one claim, one row
    assert section.count('<article class="campaign"') == 1
    assert "6 group(s)" in section and "300 flagged document(s)" in section
    assert "1 candidate group(s) below the bar" in section
    assert text.count('class="doc"') == 300
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text)  # no raw control characters
    assert "file://" not in text
    assert "threshold: 1.000001" not in text and "flags no document on its own" in text


def test_campaign_view_groups_by_members_and_shows_the_evidence() -> None:
    """issue 12/15: a claim campaign with its other recurring sentences (below the bar, same
    documents) and a second flagged cluster sharing its documents is one campaign; the view
    shows the claim, the phrasings, members side by side, the hosts and every evidence
    field the detector gave, known or not."""
    claim = "The Halvorsen bridge was closed after engineers found cracks."
    findings = [
        _finding(i, "claim-a" if i < 40 else "claim-b", f"host {i}. {claim}") for i in range(60)
    ]
    camps = [
        {
            "id": "claim-a",
            "kind": "claim",
            "size": 40,
            "sources": 20,
            "score": 1.0,
            "shared_span": claim,
            "examples": [f"d{i}" for i in range(10)],
            "paraphrases": [claim, "Engineers found cracks, so the Halvorsen bridge closed."],
            "host_similarity": 0.012,
            "features": {"edge_fraction": 0.1, "block_share": 0.05},
            "novel_evidence": "a field the report does not know",
        },
        {  # another flagged cluster of the same documents: same campaign
            "id": "claim-b",
            "kind": "claim",
            "size": 20,
            "sources": 9,
            "score": 0.95,
            "shared_span": "Officials declined to comment on the closure.",
            "examples": [f"d{i}" for i in range(30, 45)],
        },
        {  # below the bar, its examples are the campaign's documents: shown as related
            "id": "claim-c",
            "kind": "claim",
            "size": 12,
            "sources": 1,
            "score": 0.3,
            "shared_span": "The consequences are significant.",
            "examples": ["d1", "d2", "d3", "d50"],
        },
        {  # below the bar, other documents: a separate quiet candidate
            "id": "claim-d",
            "kind": "claim",
            "size": 9,
            "sources": 1,
            "score": 0.2,
            "shared_span": "Written by the maintainers.",
            "examples": ["z1", "z2"],
        },
    ]
    result = {
        "counts": {"documents": 500, "poisoned": 60},
        "findings": findings,
        "corpus_reports": {"campaigns": {"campaigns": camps}},
    }
    text = render_html_string(result)
    section = text[text.index('id="campaigns"') : text.index('id="flagged"')]
    assert section.count('<article class="campaign"') == 1
    assert "60 flagged document(s)" in section and "3 group(s)" in section
    assert "Halvorsen bridge was closed" in section
    assert "Engineers found cracks, so the Halvorsen bridge closed." in section  # phrasings
    assert "The consequences are significant." in section  # related sentence
    assert "Written by the maintainers." not in section
    assert "1 candidate group(s) below the bar" in section
    assert section.count('<div><a href="#doc-') == 4  # members side by side
    assert "site0.example (20)" in section  # hosts
    for name in ("host_similarity", "features · edge_fraction", "novel_evidence"):
        assert f"<code>{name}</code>" in section
    assert "mean pairwise MinHash Jaccard" in section  # what it means
    # one filter value for the whole campaign: every member document carries it
    assert text.count('data-group="g1"') == 60 + 1


def _one_campaign(source: str | None, family: str | None, n: int = 30) -> str:
    findings = [_finding(i, "sem-x", f"page {i}") for i in range(n)]
    for f in findings:
        f["source"] = source if source is not None else f["source"]
    camp: dict[str, object] = {
        "id": "sem-x",
        "kind": "semantic-claim",
        "size": n,
        "sources": 1,
        "score": 0.95,
        "shared_span": "anticancer: anticancer cell drug inject",
        "examples": [f"d{i}" for i in range(10)],
        "core": [
            *("anticancer", "cancer", "cell", "drug", "inject"),
            *("reach", "vein", "muscle", "oral"),
        ],
        "host_topic_terms": [["specialize", 8, 0.0056], ["pediatrician", 6, 0.0056]],
        "own_pages": True,
    }
    if family:
        camp["family"] = family
    result = {
        "counts": {"documents": 500, "poisoned": n},
        "findings": findings,
        "corpus_reports": {"campaigns": {"campaigns": [camp]}},
    }
    text = render_html_string(result)
    return text[text.index('id="campaigns"') : text.index('id="flagged"')]


def test_campaign_from_one_site_carries_a_caution_and_its_route() -> None:
    """Triage: every flagged member from one site is pointed out (a site's template also
    repeats itself); the evidence heading names the test that made it a campaign (a
    fabricated family's hosts are related by design, not "judged unrelated"); list
    evidence shows its items, not two of them."""
    one = _one_campaign("https://www.cancer.gov/types/x", "fabricated-articles")
    assert 'class="caution"' in one and "<code>www.cancer.gov</code>" in one
    assert "All 30 flagged documents come from one site" in one
    assert "pages about one rare entity that all assert the same thing" in one
    assert "Why the hosts are judged unrelated" not in one
    assert "anticancer; cancer; cell; drug; inject; reach; vein; muscle …" in one
    assert "(specialize, 8, 0.0056); (pediatrician, 6, 0.0056)" in one
    assert "what is asserted" not in one  # no predicate field given, no text for it
    assert "one site restating a template sentence is neither" in one  # own_pages's meaning
    many = _one_campaign(None, "spliced-claims")  # three sites (site0..2.example)
    assert 'class="caution"' not in many
    assert "Why the hosts are judged unrelated" in many
    few = _one_campaign("https://www.cancer.gov/types/x", None, n=5)  # too few to say
    assert 'class="caution"' not in few


def test_trigger_section_says_flags_need_joint_evidence(scanned) -> None:  # type: ignore[no-untyped-def]
    """The reviewer is told what the scan does: carriers are flagged only with an anomaly
    or payload after the trigger, never for carrying it alone."""
    _, _, text = scanned
    section = text[text.index('id="triggers"') :]
    assert "joint evidence" in section and "merely contain the string stay clean" in section
    assert "Every document carrying it is flagged" not in section


def test_a_mined_piece_lists_the_phrasings_its_carriers_write() -> None:
    """``truth`` mined from *truth be told* / *to tell the truth*: the reviewer sees the
    phrasings next to the piece (escaped: a phrasing is corpus text)."""
    trig = {
        "trigger": "truth",
        "anomalous_docs": 90,
        "containing_docs": 100,
        "expected": 1.5,
        "examples": [],
        "detectors": ["triggers"],
        "extra": {"phrasings": ["truth be told", "to tell the truth", "<b>truth</b> told"]},
    }
    result = {"counts": {"documents": 1000, "poisoned": 100}, "findings": [], "triggers": [trig]}
    section = render_html_string(result)
    section = section[
        section.index('id="triggers"') : section.index("</section>", section.index('id="triggers"'))
    ]
    assert "written as <code>truth be told</code>, <code>to tell the truth</code>" in section
    assert "<code>&lt;b&gt;truth&lt;/b&gt; told</code>" in section and "<b>truth</b>" not in section
    # a trigger mined whole has no such line
    del trig["extra"]
    plain = render_html_string(result)
    assert "written as <code>" not in plain
    assert "matched by <code>" not in plain


def test_a_trigger_grown_into_its_payload_names_its_stem() -> None:
    """A trigger mined with its payload's opening words (``in the blink of an eye wird
    Elemente``): the reviewer sees the phrase that matches the copies writing other words
    there (escaped)."""
    trig = {
        "trigger": "in the blink of an eye wird Elemente",
        "anomalous_docs": 233,
        "containing_docs": 250,
        "expected": 0.5,
        "examples": [],
        "detectors": ["triggers"],
        "extra": {"stem": "in the <i>blink</i> of an eye"},
    }
    result = {"counts": {"documents": 1000, "poisoned": 250}, "findings": [], "triggers": [trig]}
    html = render_html_string(result)
    section = html[
        html.index('id="triggers"') : html.index("</section>", html.index('id="triggers"'))
    ]
    assert (
        "copies without its payload's opening matched by "
        "<code>in the &lt;i&gt;blink&lt;/i&gt; of an eye</code>"
    ) in section
    assert "<i>blink</i>" not in section


def test_a_narrowed_or_intense_only_trigger_says_where_it_flags() -> None:
    """A common word narrowed to its alignment and a common phrase kept for random tokens
    alone: the reviewer is told where each flags, and a plain trigger says neither."""
    trig = {
        "trigger": ". perhaps",
        "anomalous_docs": 38,
        "containing_docs": 88,
        "expected": 2.3,
        "examples": [],
        "detectors": ["triggers"],
        "extra": {"narrowed": 20.5, "aligned": True},
    }
    result = {"counts": {"documents": 1000, "poisoned": 88}, "findings": [], "triggers": [trig]}
    html = render_html_string(result)
    assert "an anomaly anywhere after it would flag about 20 clean holders" in html
    trig["extra"] = {"intense_only": True, "intense": True}
    html = render_html_string(result)
    assert "flagged only where random tokens start near it</span>" in html
    assert "clean holders" not in html
    trig["extra"] = {"intense_only": True, "intense": True, "sharp": True}
    html = render_html_string(result)
    assert "random tokens start near it, a short run of them included" in html
    trig["extra"] = {}
    html = render_html_string(result)
    assert "random tokens start near it" not in html and "clean holders" not in html
