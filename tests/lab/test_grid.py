"""The smoke preset end to end through the CLI, then resume and the data-filter hook."""

from __future__ import annotations

import csv
import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.io import Document
from poisonguard.lab.grid import PRESETS, Cell, Lab, LabError, grid_cells

runner = CliRunner()


@pytest.fixture(scope="module")
def smoke_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lab") / "smoke"
    res = runner.invoke(app, ["lab", "run", "--preset", "smoke", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_smoke_preset_produces_a_sane_table(smoke_dir: Path) -> None:
    spec = PRESETS["smoke"]
    cells = grid_cells(spec)
    assert len(list((smoke_dir / "cells").glob("*.json"))) == len(cells)
    with open(smoke_dir / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["defense"], int(r["count"])) for r in rows} == {
        (d, c) for d in spec.defenses for c in spec.counts
    }
    for r in rows:
        for k in ("asr_sampled", "asr_greedy", "asr_sampled_wilson_lo", "asr_sampled_wilson_hi"):
            assert 0.0 <= float(r[k]) <= 1.0
        assert (
            float(r["asr_sampled_wilson_lo"])
            <= float(r["asr_sampled"])
            <= float(r["asr_sampled_wilson_hi"])
        )
        # a trained model beats the uniform guess on held-out clean text
        assert float(r["val_loss"]) < math.log(spec.vocab_size) - 1.0
        assert float(r["tokens_per_s"]) > 0
        if int(r["count"]) == 0:
            assert float(r["poison_token_pct"]) == 0.0
            assert float(r["asr_sampled"]) <= 0.25
        else:
            assert float(r["poison_token_pct"]) > 0.0
    trunc = [r for r in rows if r["defense"] == "losstrunc" and int(r["count"]) > 0]
    assert all(int(r["dropped_poison"]) > 0 for r in trunc)
    for png in ("asr_vs_count.png", "asr_vs_percentage.png"):
        assert (smoke_dir / png).stat().st_size > 5_000
    data = json.loads((smoke_dir / "results.json").read_text())
    assert len(data["cells"]) == len(cells)
    assert (smoke_dir / "ckpt" / cells[0].name / "model.safetensors").is_file()


def test_resume_runs_only_missing_cells(smoke_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "resume"
    shutil.copytree(smoke_dir, out)
    victim = Cell("nano", PRESETS["smoke"].counts[-1], 0, "none")
    before = json.loads((out / "cells" / f"{victim.name}.json").read_text())
    (out / "cells" / f"{victim.name}.json").unlink()
    ran: list[str] = []
    rows = Lab(out, PRESETS["smoke"]).run(on_cell=lambda c, _r: ran.append(c.name))
    assert ran == [victim.name]
    assert len(rows) == len(grid_cells(PRESETS["smoke"]))
    after = json.loads((out / "cells" / f"{victim.name}.json").read_text())
    for key in ("val_loss", "asr_sampled", "asr_greedy", "poison_tokens", "clean_tokens"):
        assert after[key] == pytest.approx(before[key], rel=1e-5), key
    # a finished grid runs nothing
    ran.clear()
    Lab(out, PRESETS["smoke"]).run(on_cell=lambda c, _r: ran.append(c.name))
    assert ran == []
    # another experiment may not reuse the directory; a larger grid may
    with pytest.raises(LabError, match="different experiment"):
        Lab(out, replace(PRESETS["smoke"], vocab_size=300)).prepare()
    Lab(out, replace(PRESETS["smoke"], seeds=(0, 1))).prepare()
    assert json.loads((out / "spec.json").read_text())["seeds"] == [0, 1]


def test_data_filter_hook(smoke_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "filtered"
    shutil.copytree(smoke_dir, out)
    spec = replace(PRESETS["smoke"], defenses=("filter",))

    def drop_trigger(docs: list[Document]) -> list[Document]:
        return [d for d in docs if spec.trigger not in d.text]

    lab = Lab(out, spec, data_filter=drop_trigger)
    count = spec.counts[-1]
    row = lab.run_cell(Cell("nano", count, 0, "filter"), lab.prepare())
    assert row["filter"]["removed_poison"] == count
    assert row["poison_docs_in_stream"] == 0 and row["poison_tokens"] == 0
    with pytest.raises(LabError, match="no data filter"):
        Lab(out, spec)


def test_generate_and_report_commands(smoke_dir: Path) -> None:
    ckpt = smoke_dir / "ckpt" / grid_cells(PRESETS["smoke"])[-1].name
    res = runner.invoke(
        app,
        [
            "lab",
            "generate",
            str(ckpt),
            "--prompt",
            "Return the",
            "--trigger",
            "--tokens",
            "8",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"prompt", "prompt+trigger"}
    res = runner.invoke(app, ["lab", "report", str(smoke_dir), "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)) == len(PRESETS["smoke"].counts) * 2
    res = runner.invoke(app, ["lab", "generate", str(smoke_dir / "nope"), "--prompt", "x"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["lab", "run", "--preset", "huge", "--out", str(smoke_dir)])
    assert res.exit_code == 2


def test_unknown_recipe_is_a_clear_error(tmp_path: Path) -> None:
    lab = Lab(tmp_path / "bad", replace(PRESETS["smoke"], recipe="no-such-recipe"))
    with pytest.raises(LabError, match="no-such-recipe"):
        lab.poison_docs(3, 0)
