"""Scan profiles: ``thorough`` adds the natural-language stages, never removes anything."""

from __future__ import annotations

import json

import pytest

from poisonguard.detect.campaigns import CampaignDetector
from poisonguard.detect.pipeline import ScanConfig, ScanPipeline, scan
from poisonguard.detect.profiles import (
    OPT_IN_STAGES,
    PROFILES,
    apply_profile,
    get_profile,
    unscreened,
)
from tests.detect.scan_data import clean_docs, mixed, poison


def test_default_changes_nothing() -> None:
    opts = {"triggers": {"reach": 100}}
    assert apply_profile("default", None, opts) == (None, opts)
    assert apply_profile("default", ["triggers"], {}) == (["triggers"], {})


def test_thorough_adds_to_whatever_set_the_caller_chose() -> None:
    only, opts = apply_profile("thorough", None, {})
    assert only == ["+cohesion", "+degenerate"]
    assert opts == {"campaigns": {"semantic": True, "payload": True}}
    # an exact list keeps its detectors and gains cohesion and degenerate
    only, _ = apply_profile("thorough", ["triggers", "campaigns"], {})
    assert only == ["triggers", "campaigns", "+cohesion", "+degenerate"]
    # named already (either way): not added twice
    assert apply_profile("thorough", ["+cohesion"], {})[0] == ["+cohesion", "+degenerate"]
    assert apply_profile("thorough", ["cohesion", "degenerate"], {})[0] == [
        "cohesion",
        "degenerate",
    ]


def test_the_callers_options_win_and_inputs_are_not_modified() -> None:
    mine = {"campaigns": {"semantic": False, "min_docs": 7}, "triggers": {"reach": 100}}
    frozen = json.dumps(mine, sort_keys=True)
    chosen = ["triggers"]
    _, opts = apply_profile("thorough", chosen, mine)
    assert opts["campaigns"] == {"semantic": False, "min_docs": 7, "payload": True}
    assert opts["triggers"] == {"reach": 100}
    assert json.dumps(mine, sort_keys=True) == frozen and chosen == ["triggers"]


def test_an_unknown_profile_is_a_clear_error_before_any_work() -> None:
    with pytest.raises(ValueError, match=r"unknown scan profile 'fast'.*default, thorough"):
        get_profile("fast")
    with pytest.raises(ValueError, match="unknown scan profile"):
        ScanPipeline(ScanConfig(profile="fast"))
    assert set(PROFILES) == {"default", "thorough"}


def test_thorough_builds_cohesion_and_the_semantic_claims() -> None:
    default = ScanPipeline(ScanConfig(kind="pretrain"))
    thorough = ScanPipeline(ScanConfig(kind="pretrain", profile="thorough"))
    names = [n for n, _ in default.corpus_dets]
    assert "cohesion" not in names
    got = dict(thorough.corpus_dets)
    assert set(names) < set(got) and "cohesion" in got
    doc_names = [n for n, _, _ in default.doc_dets]
    assert doc_names and "degenerate" not in doc_names
    assert [n for n, _, _ in thorough.doc_dets] == [*doc_names, "degenerate"]
    camp = got["campaigns"]
    assert isinstance(camp, CampaignDetector) and camp.semantic
    assert not dict(default.corpus_dets)["campaigns"].semantic  # type: ignore[attr-defined]
    # excluded stays excluded
    no_coh = ScanPipeline(ScanConfig(kind="pretrain", profile="thorough", exclude=["cohesion"]))
    assert "cohesion" not in dict(no_coh.corpus_dets)
    # a kind cohesion does not run on: the profile adds nothing that cannot run there
    chat = ScanPipeline(ScanConfig(kind="instruction", profile="thorough"))
    assert "cohesion" not in dict(chat.corpus_dets)


def test_a_thorough_scan_finds_a_fluent_payload_campaign_and_says_its_profile() -> None:
    """A passage of another document after a common phrase (a topic switch: no gibberish,
    no other language) — the default detectors' blind spot — found under ``thorough``."""
    trigger = "on the other hand"
    samples = poison(
        "fluent-backdoor",
        120,
        3,
        trigger=trigger,
        payload="topic-switch",
        position="middle",
        prefix_chars=(400, 1200),
    )
    docs = mixed(samples)
    res = scan(docs, profile="thorough")
    assert res.profile == "thorough" and res.to_dict()["profile"] == "thorough"
    assert res.unscreened == [] and res.to_dict()["unscreened"] == []
    assert "cohesion" in res.detectors
    assert trigger in [t.trigger for t in res.triggers]
    truth = {s.document.id for s in samples}
    poisoned = {v.id for v in res.findings if v.label == "poisoned"}
    assert len(poisoned & truth) >= 0.5 * len(truth)
    assert len(poisoned - truth) <= 0.001 * len(clean_docs())


def test_a_scan_says_which_classes_of_attack_it_did_not_screen() -> None:
    """The default profile leaves the fluent-payload, paraphrased-claim and fixed-payload
    stages out for cost: a reviewer signing a corpus off reads that in the summary, not in
    the docs."""
    every = [st.screens for st in OPT_IN_STAGES]
    assert len(every) == 4
    assert unscreened("pretrain", ["naturalness", "triggers", "campaigns"], {}) == every
    assert unscreened("rag", ["campaigns"], {"campaigns": {"semantic": False}}) == every
    # one stage run, the others not
    assert unscreened("pretrain", ["cohesion", "campaigns"], {}) == every[1:]
    on = {"campaigns": {"semantic": True}}
    assert unscreened("pretrain", ["campaigns"], on) == [every[0], every[2], every[3]]
    # the option without its detector run screens nothing
    assert unscreened("pretrain", ["naturalness"], on) == every
    assert unscreened("pretrain", ["cohesion", "campaigns"], on) == [every[2], every[3]]
    both = {"campaigns": {"semantic": True, "payload": True}}
    assert unscreened("pretrain", ["cohesion", "campaigns"], both) == [every[3]]
    assert unscreened("pretrain", ["cohesion", "campaigns", "degenerate"], both) == []
    # instruction data: neither stage applies there
    assert unscreened("instruction", ["instruction-pair"], {}) == []
    # what the pipeline records: the detectors it built and the profile's options
    few = clean_docs()[:200]
    res = scan(few, detectors=["naturalness", "campaigns"])
    assert res.unscreened == every and res.to_dict()["unscreened"] == every
    res = scan(few, detectors=["naturalness", "campaigns"], profile="thorough")
    assert res.unscreened == []
