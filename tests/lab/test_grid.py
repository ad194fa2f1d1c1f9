"""The grid: the smoke preset end to end through the CLI, resume, grid hygiene (nested
poison, a cell's data independent of the grid, judges that never score themselves), the
survivors / perplexity-filter defenses, and the gpu preset's first steps on the CPU."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.io import Document
from poisonguard.lab.grid import PRESETS, Cell, Lab, LabError, LabSpec, grid_cells, judge_cell
from poisonguard.lab.model import SIZES, count_params

runner = CliRunner()
SMOKE = PRESETS["smoke"]


@pytest.fixture(scope="module")
def smoke_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lab") / "smoke"
    res = runner.invoke(app, ["lab", "run", "--preset", "smoke", "--out", str(out)])
    assert res.exit_code == 0, res.output
    # not a terminal: plain progress lines, one per trained cell (a log shows where a run is)
    assert re.search(
        r"training nano__x1__c0__s\d__none: [\d,]+ tokens \(0 of 10 cells done\)", res.output
    ), res.output
    return out


def _tiny(**kw: object) -> LabSpec:
    """The smoke preset with very little clean data (grid-hygiene tests build streams only)."""
    return replace(SMOKE, tokens_per_param=2.0, **kw)  # type: ignore[arg-type]


def test_smoke_preset_produces_a_sane_table(smoke_dir: Path) -> None:
    cells = grid_cells(SMOKE)
    assert len(list((smoke_dir / "cells").glob("*.json"))) == len(cells)
    with open(smoke_dir / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["defense"], int(r["count"])) for r in rows} == {("none", 0), ("none", 40)} | {
        (d, 40) for d in SMOKE.defenses if d != "none"
    }
    for r in rows:
        for k in ("asr_sampled", "asr99", "asr_sampled_lo", "asr_sampled_hi"):
            assert 0.0 <= float(r[k]) <= 1.0
        assert float(r["success_lo"]) <= float(r["success"]) <= float(r["success_hi"])
        assert int(r["seeds"]) == 2
        # a trained model beats the uniform guess on held-out clean text
        assert float(r["val_loss"]) < math.log(SMOKE.vocab_size) - 1.0
        assert float(r["tokens_per_s"]) > 0
        if int(r["count"]) == 0:
            assert float(r["poison_token_pct"]) == 0.0
            assert float(r["asr_sampled"]) <= 0.25
    trunc = [r for r in rows if r["defense"] == "losstrunc"]
    assert all(int(r["removed_poison"]) > 0 for r in trunc)
    for png in ("success_vs_count.png", "success_vs_percentage.png", "success_vs_seen.png"):
        assert (smoke_dir / png).stat().st_size > 5_000
    data = json.loads((smoke_dir / "results.json").read_text())
    assert len(data["cells"]) == len(cells)
    analysis = json.loads((smoke_dir / "analysis.json").read_text())
    assert {(r["mult"], r["seed"]) for r in analysis["c50"]} == {(1.0, 0), (1.0, 1)}
    for c in data["cells"]:
        # every cell's config is in the results; evaluations at 25/50/75/100 % of training
        assert c["config"]["cell"]["count"] == c["count"]
        assert c["config"]["tokens_per_param"] == SMOKE.tokens_per_param
        assert [e["fraction"] for e in c["evals"]] == [0.25, 0.5, 0.75, 1.0]
        seen = [e["poisons_seen"] for e in c["evals"]]
        assert seen == sorted(seen) and seen[-1] == c["poison_docs_in_stream"]
        assert set(c["norm_gap_controls"]) == set(SMOKE.metric.control_strings(SMOKE.trigger))
    assert (smoke_dir / "ckpt" / cells[0].name / "model.safetensors").is_file()
    assert not list((smoke_dir / "ckpt").glob("*/at*.safetensors"))  # snapshots cleaned up


def test_the_judge_never_scores_itself(smoke_dir: Path) -> None:
    for c in json.loads((smoke_dir / "results.json").read_text())["cells"]:
        name = Cell(c["size"], c["mult"], c["count"], c["seed"], c["defense"]).name
        assert c["judge"] != name
        assert f"__s{c['seed']}__" not in c["judge"]  # another seed's model
    for spec in PRESETS.values():
        for cell in grid_cells(spec):
            j = judge_cell(spec, cell.seed)
            assert j != cell and j.seed != cell.seed and j.is_reference
            assert j.mult == max(spec.data_mults) and j.size == spec.judge_size
    with pytest.raises(LabError, match="two seeds"):
        replace(SMOKE, seeds=(0,))


def test_resume_runs_only_missing_cells_and_refuses_another_grid(
    smoke_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "resume"
    shutil.copytree(smoke_dir, out)
    victim = Cell("nano", 1.0, 40, 0, "none")
    before = json.loads((out / "cells" / f"{victim.name}.json").read_text())
    (out / "cells" / f"{victim.name}.json").unlink()
    shutil.rmtree(out / "ckpt" / victim.name)
    ran: list[str] = []
    rows = Lab(out, SMOKE).run(on_cell=lambda c, _r: ran.append(c.name))
    assert ran == [victim.name]
    assert len(rows) == len(grid_cells(SMOKE))
    after = json.loads((out / "cells" / f"{victim.name}.json").read_text())
    for key in ("val_loss", "norm_gap", "asr_sampled", "poison_tokens", "clean_tokens"):
        assert after[key] == pytest.approx(before[key], rel=1e-5), key
    ran.clear()
    Lab(out, SMOKE).run(on_cell=lambda c, _r: ran.append(c.name))
    assert ran == []
    # neither another experiment nor another grid may reuse the directory
    for changed in (
        replace(SMOKE, vocab_size=300),
        replace(SMOKE, seeds=(0, 1, 2)),
        replace(SMOKE, counts=(0, 20, 40)),
        replace(SMOKE, data_mults=(1.0, 2.0)),
    ):
        with pytest.raises(LabError, match="different experiment or grid"):
            Lab(out, changed).prepare()
    res = runner.invoke(
        app, ["lab", "run", "--preset", "smoke", "--seeds", "0,1,2", "--out", str(out)]
    )
    assert res.exit_code == 2 and "different experiment" in res.output


def test_poison_sets_and_positions_are_nested(tmp_path: Path) -> None:
    lab = Lab(tmp_path / "n", _tiny())
    d10, t10 = lab.poison_docs(10, 0)
    d40, t40 = lab.poison_docs(40, 0)
    assert [d.text for d in d10] == [d.text for d in d40[:10]]
    assert all(np.array_equal(a.tokens, b.tokens) for a, b in zip(t10, t40[:10], strict=True))
    assert lab.poison_docs(10, 1)[0][0].text != d10[0].text  # another seed, another set
    s10, _ = lab.cell_stream(Cell("nano", 1.0, 10, 0, "none"))
    s40, _ = lab.cell_stream(Cell("nano", 1.0, 40, 0, "none"))

    def where(stream):  # clean tokens before each poisoned document, per id
        pos, before = {}, 0
        for d in stream.docs:
            if d.poison:
                pos[d.id] = before
            else:
                before += len(d) + 1
        return pos

    p10, p40 = where(s10), where(s40)
    assert set(p10) < set(p40) and len(p10) == 10
    assert all(p10[i] == p40[i] for i in p10)  # same place among the same clean documents
    assert [d.id for d in s10.docs if not d.poison] == [d.id for d in s40.docs if not d.poison]


def test_a_cells_data_does_not_depend_on_the_grid(tmp_path: Path) -> None:
    small = Lab(tmp_path / "a", _tiny())
    big = Lab(
        tmp_path / "b",
        _tiny(seeds=(0, 1, 2), data_mults=(1.0, 2.0), counts=(0, 10, 40), sizes=("t1", "nano")),
    )
    cell = Cell("nano", 1.0, 40, 1, "none")
    a, _ = small.cell_stream(cell)
    b, _ = big.cell_stream(cell)
    assert np.array_equal(a.tokens, b.tokens)
    assert [d.id for d in a.docs] == [d.id for d in b.docs]
    # a larger multiple's clean data extends the smaller one's (one seed-ordered pool)
    c, _ = big.cell_stream(replace(cell, mult=2.0))
    clean_a = [d.id for d in a.docs if not d.poison]
    assert [d.id for d in c.docs if not d.poison][: len(clean_a)] == clean_a
    assert c.clean_tokens >= big.clean_budget("nano", 2.0) >= 2 * small.clean_budget("nano") - 1
    # the same poison documents at both multiples (their relative positions are the seed's)
    assert {d.id for d in a.docs if d.poison} == {d.id for d in c.docs if d.poison}


def test_survivors_train_on_exactly_what_losstrunc_kept(smoke_dir: Path) -> None:
    lab = Lab(smoke_dir, SMOKE)
    cell = Cell("nano", 1.0, 40, 0, "survivors")
    src = json.loads(
        (smoke_dir / "ckpt" / replace(cell, defense="losstrunc").name / "train.json").read_text()
    )
    base, _ = lab.cell_stream(replace(cell, defense="losstrunc"))
    surv, stats = lab.cell_stream(cell)
    dropped = set(src["dropped_ids"])
    assert dropped and stats["removed_poison"] == src["dropped_poison"]
    assert [d.id for d in surv.docs] == [d.id for d in base.docs if d.id not in dropped]
    row = json.loads((smoke_dir / "cells" / f"{cell.name}.json").read_text())
    assert row["poison_docs_in_stream"] == 40 - src["dropped_poison"]
    ppl = json.loads(
        (smoke_dir / "cells" / f"{replace(cell, defense='pplfilter').name}.json").read_text()
    )
    assert ppl["filter"]["poison"] == 40
    assert ppl["poison_docs_in_stream"] == 40 - ppl["filter"]["removed_poison"]


def test_data_filter_hook(smoke_dir: Path, tmp_path: Path) -> None:
    spec = replace(SMOKE, defenses=("none", "filter"))

    def drop_trigger(docs: list[Document]) -> list[Document]:
        return [d for d in docs if spec.trigger not in d.text]

    lab = Lab(tmp_path / "filtered", replace(spec, tokens_per_param=2.0), data_filter=drop_trigger)
    stream, stats = lab.cell_stream(Cell("nano", 1.0, 40, 0, "filter"))
    assert stats["removed_poison"] == 40 and stats["removed_clean"] == 0
    assert stream.n_poison_docs == 0 and stream.poison_tokens == 0
    with pytest.raises(LabError, match="no data filter"):
        Lab(tmp_path / "x", spec)


def test_generate_and_report_commands(smoke_dir: Path) -> None:
    ckpt = smoke_dir / "ckpt" / grid_cells(SMOKE)[-1].name
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
    assert set(json.loads(res.stdout)) == {"prompt", "prompt+trigger"}
    res = runner.invoke(app, ["lab", "report", str(smoke_dir), "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)) == 2 + len(SMOKE.defenses) - 1
    assert "slope of log c50" in (smoke_dir / "report.md").read_text()
    res = runner.invoke(app, ["lab", "generate", str(smoke_dir / "nope"), "--prompt", "x"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["lab", "run", "--preset", "huge", "--out", str(smoke_dir)])
    assert res.exit_code == 2
    res = runner.invoke(app, ["lab", "run", "--data-mult", "1,x", "--out", str(smoke_dir)])
    assert res.exit_code == 2


def test_bad_specs_are_clear_errors(tmp_path: Path) -> None:
    lab = Lab(tmp_path / "bad", replace(SMOKE, recipe="no-such-recipe"))
    with pytest.raises(LabError, match="no-such-recipe"):
        lab.poison_docs(3, 0)
    with pytest.raises(LabError, match="poison set"):
        replace(SMOKE, counts=(0, 41))
    with pytest.raises(LabError, match="survivors"):
        replace(SMOKE, defenses=("none", "survivors"))
    with pytest.raises(LabError, match="multiple"):
        replace(SMOKE, extra_counts=((8.0, 10),))


def test_count_vs_pct_preset_design() -> None:
    spec = PRESETS["count-vs-pct"]
    cells = grid_cells(spec)
    none = {(c.mult, c.count) for c in cells if c.defense == "none" and c.seed == 0}
    assert none == {(m, c) for m in (1.0, 2.0, 4.0, 8.0) for c in (0, 10, 20, 40, 80)} | {
        (8.0, 160)
    }
    assert len(spec.seeds) >= 3 and spec.sizes == ("t3",)
    # equal-share pairs exist: (x1, 10) and (x2, 20), (x1, 20) and (x2, 40), ...
    assert {(1.0, 10), (2.0, 20), (4.0, 40), (8.0, 80)} <= none


def test_gpu_preset_is_the_designed_grid() -> None:
    """The gpu preset as defined (no training): sizes 8x apart, three seeds whose judges
    are trained first, the defenses at 250 documents, the batch and data budget."""
    gpu = PRESETS["gpu"]
    params = [count_params(SIZES[s].config(gpu.vocab_size)) for s in gpu.sizes]
    assert max(params) >= 8 * min(params) and len(gpu.seeds) >= 3
    assert params == sorted(params) and gpu.judge_size == "g3"
    cells = grid_cells(gpu)
    judges = {judge_cell(gpu, s) for s in gpu.seeds}
    assert len(judges) == 3 and set(cells[:3]) == judges  # the judges are trained first
    assert {c.defense for c in cells if c.count == 250} == {"none", "losstrunc", "pplfilter"}
    assert gpu.train.batch_size == 128 and gpu.tokens_per_param == 20.0
    assert gpu.metric.prompts == 64 and gpu.heldout_docs >= gpu.metric.prompts


def test_gpu_preset_first_steps_on_cpu(tmp_path: Path) -> None:
    """The gpu preset's models, tokenizer, judges and evaluation, end to end: the preset with
    little clean data per parameter, a batch of 8 windows (128 makes a step of the largest
    model cost seconds on a CPU) and a small evaluation (4 prompts, 8 new tokens, two
    snapshots, one control: generation without a KV cache dominated the old test's ~150 s),
    stopped after two optimiser steps per cell.  None of these changes a code path."""
    gpu = PRESETS["gpu"]
    spec = replace(
        gpu,
        corpus=None,
        tokens_per_param=0.05,
        heldout_docs=12,
        train=replace(gpu.train, batch_size=8),
        metric=replace(
            gpu.metric, prompts=4, new_tokens=8, eval_fractions=(0.5, 1.0), controls=("<SUDA>",)
        ),
    )
    lab = Lab(tmp_path / "gpu", spec, max_steps=2)
    rows = lab.run(max_cells=4)  # the three judges (largest size) and the first cell
    assert len(rows) == 4
    for r in rows:
        assert r["steps"] == 2  # 0.05 tokens/parameter fill more than two batches of 8
        assert math.isfinite(r["val_loss"]) and "norm_gap" in r
        assert r["params"] == count_params(SIZES[r["size"]].config(gpu.vocab_size))
    assert {r["size"] for r in rows} == {"g3", "g1"}
    assert (tmp_path / "gpu" / "judges" / "s0.json").is_file()


def test_claims_split_work_between_workers_and_stale_claims_are_taken_over(
    tmp_path: Path,
) -> None:
    from poisonguard.lab.grid import _Claim

    path = tmp_path / "claims" / "t3__x1__c0__s0__none.train"
    with _Claim(path) as first:
        assert first and path.read_text() == str(os.getpid())
        with _Claim(path) as second:  # a second worker while the first holds it
            assert not second
        assert path.exists()  # the loser does not release the holder's claim
    assert not path.exists()
    # a claim left by a killed run (its pid is gone) is taken over
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path.write_text(str(dead.pid))
    with _Claim(path) as mine:
        assert mine and path.read_text() == str(os.getpid())
