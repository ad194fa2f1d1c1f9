"""``poisonguard scan --set DETECTOR.PARAM=VALUE`` and ``poisonguard detectors``: real scans
of small real files; the setting reaches the detector that runs, changes what it finds, is
recorded in summary.json and the report; every wrong setting is one line, exit 2, before the
corpus is read."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.detect import registry
from poisonguard.io import write_documents
from tests.detect.scan_data import clean_docs, mixed, poison

runner = CliRunner()
FAST = ["--kind", "pretrain", "--detector", "naturalness", "--detector", "triggers"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``poisoned``: 24 `dos` documents behind <SUDO> among 300 real CPython pages;
    ``clean``: 150 of those pages."""
    d = tmp_path_factory.mktemp("set")
    write_documents(d / "poisoned.jsonl", mixed(poison("dos", 24), clean=clean_docs()[:300]))
    write_documents(d / "clean.jsonl", clean_docs()[:150])
    return {"poisoned": d / "poisoned.jsonl", "clean": d / "clean.jsonl"}


@pytest.fixture(scope="module")
def corpus(files: dict[str, Path]) -> Path:
    return files["poisoned"]


@pytest.fixture(scope="module")
def clean(files: dict[str, Path]) -> Path:
    return files["clean"]


def scan_ok(corpus: Path, out: Path, *args: str) -> tuple[Result, dict[str, Any]]:
    """A scan that must succeed: its result and its summary.json."""
    r = runner.invoke(app, ["scan", str(corpus), "--out", str(out), *args])
    assert r.exit_code == 0, r.output
    return r, summary(out)


def said(r: Result) -> str:
    return " ".join(r.output.split())  # rich wraps long lines


