"""Per-detector settings as text (``poisonguard scan --set``): what each detector exposes,
and how a text becomes a typed value or a one-line refusal."""

from __future__ import annotations

import math
from typing import Any

import pytest

from poisonguard.detect.registry import registered
from poisonguard.detect.results import json_options
from poisonguard.detect.settings import (
    SettingError,
    job_of,
    merge_options,
    params_of,
    parse_setting,
    parse_settings,
    runs_in,
    show_value,
)


def _plain(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def test_every_detector_lists_its_public_parameters_from_its_constructor() -> None:
    entries = registered()
    for name, entry in entries.items():
        assert entry.cls is not None and entry.cls.name == name  # type: ignore[attr-defined]
        params = params_of(entry)
        assert params, name
        assert not [p for p in params if p.startswith("_")], name
        assert job_of(entry) and "\n" not in job_of(entry) and "module" not in job_of(entry)
    cohesion = params_of(entries["cohesion"])
    assert cohesion["host_check_purity"].default == 0.8
    assert cohesion["host_check_purity"].type == "float"
    assert cohesion["familiarity"].type == "bool"
    assert "_prev" not in cohesion


def test_every_settable_default_reads_back_as_itself() -> None:
    """What ``poisonguard detectors`` shows is what ``--set`` takes: each default written
    as ``show_value`` parses back to the same value (so the listing cannot lie)."""
    checked = 0
    for name, entry in registered().items():
        for p in params_of(entry).values():
            if p.type is None:
                continue
            text = f"{name}.{p.name}={show_value(p.default)}"
            det, param, value = parse_setting(text)
            assert (det, param) == (name, p.name)
            assert _plain(value) == _plain(p.default), text
            checked += 1
    assert checked > 100


def test_values_are_typed_by_the_parameter() -> None:
    assert parse_setting("cohesion.host_check_purity=0")[2] == 0.0
    assert isinstance(parse_setting("cohesion.host_check_purity=0")[2], float)
    assert parse_setting("cohesion.min_docs=12")[2] == 12
    for text, want in (("true", True), ("No", False), ("1", True), ("0", False), ("YES", True)):
        assert parse_setting(f"campaigns.semantic={text}")[2] is want
    assert parse_setting("triggers.char_grams=[5, 7]")[2] == (5, 7)  # a tuple, as stored
    assert parse_setting("embeddings.clusters=none")[2] is None
    assert parse_setting("embeddings.clusters=8")[2] == 8
    assert parse_setting("embeddings.device=cuda:0")[2] == "cuda:0"
    assert parse_setting("triggers.salad_cohesion=-inf")[2] == -math.inf
    assert parse_setting('indicators.bundles=["a.json"]')[2] == ["a.json"]


@pytest.mark.parametrize(
    "text, words",
    [
        ("cohesion.host_check_purity=abc", ["expected a number", "default 0.8", "'abc'"]),
        ("cohesion.host_check_purity=nan", ["expected a number"]),
        ("cohesion.min_docs=2.5", ["expected an integer", "default 10"]),
        ("cohesion.min_docs=true", ["expected an integer"]),
        ("campaigns.semantic=maybe", ["expected true or false", "default false"]),
        ("cohesion.host_check_purity=none", ["expected a number"]),  # not nullable
        ("triggers.char_grams=[4", ["expected a JSON list", "JSON:"]),
        ("triggers.char_grams={}", ["expected a JSON list"]),
        ("embeddings.clusters=many", ["expected an integer or none"]),
        ("naturalness.model=x", ["BigramModel object", "cannot be set from the command line"]),
        ("nope.x=1", ["unknown detector 'nope'", "known:", "cohesion", "triggers"]),
        ("cohesion.nope=1", ["cohesion has no parameter 'nope'", "host_check_purity"]),
        ("cohesion.host_check_purty=0", ["(did you mean 'host_check_purity'?)"]),
        ("cohesion._prev=1", ["'_prev' is private to cohesion", "not a setting"]),
        ("cohesion._anything=1", ["private"]),
        ("cohesion.host_check_purity", ["is not DETECTOR.PARAM=VALUE"]),
        ("host_check_purity=0", ["is not DETECTOR.PARAM=VALUE"]),
        (".x=0", ["is not DETECTOR.PARAM=VALUE"]),
    ],
)
def test_wrong_settings_are_refused_in_one_line(text: str, words: list[str]) -> None:
    with pytest.raises(SettingError) as e:
        parse_setting(text)
    msg = str(e.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, msg


def test_a_value_may_hold_an_equals_sign_and_the_last_setting_wins() -> None:
    assert parse_setting("embeddings.device=a=b")[2] == "a=b"
    got = parse_settings(
        ["cohesion.host_check_purity=0", "cohesion.min_docs=12", "cohesion.host_check_purity=1"]
    )
    assert got == {"cohesion": {"host_check_purity": 1.0, "min_docs": 12}}


def test_where_each_detector_runs_comes_from_the_registry_and_profiles() -> None:
    entries = registered()
    assert runs_in(entries["cohesion"]) == {"pretrain": "thorough", "rag": "thorough"}
    assert runs_in(entries["naturalness"])["pretrain"] == "default"
    assert runs_in(entries["triggers"])["instruction"] == "opt-in"  # OFF_BY_DEFAULT
    assert set(runs_in(entries["embeddings"]).values()) == {"opt-in"}


def test_options_merge_later_layer_wins_and_inputs_are_kept() -> None:
    a = {"cohesion": {"min_docs": 10, "score": 0.9}}
    b = {"cohesion": {"min_docs": 12}, "campaigns": {"semantic": True}}
    assert merge_options(a, None, b) == {
        "cohesion": {"min_docs": 12, "score": 0.9},
        "campaigns": {"semantic": True},
    }
    assert a == {"cohesion": {"min_docs": 10, "score": 0.9}}


def test_summary_options_are_json_values() -> None:
    from pathlib import Path

    from poisonguard.text.bigram import BigramModel

    got = json_options(
        {
            "triggers": {"char_grams": (4, 6), "alpha": 1e-6},
            "indicators": {"bundles": [Path("a.json")]},
            "naturalness": {"model": BigramModel.fit(["a b c"])},
        }
    )
    assert got == {
        "triggers": {"char_grams": [4, 6], "alpha": 1e-6},
        "indicators": {"bundles": ["a.json"]},
        "naturalness": {"model": "<BigramModel>"},
    }
