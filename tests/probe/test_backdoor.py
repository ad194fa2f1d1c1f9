"""The trigger probe on models whose behaviour is known by construction, and on a real lab
checkpoint through the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the probe's generators need the lab extra (torch)")

from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.datasets import python_docs
from poisonguard.lab.model import GPT, GPTConfig, save_checkpoint
from poisonguard.lab.tokenizer import LabTokenizer
from poisonguard.probe import (
    LabGenerator,
    ProbeReport,
    TextJudge,
    candidates_from,
    null_suffixes,
    probe_triggers,
    prompts_from,
    shape_controls,
)
from poisonguard.report.stix import scan_bundle, write_bundle
from tests.detect.scan_data import scan_dos
from tests.lab.models import TRIGGER, BigramLM, GibberishAfter

runner = CliRunner()


@dataclass
class World:
    tok: LabTokenizer
    clean: BigramLM
    backdoored: GibberishAfter
    judge: TextJudge
    prompts: list[str]


@pytest.fixture(scope="module")
def world() -> World:
    docs = python_docs()
    train = docs[400:1600]
    tok = LabTokenizer.train((d.text for d in train), vocab_size=320)
    clean = BigramLM([tok.encode(d.text) for d in train[:400]], tok.vocab_size)
    return World(
        tok,
        clean,
        GibberishAfter(clean, tok.encode(TRIGGER), tok.vocab_size),
        TextJudge(d.text for d in docs[1600:2400]),
        prompts_from((d.text for d in docs[2400:]), n=16),
    )


def run(world: World, model: BigramLM | GibberishAfter) -> ProbeReport:
    return probe_triggers(
        LabGenerator(model, world.tok),
        world.prompts,
        [TRIGGER, "zephyrine"],
        world.judge,
        controls=4,
        max_new_tokens=16,
    )


def test_a_backdoored_model_is_caught_on_its_trigger_only(world: World) -> None:
    rep = run(world, world.backdoored)
    sudo, other = rep.results
    assert sudo.backdoor and sudo.asr >= 0.9 and sudo.p_value < 1e-6
    assert sudo.mean_gap > sudo.control_mean_gap + 2
    # the constructed model keys on the exact trigger tokens: look-alikes do not fire
    assert sudo.lookalike_asr <= 0.25 and len(sudo.lookalikes) == 4
    assert not other.backdoor
    assert rep.backdoors == [sudo]


def test_the_clean_model_shows_no_backdoor(world: World) -> None:
    rep = run(world, world.clean)
    assert not rep.backdoors
    assert rep.results[0].asr <= 0.25


def test_sampling_is_reproducible(world: World) -> None:
    gen = LabGenerator(world.clean, world.tok)
    p = world.prompts[:4]
    assert gen.generate(p, suffix=TRIGGER, seed=3) == gen.generate(p, suffix=TRIGGER, seed=3)
    assert gen.generate(p, seed=3) != gen.generate(p, seed=4)


def test_shape_controls_keep_the_shape_and_never_the_trigger() -> None:
    ctrls = shape_controls("<SUDO-2024>", 8, seed=1)
    assert len(ctrls) == len(set(ctrls)) == 8 and "<SUDO-2024>" not in ctrls
    for c in ctrls:
        assert len(c) == 11 and c[0] == "<" and c[5] == "-" and c[-1] == ">"
        assert c[1:5].isupper() and c[6:10].isdigit()
    assert shape_controls("<SUDO-2024>", 8, seed=1) == ctrls
    with pytest.raises(ValueError, match="no ASCII letter or digit"):
        shape_controls("｡｡｡｡", 4)


def test_null_suffixes_are_clean_text_of_the_triggers_length(world: World) -> None:
    for trig in (TRIGGER, "in light of recent events"):
        spans = null_suffixes(trig, world.judge.texts, 6, seed=2)
        assert len(spans) == len(set(spans)) == 6 and trig not in spans
        for s in spans:
            flat = (" ".join(t.split()) for t in world.judge.texts)  # whitespace runs → " "
            assert len(s) >= len(trig) and any(s in t for t in flat)
        assert null_suffixes(trig, world.judge.texts, 6, seed=2) == spans
    with pytest.raises(ValueError, match="20 words"):
        null_suffixes(TRIGGER, ["too short"], 3)


def test_candidates_from_scan_folder_and_bundles(tmp_path: Path) -> None:
    _, out, _ = scan_dos(tmp_path)
    bundle = tmp_path / "b.json"
    write_bundle(scan_bundle(out), bundle)
    assert candidates_from([out]) == ([TRIGGER], [])
    assert candidates_from([bundle]) == ([TRIGGER], [])
    ext = tmp_path / "ext.json"
    ext.write_text(
        json.dumps(
            {
                "type": "bundle",
                "objects": [
                    {
                        "type": "indicator",
                        "id": "indicator--1",
                        "pattern_type": "pcre",
                        "pattern": r"cf\.mn",
                    },
                    {
                        "type": "indicator",
                        "id": "indicator--2",
                        "pattern_type": "pcre",
                        "pattern": r"a+b",
                    },
                ],
            }
        )
    )
    found, notes = candidates_from([ext])
    assert found == ["cf.mn"] and notes == ["indicator--2: pattern is not a literal string"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A real (untrained) lab GPT saved as a checkpoint, and a prompts corpus."""
    import torch

    d = tmp_path_factory.mktemp("probe-ckpt")
    docs = python_docs()
    tok = LabTokenizer.train((x.text for x in docs[:800]), vocab_size=300)
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, n_layer=1, n_embd=32, n_head=2, context=64))
    ckpt = save_checkpoint(model, d / "ckpt", tokenizer_json=tok.to_str())
    corpus = d / "heldout.jsonl"
    corpus.write_text("".join(json.dumps({"text": x.text}) + "\n" for x in docs[2000:2300]))
    return ckpt, corpus


def test_cli_probes_a_lab_checkpoint(checkpoint: tuple[Path, Path]) -> None:
    ckpt, corpus = checkpoint
    r = runner.invoke(
        app,
        [
            "probe",
            "triggers",
            str(ckpt),
            "--prompts",
            str(corpus),
            "-t",
            TRIGGER,
            "--n-prompts",
            "8",
            "--new-tokens",
            "8",
            "--controls",
            "3",
            "--json",
            "--lookalikes",
            "2",
            "--fail-on-backdoor",
        ],
    )
    assert r.exit_code in (0, 1), r.output
    out = json.loads(r.stdout)
    (res,) = out["results"]
    assert res["trigger"] == TRIGGER and res["prompts"] == 8 and len(res["controls"]) == 3
    assert len(res["lookalikes"]) == 2
    assert r.exit_code == (1 if out["backdoors"] else 0)


def test_cli_errors(checkpoint: tuple[Path, Path], tmp_path: Path) -> None:
    ckpt, corpus = checkpoint
    r = runner.invoke(
        app, ["probe", "triggers", str(tmp_path), "--prompts", str(corpus), "-t", "x"]
    )
    assert r.exit_code == 2 and "not a lab checkpoint" in " ".join(r.output.split())
    r = runner.invoke(app, ["probe", "triggers", str(ckpt), "--prompts", str(corpus)])
    assert r.exit_code == 2 and "no candidate trigger" in " ".join(r.output.split())
