"""CLI conventions (issue 15): results on stdout, progress and logs on stderr, one-line
reasons on every non-zero exit, no tracebacks on user error, honest help text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.cli._common import PassProgress
from poisonguard.io import write_documents
from tests.detect.scan_data import clean_docs, mixed, poison

runner = CliRunner()
FAST = ["--detector", "naturalness", "--detector", "triggers"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("conv") / "corpus.jsonl"
    write_documents(path, mixed(poison("dos", 30), clean=clean_docs()[:400]))
    return path


@pytest.fixture(scope="module")
def failed_scan(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("conv-out") / "scan"
    res = runner.invoke(
        app,
        ["scan", str(corpus), "--out", str(out), "--fail-on", "poisoned", *FAST],
        env={"POISONGUARD_PROGRESS_INTERVAL": "0"},
    )
    return res, out


def test_results_on_stdout_progress_on_stderr(failed_scan: tuple[Result, Path]) -> None:
    res, _ = failed_scan
    # the summary and the trigger table are results: stdout, so `| grep` / `> f` work
    assert "poisoned" in res.stdout and "'<SUDO>'" in res.stdout
    assert "by chance" in res.stdout and "anomalies" in res.stdout
    # progress never mixes into the results
    assert "docs/s" not in res.stdout and "detect:" not in res.stdout
    # without a terminal: plain progress lines with totals, MB and a rate, for every pass
    for stage in ("sample", "detect", "flag"):
        lines = [x for x in res.stderr.splitlines() if x.startswith(f"{stage}: ")]
        assert lines, (stage, res.stderr)
        assert re.search(r"of 430 documents .* 100%", lines[-1]), lines[-1]
        # a rate is shown only when measured: never a false 0 or a "?" (issue 15, small inputs)
        # (a zero rate, not one that ends in zeros: "10.0 MB/s" once failed the substring
        # test "0.0 MB/s" when a scan happened to run at exactly that rate)
        for line in lines:
            assert not re.search(r"(?<![\d.,])0(\.0+)? (docs|MB)/s", line), line
            assert "?" not in line, line
    assert "Traceback" not in res.output


def test_fail_on_says_why_in_one_line(failed_scan: tuple[Result, Path]) -> None:
    res, out = failed_scan
    assert res.exit_code == 1
    why = [x for x in res.stderr.splitlines() if x.startswith("failed:")]
    assert len(why) == 1, res.stderr
    poisoned = [
        r
        for r in map(json.loads, (out / "findings.jsonl").read_text().splitlines())
        if r["label"] == "poisoned"
    ]
    assert len(poisoned) >= 28  # of the 30 planted
    assert "--fail-on poisoned:" in why[0] and f"{len(poisoned)} poisoned document(s)" in why[0]
    assert "pydoc-" in why[0] and str(out / "findings.jsonl") in why[0]


def test_fail_on_suspicious_is_quiet_when_clean(tmp_path: Path) -> None:
    clean = tmp_path / "clean.jsonl"
    write_documents(clean, clean_docs()[:300])
    res = runner.invoke(
        app, ["scan", str(clean), "--out", str(tmp_path / "o"), "--fail-on", "suspicious"]
    )
    assert res.exit_code == 0, res.output
    assert "failed:" not in res.stderr
    # no campaign noise on a clean corpus: candidate groups that flag nothing are not results
    assert "campaign" not in res.stdout


def test_out_that_is_a_file_is_a_one_line_error(corpus: Path, tmp_path: Path) -> None:
    f = tmp_path / "afile"
    f.write_text("x")
    res = runner.invoke(app, ["scan", str(corpus), "--out", str(f)])
    assert res.exit_code == 2
    assert "is an existing file" in res.stderr and "Traceback" not in res.output
    assert len(res.stderr.strip().splitlines()) == 1
    assert f.read_text() == "x"


def test_empty_file_names_the_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.touch()
    res = runner.invoke(app, ["scan", str(empty), "--out", str(tmp_path / "o")])
    assert res.exit_code == 3
    assert "empty file (0 bytes)" in res.stderr and "errors.jsonl" in res.stderr
    assert "Traceback" not in res.output


def test_flag_given_a_value_is_explained(corpus: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["scan", str(corpus), "--strict", "true", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "flags take no value" in res.stderr and "--no-strict" in res.stderr


@pytest.mark.parametrize(
    "cmd, usage",
    [
        (["scan"], "scan [OPTIONS] CORPUS..."),
        (["provenance", "prove"], "prove [OPTIONS] [MANIFEST]"),
        (["provenance", "verify"], "verify [OPTIONS] PATHS..."),
        (["corpus", "convert"], "convert [OPTIONS] IN..."),
    ],
)
def test_help_is_readable(cmd: list[str], usage: str) -> None:
    res = runner.invoke(app, [*cmd, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    text = res.stdout
    assert usage in text, text
    assert "<bool>" not in text and "{" not in text.split("\n", 3)[1]
    assert "[[" not in text


def test_strict_help_shows_both_spellings() -> None:
    res = runner.invoke(app, ["scan", "--help"], env={"COLUMNS": "200"})
    assert re.search(r"--strict\s+--no-strict", res.stdout), res.stdout


def test_plain_progress_line_has_eta_and_rates() -> None:
    lines: list[str] = []

    class Out:
        is_terminal = False

        def print(self, text: str, **_: object) -> None:
            lines.append(text)

    p = PassProgress(100_000_000, interval=0, out=Out())  # type: ignore[arg-type]
    p("detect", 0, 0)
    p.t_update = p.t0 + 10.0  # ten seconds later, half the bytes are read
    p.docs, p.bytes = 5_000, 50_000_000
    line = p.line()
    assert "detect: 5,000 documents" in line and "500 docs/s" in line
    assert "50.0 MB of 100.0 MB, 5.0 MB/s" in line and "50%" in line and "ETA 0:10" in line


def test_progress_on_a_small_input_omits_rates_it_cannot_measure() -> None:
    """A pass read in one go (one report) or a byte position that never moves: no "MB/s ?"
    and no "0 docs/s" — the rate is measured since the previous pass, or left out."""
    lines: list[str] = []

    class Out:
        is_terminal = False

        def print(self, text: str, **_: object) -> None:
            lines.append(text)

    p = PassProgress(400_000, interval=0, out=Out())  # type: ignore[arg-type]
    p("detect", 512, 0)  # one report, the whole pass; the reader's position did not move
    line = p.line()
    assert "docs/s" not in line and "MB" not in line and "?" not in line
    assert "512 documents" in line
    p.t_update = p.t_prev + 0.5  # measured since the previous pass ended
    assert "1,024 docs/s" in p.line() and "MB/s" not in p.line()
    p.bytes = 400_000
    assert "0.4 MB of 0.4 MB, 0.8 MB/s" in p.line() and "100%" in p.line()
    p.close()
    p("flag", 512, 400_000)
    assert "docs/s" not in p.line()  # a new pass with no time yet: no rate


def test_a_documents_trigger_is_a_confirmed_one(failed_scan: tuple[Result, Path]) -> None:
    """No document carries a 'trigger' that is not one (a candidate like 'The')."""
    _, out = failed_scan
    summary = json.loads((out / "summary.json").read_text())
    confirmed = {t["trigger"] for t in summary["triggers"]}
    rows = [json.loads(x) for x in (out / "findings.jsonl").read_text().splitlines()]
    assert rows and all(r["trigger"] in confirmed or r["trigger"] is None for r in rows)
    assert {r["trigger"] for r in rows if r["label"] == "poisoned"} == {"<SUDO>"}


def test_reasons_do_not_quote_negative_surprise(failed_scan: tuple[Result, Path]) -> None:
    _, out = failed_scan
    reasons = [
        r
        for x in (out / "findings.jsonl").read_text().splitlines()
        for r in json.loads(x)["reasons"]
    ]
    unnatural = [r for r in reasons if "turns unnatural" in r]
    assert unnatural and all("anomaly score" in r and "nats" not in r for r in unnatural)
