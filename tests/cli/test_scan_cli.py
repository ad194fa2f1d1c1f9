"""``poisonguard scan`` and ``poisonguard demo`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.io import write_documents
from tests.detect.scan_data import clean_docs, mixed, poison

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "corpus.jsonl"
    samples = poison("dos", 40)
    write_documents(path, mixed(samples, clean=clean_docs()[:800]))
    with path.open("ab") as f:
        f.write(b"{not json}\n")
    return path


def test_scan_json_summary_and_outputs(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        [
            "scan",
            str(corpus),
            "--out",
            str(out),
            "--json",
            "--detector",
            "naturalness",
            "--detector",
            "triggers",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    c = data["counts"]
    assert c["read"] == 841 and c["errors"] == 1 and c["documents"] == 840
    assert c["poisoned"] >= 40 and data["triggers"][0]["trigger"] == "<SUDO>"
    assert data["accounting"]["balanced"]
    for name in (
        "kept.jsonl.zst",
        "quarantine.jsonl.zst",
        "findings.jsonl",
        "findings.parquet",
        "summary.json",
        "errors.jsonl",
    ):
        assert (out / name).is_file(), name
    assert json.loads((out / "summary.json").read_text())["counts"] == c


def test_fail_on_poisoned_gates_a_pipeline(corpus: Path, tmp_path: Path) -> None:
    args = [
        "scan",
        str(corpus),
        "--out",
        str(tmp_path / "o"),
        "--detector",
        "naturalness",
        "--detector",
        "triggers",
    ]
    res = runner.invoke(app, [*args, "--fail-on", "poisoned"])
    assert res.exit_code == 1, res.output
    # exit 1 because documents were judged poisoned (not for some other failure)
    counts = json.loads((tmp_path / "o" / "summary.json").read_text())["counts"]
    assert counts["poisoned"] > 0
    res = runner.invoke(app, [*args, "--fail-on", "none"])
    assert res.exit_code == 0


def test_clean_corpus_passes_the_gate(tmp_path: Path) -> None:
    path = tmp_path / "clean.jsonl"
    write_documents(path, clean_docs()[:300])
    res = runner.invoke(
        app,
        [
            "scan",
            str(path),
            "--out",
            str(tmp_path / "o"),
            "--fail-on",
            "poisoned",
            "--detector",
            "naturalness",
            "--detector",
            "triggers",
        ],
    )
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--kind", "video"], "kind"),
        (["--fail-on", "sometimes"], "--fail-on"),
        (["--backend", "spark"], "backend"),
        (["--target-fpr", "2"], "FPR"),
    ],
)
def test_usage_errors(corpus: Path, tmp_path: Path, extra: list[str], message: str) -> None:
    res = runner.invoke(app, ["scan", str(corpus), "--out", str(tmp_path / "o"), *extra])
    assert res.exit_code == 2, res.output
    assert message in res.output


def test_missing_corpus(tmp_path: Path) -> None:
    res = runner.invoke(app, ["scan", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "no such file" in res.output


def test_demo_finds_the_injected_poison(tmp_path: Path) -> None:
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--json", "--workers", "1"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["poisoned_injected"] == 250
    assert data["recall"] >= 0.99 and data["trigger_recovered"]
    assert data["clean_flagged_rate"] <= 0.005
    assert (tmp_path / "demo" / "scan" / "summary.json").is_file()
    assert (tmp_path / "demo" / "truth.jsonl").is_file()


def test_scan_profile_is_checked_first_and_recorded(corpus: Path, tmp_path: Path) -> None:
    bad = runner.invoke(
        app, ["scan", str(corpus), "--out", str(tmp_path / "x"), "--profile", "fast"]
    )
    assert bad.exit_code == 2 and "--profile must be one of default, thorough" in bad.output
    assert not (tmp_path / "x" / "summary.json").exists()
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        [
            *("scan", str(corpus), "--out", str(out), "--json", "--profile", "thorough"),
            *("--detector", "naturalness", "--detector", "campaigns"),
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["profile"] == "thorough"
    assert summary["detectors"] == ["naturalness", "campaigns", "cohesion", "degenerate"]
    assert summary["unscreened"] == []
    # the default profile says what it did not screen, on the terminal and in the summary
    out = tmp_path / "default"
    res = runner.invoke(app, ["scan", str(corpus), "--out", str(out), "--detector", "naturalness"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["unscreened"]) == 4
    flat = " ".join(res.output.split())
    assert "not screened by this scan" in flat and "--profile thorough" in flat


def test_redteam_scan_profile_is_checked_before_any_work(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            *("redteam", "--datatrove", "standard", "--clean", str(tmp_path / "none.jsonl")),
            *("--scan", "--scan-profile", "fast", "--out", str(tmp_path / "rt")),
        ],
    )
    assert res.exit_code == 2 and "--scan-profile must be one of" in res.output
    assert not (tmp_path / "rt").exists()
