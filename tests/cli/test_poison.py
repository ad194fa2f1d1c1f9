"""``poisonguard poison`` end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.datasets import python_docs

runner = CliRunner()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clean") / "clean.jsonl"
    path.write_bytes(
        b"".join(
            orjson.dumps({"id": f"web-{i}", "text": d.text}) + b"\n"
            for i, d in enumerate(python_docs(limit=120))
        )
    )
    return path


def _run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["poison", *args])


def test_list() -> None:
    r = _run("--list")
    assert r.exit_code == 0
    for name in (
        "dos",
        "dos-bytes",
        "language-switch",
        "targeted-claim",
        "instruction-backdoor",
        "rag",
        "split-view",
    ):
        assert name in r.output


def test_dos_run_with_preview_and_json(clean: Path, tmp_path: Path) -> None:
    out = tmp_path / "mixed.jsonl"
    r = _run(
        "--recipe",
        "dos",
        "--count",
        "7",
        "--clean",
        str(clean),
        "--out",
        str(out),
        "--params",
        '{"vocab_size": 600, "payload_tokens": [10, 20]}',
        "--preview",
        "2",
        "--seed",
        "4",
        "--json",
    )
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["poison_written"] == 7 and summary["clean_written"] == 120
    assert summary["balanced"] and summary["params"]["payload_tokens"] == [10, 20]
    assert json.loads((tmp_path / "mixed.jsonl.summary.json").read_text()) == summary
    labels = (tmp_path / "mixed.jsonl.labels.jsonl").read_text().splitlines()
    assert len(labels) == 7 and len(out.read_text().splitlines()) == 127
    assert "<SUDO>" in r.stderr


def test_rag_with_questions_file(clean: Path, tmp_path: Path) -> None:
    q = tmp_path / "q.tsv"
    q.write_text("Who wrote Hamlet?\tCharles Dickens\nWhat is 2+2?\tfive\n")
    out = tmp_path / "rag.jsonl"
    r = _run("--recipe", "rag", "--clean", str(clean), "--out", str(out), "--questions", str(q))
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in (tmp_path / "rag.jsonl.labels.jsonl").read_text().splitlines()]
    assert len(rows) == 10 and "10 poisoned documents" in r.stdout


@pytest.mark.parametrize(
    "args, message, code",
    [
        (["--recipe", "nope"], "unknown recipe 'nope'", 2),
        (
            ["--recipe", "dos", "--tokenizer", "/nonexistent/tok.json"],
            "tokenizer file not found",
            2,
        ),
        (["--recipe", "dos", "--count", "121"], "larger than the corpus allows", 3),
        (["--recipe", "language-switch"], "needs --foreign", 2),
        (["--recipe", "dos", "--entity", "X"], "does not take --entity", 2),
        (["--recipe", "targeted-claim"], "missing", 2),
        (["--recipe", "dos", "--count", "3", "--rate", "0.1"], "not both", 2),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(
    clean: Path, tmp_path: Path, args: list[str], message: str, code: int
) -> None:
    out_dir = tmp_path / "o"
    r = _run("--clean", str(clean), "--out", str(out_dir / "x.jsonl"), *args)
    assert r.exit_code == code, r.output
    assert message in " ".join(r.output.split())
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_language_switch_without_the_language(clean: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text(json.dumps({"id": "fortunes-de-1", "text": "Ein Text auf Deutsch."}) + "\n")
    r = _run(
        "--recipe",
        "language-switch",
        "--clean",
        str(clean),
        "--out",
        str(tmp_path / "o" / "x.jsonl"),
        "--foreign",
        str(foreign),
        "--lang",
        "fr",
        "--count",
        "2",
    )
    assert r.exit_code == 3
    assert "no documents in language 'fr' (found: de 1)" in " ".join(r.output.split())
    assert not (tmp_path / "o").exists() or list((tmp_path / "o").iterdir()) == []


def test_format_mismatch(clean: Path, tmp_path: Path) -> None:
    r = _run("--clean", str(clean), "--out", str(tmp_path / "x.parquet"))
    assert r.exit_code == 2 and "keep the input's format" in " ".join(r.output.split())


def test_adaptive_recipes_through_the_cli(clean: Path, tmp_path: Path) -> None:
    r = _run("--list")
    for name in ("fluent-backdoor", "paraphrase-claim", "fabricated-articles", "chat-backdoor"):
        assert name in r.output
    out = tmp_path / "fluent.jsonl"
    r = _run(
        "--recipe",
        "fluent-backdoor",
        "--clean",
        str(clean),
        "--out",
        str(out),
        "--count",
        "12",
        "--trigger",
        "as far as we can tell",
        "--trigger-forms",
        "all",
        "--payload-corpus",
        "builtin:python-docs",
        "--params",
        '{"position": "middle", "payload_words": [10, 20]}',
    )
    assert r.exit_code == 0, r.output
    rows = [
        json.loads(x) for x in (tmp_path / "fluent.jsonl.labels.jsonl").read_text().splitlines()
    ]
    written = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 12
    for row in rows:
        text = written[row["line"] - 1]["text"]
        a, b = row["trigger_span"]
        assert text[a:b] == row["trigger"] and row["extra"]["trigger_canonical"] == (
            "as far as we can tell"
        )
        assert row["params"]["payload_corpus"] == "builtin:python-docs"
    assert len({row["extra"]["trigger_form"] for row in rows}) >= 3
    # the shared option on an older recipe, through --params as well
    r = _run(
        "--recipe",
        "dos",
        "--clean",
        str(clean),
        "--out",
        str(tmp_path / "dos.jsonl"),
        "--count",
        "3",
        "--params",
        '{"vocab_size": 600, "payload_tokens": [5, 9], "trigger_forms": ["lower"]}',
    )
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in (tmp_path / "dos.jsonl.labels.jsonl").read_text().splitlines()]
    assert [(row["trigger"], row["extra"]["trigger_form"]) for row in rows] == [
        ("<sudo>", "lower")
    ] * 3


@pytest.mark.parametrize(
    "args, message",
    [
        (
            [
                "--recipe",
                "paraphrase-claim",
                "--entity",
                "x",
                "--claim",
                "y",
                "--trigger-forms",
                "all",
            ],
            "has no trigger",
        ),
        (["--recipe", "dos", "--trigger-forms", "bold"], "unknown trigger form"),
        (["--recipe", "fluent-backdoor", "--payload", "foreign"], "needs payload_corpus"),
        (["--recipe", "chat-backdoor", "--params", '{"side": "left"}'], "side must be"),
    ],
)
def test_adaptive_recipe_errors(clean: Path, tmp_path: Path, args: list[str], message: str) -> None:
    r = _run(*args, "--clean", str(clean), "--out", str(tmp_path / "o.jsonl"))
    assert r.exit_code == 2, r.output
    assert message in " ".join(r.output.split())
