"""``poisonguard corpus stats|convert`` end to end through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.io import CorpusReader

runner = CliRunner()


def _corpus(path: Path, n_bad: int = 0) -> None:
    lines = [
        json.dumps({"id": f"d{i}", "text": f"Document number {i} is about topic {i % 7}."})
        for i in range(200)
    ]
    lines += ["{not json"] * n_bad
    path.write_text("\n".join(lines) + "\n")


def test_stats_json(tmp_path: Path) -> None:
    _corpus(tmp_path / "c.jsonl", n_bad=1)
    res = runner.invoke(
        app,
        [
            "corpus",
            "stats",
            str(tmp_path / "c.jsonl"),
            "--json",
            "--summary",
            str(tmp_path / "s.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["documents"] == 200
    assert data["accounting"]["records_read"] == 201
    assert data["accounting"]["errors"] == 1 and data["accounting"]["balanced"]
    assert data["languages"]["en"] > 150
    assert data["length_chars"]["min"] >= 30
    assert json.loads((tmp_path / "s.json").read_text())["documents"] == 200


def test_stats_fails_above_error_rate(tmp_path: Path) -> None:
    _corpus(tmp_path / "c.jsonl", n_bad=10)
    res = runner.invoke(app, ["corpus", "stats", str(tmp_path / "c.jsonl")])
    assert res.exit_code == 3
    assert "above the threshold" in res.output


def test_stats_strict(tmp_path: Path) -> None:
    _corpus(tmp_path / "c.jsonl", n_bad=1)
    res = runner.invoke(app, ["corpus", "stats", str(tmp_path / "c.jsonl"), "--strict"])
    assert res.exit_code == 3 and "c.jsonl:201" in res.output


def test_missing_input_is_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["corpus", "stats", str(tmp_path / "missing.jsonl")])
    assert res.exit_code == 2 and "no such file" in res.output


def test_convert_to_parquet_and_back(tmp_path: Path) -> None:
    _corpus(tmp_path / "c.jsonl", n_bad=1)
    out = tmp_path / "out" / "c.parquet"
    res = runner.invoke(
        app, ["corpus", "convert", str(tmp_path / "c.jsonl"), "--out", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert (
        summary["accounting"]
        == json.loads((out.parent / "c.parquet.summary.json").read_text())["accounting"]
    )
    assert summary["accounting"]["outputs"] == {"converted": 200}
    errors = (out.parent / "c.parquet.errors.jsonl").read_text().splitlines()
    assert len(errors) == 1 and json.loads(errors[0])["line"] == 201
    assert [d.id for d in CorpusReader(out)] == [f"d{i}" for i in range(200)]


def test_convert_sharded_zstd(tmp_path: Path) -> None:
    _corpus(tmp_path / "c.jsonl")
    out = tmp_path / "o" / "part.jsonl.zst"
    res = runner.invoke(
        app, ["corpus", "convert", str(tmp_path / "c.jsonl"), "-o", str(out), "--shard-mb", "0.002"]
    )
    assert res.exit_code == 0, res.output
    shards = sorted((tmp_path / "o").glob("part-*.jsonl.zst"))
    assert len(shards) > 1
    assert sum(1 for _ in CorpusReader([str(s) for s in shards])) == 200


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and "poisonguard" in res.stdout