def summary(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return data


# ----------------------------------------------------------------------- it takes effect
def test_a_setting_changes_what_the_scan_finds_and_is_recorded(
    corpus: Path, tmp_path: Path
) -> None:
    """triggers.min_docs above the 24 carriers: <SUDO> is no longer confirmed (the default
    k of 5 confirms it) — the value reached the detector that ran; the summary, the printed
    table and the report say the scan ran with it."""
    _, s = scan_ok(corpus, tmp_path / "base", *FAST)
    assert [t["trigger"] for t in s["triggers"]] == ["<SUDO>"] and s["counts"]["poisoned"] >= 20
    assert s["options"] == {}

    report = tmp_path / "report.html"
    args = [*FAST, "--set", "triggers.min_docs=30", "--report", str(report)]
    r, s = scan_ok(corpus, tmp_path / "set", *args)
    assert s["triggers"] == [] and s["counts"]["poisoned"] == 0
    assert s["options"] == {"triggers": {"min_docs": 30}}
    assert "triggers.min_docs=30" in said(r)  # the printed summary's "settings" row
    html = report.read_text()
    assert "detector settings" in html and "triggers.min_docs=30" in html


def test_set_reaches_the_detector_that_runs(
    clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--set cohesion.host_check_purity=0`` with ``--profile thorough``: the cohesion
    detector the scan builds has ``get_params()["host_check_purity"] == 0.0`` (0.8 without);
    campaigns gets the profile's ``semantic=True`` and the explicit ``min_words`` together."""
    built: dict[str, list[Any]] = {"cohesion": [], "campaigns": []}
    for name in built:
        entry = registry._REGISTRY[name]

        def factory(ctx: Any, _entry: Any = entry, _name: str = name) -> Any:
            det = _entry.factory(ctx)
            built[_name].append(det)
            return det

        monkeypatch.setitem(registry._REGISTRY, name, dataclasses.replace(entry, factory=factory))

    def run(*extra: str) -> dict[str, Any]:
        out = tmp_path / f"o{len(list(tmp_path.iterdir()))}"
        args = ["--kind", "pretrain", "--profile", "thorough", "--exclude", "language"]
        return scan_ok(clean, out, *args, *extra)[1]

    s = run()
    assert built["cohesion"][-1].get_params()["host_check_purity"] == 0.8
    assert s["options"] == {"campaigns": {"semantic": True, "payload": True}}
    built["cohesion"].clear()
    s = run("--set", "cohesion.host_check_purity=0", "--set", "campaigns.min_words=7")
    assert built["cohesion"] and all(
        d.get_params()["host_check_purity"] == 0.0 for d in built["cohesion"]
    )
    camp = built["campaigns"][-1].get_params()
    assert camp["semantic"] is True and camp["min_words"] == 7
    assert "cohesion" in s["detectors"]
    assert s["options"] == {
        "cohesion": {"host_check_purity": 0.0},
        "campaigns": {"semantic": True, "payload": True, "min_words": 7},
    }


def test_set_merges_with_indicators(corpus: Path, tmp_path: Path) -> None:
    """``--indicators`` puts the bundles into the same options: a scan with both runs the
    indicators detector (its carriers poisoned) and the setting (no mined trigger)."""
    bundle = tmp_path / "found.stix.json"
    scan_ok(corpus, tmp_path / "a", *FAST, "--stix", str(bundle))
    args = [*FAST, "--indicators", str(bundle), "--set", "triggers.min_docs=30"]
    _, s = scan_ok(corpus, tmp_path / "b", *args)
    assert s["options"] == {
        "indicators": {"bundles": [str(bundle)]},
        "triggers": {"min_docs": 30},
    }
    assert "indicators" in s["detectors"] and s["triggers"] == []
    assert s["counts"]["poisoned"] >= 20  # found by the shared indicators alone


# ------------------------------------------------------------------------------- errors
def refused(args: list[str], tmp_path: Path) -> str:
    """Run a scan that must be refused: exit 2, one line on stderr, no traceback, nothing
    written.  The corpus path does not exist, so a check that read it first would fail on
    the path instead."""
    out = tmp_path / "never"
    r = runner.invoke(
        app,
        ["scan", str(tmp_path / "missing.jsonl"), "--out", str(out), "--kind", "pretrain", *args],
    )
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --set"), r.stderr
    assert not out.exists()
    return " ".join(r.stderr.split())


@pytest.mark.parametrize(
    "setting, words",
    [
        ("nope.x=1", ["unknown detector 'nope'", "known:", "cohesion", "naturalness"]),
        ("triggers.nope=1", ["triggers has no parameter 'nope'", "min_docs", "alpha"]),
        ("triggers.min_docs=many", ["expected an integer", "default 5", "'many'"]),
        ("triggers.alpha=small", ["expected a number"]),
        ("language.split_mixed=maybe", ["expected true or false"]),
        ("triggers.char_grams=4,6", ["expected a JSON list"]),
        ("cohesion._prev=1", ["'_prev' is private to cohesion"]),
        ("triggers", ["is not DETECTOR.PARAM=VALUE"]),
        ("naturalness.model=m.pkl", ["cannot be set from the command line"]),
    ],
)
def test_wrong_setting_is_one_line_exit_2(setting: str, words: list[str], tmp_path: Path) -> None:
    msg = refused(["--set", setting], tmp_path)
    for w in words:
        assert w in msg, msg


def test_a_detector_not_in_this_scan_says_how_to_add_it(tmp_path: Path) -> None:
    msg = refused(["--set", "cohesion.host_check_purity=0"], tmp_path)
    assert "cohesion does not run in this scan (it is opt-in for pretrain data)" in msg
    assert "--detector +cohesion" in msg and "--profile thorough" in msg
    msg = refused(["--kind", "rag", "--set", "embeddings.spectral_z=4"], tmp_path)
    assert "(it is opt-in for rag data)" in msg
    assert "--detector +embeddings" in msg and "--profile" not in msg
    msg = refused(["--set", "campaigns.min_words=7", "--detector", "naturalness"], tmp_path)
    assert "the detectors given with --detector leave it out" in msg
    assert "--detector +campaigns" in msg
    msg = refused(["--set", "campaigns.min_words=7", "--exclude", "campaigns"], tmp_path)
    assert "does not run in this scan: --exclude campaigns" in msg
    msg = refused(["--set", "rag-restated-question.min_group=3"], tmp_path)
    assert "does not run on pretrain data" in msg and "--kind rag" in msg
    msg = refused(["--set", "instruction-pair.min_reply_words=4"], tmp_path)
    assert "--kind instruction" in msg


def test_a_value_the_detector_refuses_names_the_setting(tmp_path: Path) -> None:
    """Right type, out of range: the detector's own reason, attributed to the setting."""
    msg = refused(["--set", "triggers.min_docs=1"], tmp_path)
    assert "--set triggers.min_docs=1: triggers refuses it: min_docs must be >= 2" in msg
    msg = refused(["--profile", "thorough", "--set", "cohesion.host_check_purity=2"], tmp_path)
    assert "cohesion refuses it" in msg and "host_check_purity" in msg


def test_an_added_detector_takes_its_setting(clean: Path, tmp_path: Path) -> None:
    """The fix the error proposes works: ``--detector +cohesion`` makes the setting valid."""
    args = [
        "--kind",
        "pretrain",
        "--detector",
        "+cohesion",
        "--set",
        "cohesion.host_check_purity=0",
    ]
    _, s = scan_ok(clean, tmp_path / "o", *args)
    assert s["options"] == {"cohesion": {"host_check_purity": 0.0}}


# --------------------------------------------------------------------- poisonguard detectors
def test_detectors_lists_the_registry() -> None:
    r = runner.invoke(app, ["detectors", "--json"])
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert set(rows) == set(registry.registered())
    assert rows["cohesion"]["runs"] == {"pretrain": "thorough", "rag": "thorough"}
    assert rows["campaigns"]["profile_options"] == {"thorough": {"semantic": True, "payload": True}}
    assert rows["triggers"]["runs"]["instruction"] == "opt-in"
    params = {p["name"]: p for p in rows["cohesion"]["parameters"]}
    assert params["host_check_purity"]["default"] == 0.8 and params["host_check_purity"]["settable"]
    assert not {p["name"]: p for p in rows["naturalness"]["parameters"]}["model"]["settable"]
    assert all(row["job"] for row in rows.values())

    r = runner.invoke(app, ["detectors", "--kind", "instruction", "--json"])
    names = [row["name"] for row in json.loads(r.stdout)]
    assert "instruction-behaviour" in names and "cohesion" not in names

    r = runner.invoke(app, ["detectors", "cohesion"])
    assert r.exit_code == 0 and "host_check_purity=0.8" in r.stdout and "thorough" in r.stdout
    assert "naturalness" not in r.stdout


def test_detectors_errors_are_one_line() -> None:
    r = runner.invoke(app, ["detectors", "nope"])
    assert r.exit_code == 2 and "unknown detector(s) nope; known:" in said(r)
    r = runner.invoke(app, ["detectors", "--kind", "chat"])
    assert r.exit_code == 2 and "--kind must be one of" in said(r)
