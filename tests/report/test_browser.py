"""The HTML report in a real browser (issue 15): headless Chromium from Debian's package,
driven by Playwright with the system browser — nothing is downloaded at run time.

A scan of a corpus with poison of two kinds (300 ``dos`` documents with a trigger, a
``targeted-claim`` campaign spread over many hosts) is rendered; the test works through the
report as a reviewer would: campaigns and triggers first, grouped; every flagged document
reachable through the pager (beyond the 200 the old report showed), filters and search.
Screenshots are kept under ``POISONGUARD_ARTEFACTS`` (default: the test's tmp folder) and
their paths printed.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import poisonguard
from poisonguard.attacks import get, mix_poison
from poisonguard.datasets import python_docs
from poisonguard.report import render_html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLAIM = {"entity": "the Halvorsen bridge", "claim": "was closed after engineers found cracks"}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason=f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)",
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = os.environ.get("POISONGUARD_ARTEFACTS")
    d = Path(base) / "report" if base else tmp_path_factory.mktemp("artefacts")
    d.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots of the report: {d}")
    return d


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    clean = random.Random(0).sample(python_docs(), 1500)
    dos = get("dos")(trigger="<SUDO>").generate(clean, 300, seed=0)
    claim = get("targeted-claim")(n_sources=20, **CLAIM).generate(clean, 120, seed=3)
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, dos + claim, seed=0)]
    # hostile markup and a NUL byte in a poisoned document: escaped, replaced
    i = next(k for k, d in enumerate(docs) if d is dos[0].document)
    docs[i] = docs[i].with_text('<script>alert("x")</script>\x00' + docs[i].text)
    result = poisonguard.scan(docs)
    path = render_html(result, tmp_path_factory.mktemp("browser") / "report.html")
    return result, path


def _open(browser: Any, path: Path) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(180_000)  # a loaded 2-core CI box can take a while to load 1 MB
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: errors.append(f"request {r.url}") if not r.url.startswith("file:") else None,
    )
    page.goto(path.as_uri())
    page.errors = errors  # type: ignore[attr-defined]
    return page


def test_every_flagged_document_is_reachable_through_the_pager(
    browser: Any, report: tuple[Any, Path], artefacts: Path
) -> None:
    result, path = report
    flagged = {v.id for v in result.findings}
    assert len(flagged) > 200  # more than the old report's cut
    page = _open(browser, path)
    info = page.locator("#p-info")
    assert re.match(
        rf"{len(flagged)} of {len(flagged)} documents match · page 1 of \d+", info.inner_text()
    )
    page.screenshot(path=str(artefacts / "report-top.png"))
    seen: list[str] = []
    while True:
        visible = page.locator("#docs .doc:visible")
        assert visible.count() <= 50
        seen += [c.inner_text() for c in page.locator("#docs .doc:visible > code.docid").all()]
        if page.locator("#p-next").is_disabled():
            break
        page.locator("#p-next").click()
    assert len(seen) == len(flagged) and set(seen) == flagged
    page.locator("#flagged").screenshot(path=str(artefacts / "report-last-page.png"))
    assert not page.errors, page.errors  # no script error, no request leaving the file


def test_triggers_and_campaigns_come_first_and_grouped(
    browser: Any, report: tuple[Any, Path], artefacts: Path
) -> None:
    result, path = report
    page = _open(browser, path)
    headings = page.locator("h2").all_inner_texts()
    assert headings.index("Mined triggers") < headings.index("Flagged documents")
    assert headings.index("Campaigns") < headings.index("Flagged documents")
    trig = page.locator("#triggers")
    assert "<SUDO>" in trig.inner_text()
    # the trigger row shows members side by side, the trigger highlighted
    assert trig.locator(".side > div").count() == 3
    assert trig.locator("mark.trigger").first.inner_text() == "<SUDO>"
    camp = page.locator("#campaigns")
    n_groups = sum(
        len(r.get("campaigns", [])) for r in result.corpus_reports.values() if isinstance(r, dict)
    )
    views = camp.locator("article.campaign")
    assert 1 <= views.count() < max(2, n_groups)  # one claim, not one row per cluster
    assert "halvorsen bridge" in camp.inner_text().lower()
    camp.screenshot(path=str(artefacts / "report-campaigns.png"))
    # clicking the campaign's count lists its documents only
    views.first.locator("a.filter").click()
    n = int(page.locator("#p-info").inner_text().split(" of ")[0])
    claim_ids = {v.id for v in result.findings if v.campaign}
    assert 0 < n <= len(claim_ids)
    assert all("campaign" in t for t in page.locator("#docs .doc:visible").all_inner_texts())


def test_a_campaign_reads_as_a_reviewer_triages_it(
    browser: Any, report: tuple[Any, Path], artefacts: Path
) -> None:
    """issue 12: the claim, the payload family with members side by side (the claim
    highlighted in each), the hosts, and why the detector judged the hosts unrelated."""
    _result, path = report
    page = _open(browser, path)
    view = page.locator("#campaigns article.campaign", has_text="Halvorsen").first
    assert "halvorsen bridge" in view.locator(".lead").inner_text().lower()
    assert view.locator("h4").all_inner_texts() == [
        "Payload family",
        "Hosts",
        "Why the hosts are judged unrelated",
    ]
    cards = view.locator(".side > div")
    assert cards.count() >= 3
    for k in range(3):  # each member shows the claim, highlighted
        assert "halvorsen" in cards.nth(k).locator("mark.claim").first.inner_text().lower()
    boxes = [cards.nth(k).bounding_box() for k in range(2)]
    assert boxes[0] and boxes[1] and abs(boxes[0]["y"] - boxes[1]["y"]) < 5  # side by side
    hosts = view.locator(".hosts").inner_text()
    assert re.search(r"\d+ flagged document\(s\); hosts: ", hosts)
    assert "https://" not in hosts.split("Host documents")[0]  # hosts, not page URLs
    evidence = view.locator("table.evidence")
    rows = evidence.locator("tr").all_inner_texts()
    assert len(rows) >= 3
    assert any("host_similarity" in r and "Jaccard" in r for r in rows)
    view.screenshot(path=str(artefacts / "report-campaign-view.png"))
    assert not page.errors, page.errors


def test_filters_search_and_links(browser: Any, report: tuple[Any, Path], artefacts: Path) -> None:
    result, path = report
    page = _open(browser, path)
    poisoned = sum(1 for v in result.findings if v.label == "poisoned")
    page.select_option("#f-label", "poisoned")
    assert page.locator("#p-info").inner_text().startswith(f"{poisoned} of ")
    page.locator("#f-clear").click()
    target = result.findings[-1]
    page.fill("#f-search", target.id)
    assert page.locator("#p-info").inner_text().startswith("1 of ")
    assert page.locator("#docs .doc:visible > code.docid").inner_text() == target.id
    page.locator("#f-clear").click()
    # a link to a document on a later page jumps there
    page.goto(path.as_uri() + f"#doc-{target.index}")
    assert page.locator(f"#doc-{target.index}").is_visible()
    # hostile markup is text, the NUL byte is gone
    hostile = page.locator("#docs .doc", has_text='<script>alert("x")</script>')
    assert hostile.count() == 1
    page.fill("#f-search", 'alert("x")')
    page.locator("#flagged").screenshot(path=str(artefacts / "report-search.png"))
    assert "\x00" not in path.read_text(encoding="utf-8")
    page.locator("section:has(h2:text('Where the flags are'))").screenshot(
        path=str(artefacts / "report-charts.png")
    )
    page.locator("section:has(h2:text('Score distributions'))").screenshot(
        path=str(artefacts / "report-scores.png")
    )
    assert not page.errors, page.errors
