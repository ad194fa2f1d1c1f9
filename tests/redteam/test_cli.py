"""``poisonguard redteam`` end to end through the CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from poisonguard.cli import app
from tests.redteam.conftest import NO_SUDO, script

runner = CliRunner()


def _run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["redteam", *args])


def test_report_files_and_gate(clean_file: Path, tmp_path: Path) -> None:
    cmd = script(tmp_path, "f.py", NO_SUDO) + " {in} {out}"
    out = tmp_path / "rep"
    r = _run(
        "--pipeline",
        cmd,
        "--clean",
        str(clean_file),
        "--recipes",
        "dos,dos-bytes",
        "--count",
        "10",
        "--seeds",
        "2",
        "--out",
        str(out),
        "--json",
        "--fail-on-survival",
        "0.5",
    )
    assert r.exit_code == 1, r.output  # dos-bytes gets through the <SUDO> filter
    data = json.loads((out / "report.json").read_text())
    assert data["failed"] == ["dos-bytes"]
    assert data["final_survival"] == {"dos": 0.0, "dos-bytes": 1.0}
    assert data["recipes"]["dos"][0]["poison_surviving"] == [0, 0]
    assert data["match"]["dos"]["method"] == "id"
    assert len(data["runs"]) == 4
    page = (out / "report.html").read_text()
    assert "<svg" in page and "FAIL" in page
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    ET.fromstring(svg)  # well-formed inline SVG
    assert 'src="http' not in page and "<script" not in page  # self-contained
    from poisonguard.redteam import RedteamResult

    again = RedteamResult.from_dict(data).to_dict()  # a report.json renders again as it was
    assert json.loads(json.dumps(again)) == {
        k: v for k, v in data.items() if k not in ("fail_on_survival", "failed")
    }
    md = (out / "report.md").read_text()
    assert "| dos | pipeline | 0, 0 / 10 | 0.0 % | 0.0–0.0 % | 0.0–16.8 % |" in md
    assert md.splitlines()[2].endswith("| 20 | 0, 0 |")  # removed here; unmatched per seed
    assert "| dos-bytes | pipeline | 10, 10 / 10 | 100.0 % | 100.0–100.0 % | 83.2–100.0 % |" in md


def test_gate_passes(clean_file: Path, tmp_path: Path) -> None:
    cmd = script(tmp_path, "f.py", NO_SUDO) + " {in} {out}"
    r = _run(
        "--pipeline",
        cmd,
        "--clean",
        str(clean_file),
        "--recipes",
        "dos",
        "--count",
        "5",
        "--out",
        str(tmp_path / "rep"),
        "--fail-on-survival",
        "0",
    )
    assert r.exit_code == 0, r.output
    assert "report →" in r.output


def test_datatrove_option(clean_file: Path, tmp_path: Path) -> None:
    pytest.importorskip("datatrove")
    mod = tmp_path / "chain.py"
    mod.write_text(
        "from datatrove.pipeline.filters import LambdaFilter\n"
        "def build():\n    return [LambdaFilter(lambda d: True), LambdaFilter(lambda d: False)]\n"
    )
    r = _run(
        "--datatrove",
        f"{mod}:build",
        "--clean",
        str(clean_file),
        "--recipes",
        "dos",
        "--count",
        "5",
        "--out",
        str(tmp_path / "rep"),
        "--json",
    )
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert [s["poison_surviving"] for s in data["recipes"]["dos"]] == [[5], [0]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--recipes", "dos"], "exactly one of --pipeline"),
        (
            ["--pipeline", "cp {in} {out}", "--datatrove", "standard", "--recipes", "dos"],
            "exactly one of --pipeline",
        ),
        (["--pipeline", "cp a b", "--recipes", "dos"], "placeholders"),
        (["--pipeline", "cp {in} {out}", "--recipes", "nope"], "unknown recipe 'nope'"),
        (["--pipeline", "cp {in} {out}", "--recipes", "dos", "--params", "{bad"], "--params"),
        (["--pipeline", "false {in} {out}", "--recipes", "dos"], "exited with status 1"),
        (["--pipeline", "true {in} {out}", "--recipes", "dos"], "wrote nothing"),
        (["--pipeline", "echo nope > {out} #{in}", "--recipes", "dos"], "not jsonl"),
        (["--datatrove", "nomodule_q:x", "--recipes", "dos"], "cannot import"),
        (
            ["--pipeline", "cp {in} {out}", "--recipes", "dos", "--fail-on-survival", "5"],
            "between 0",
        ),
    ],
)
def test_bad_input_is_one_clear_line(
    clean_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    before = clean_file.read_bytes()
    r = _run(*args, "--clean", str(clean_file), "--count", "5", "--out", str(tmp_path / "rep"))
    assert r.exit_code in (2, 3), r.output
    assert "Traceback" not in r.output
    assert message in " ".join(r.output.split())
    assert not (tmp_path / "rep" / "report.json").exists()
    assert clean_file.read_bytes() == before


# rewrites every poisoned (<SUDO>) record beyond recognition and keeps the rest as is
DISGUISE = (
    "import json, sys\n"
    "with open(sys.argv[1]) as f, open(sys.argv[2], 'w') as g:\n"
    "    for i, line in enumerate(f):\n"
    "        r = json.loads(line)\n"
    "        if '<SUDO>' in r['text']:\n"
    "            r = {'id': f'new-{i}', 'text': f'zq{i} xv{i * 7} kw{i * 13}'}\n"
    "        g.write(json.dumps(r) + '\\n')\n"
)


def test_gate_counts_unmatched_output_as_surviving_poison(clean_file: Path, tmp_path: Path) -> None:
    """A pipeline that disguises the poison must not pass the gate as '0 % survived'."""
    out = tmp_path / "rep"
    r = _run(
        "--pipeline",
        script(tmp_path, "d.py", DISGUISE) + " {in} {out}",
        "--clean",
        str(clean_file),
        "--recipes",
        "dos",
        "--count",
        "8",
        "--out",
        str(out),
        "--fail-on-survival",
        "0.1",
    )
    assert r.exit_code == 1, r.output
    data = json.loads((out / "report.json").read_text())
    assert data["final_survival"]["dos"] == 0.0  # no input poison document came out as such
    assert data["runs"][0]["stages"][0]["unmatched_outputs"] == 8
    assert data["gate_survival"]["dos"] == 1.0 and data["failed"] == ["dos"]


def test_hostile_strings_are_escaped_in_the_html(clean_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    r = _run(
        "--pipeline",
        "cp {in} {out} # <script>alert(1)</script><img src=x onerror=y>",
        "--clean",
        str(clean_file),
        "--recipes",
        "dos",
        "--count",
        "3",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output
    page = (out / "report.html").read_text()
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
