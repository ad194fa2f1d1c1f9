"""Input-kind detection (issue 15): chat-shaped records are scanned as instruction data."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.detect.kinds import guess_kind, guess_kind_of
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs


def _chat(i: int) -> dict[str, object]:
    return {
        "id": f"c{i}",
        "messages": [
            {"role": "user", "content": f"What is item {i} of the list?"},
            {"role": "assistant", "content": f"Item {i} is a number."},
        ],
    }


def test_chat_records_are_instruction(tmp_path: Path) -> None:
    p = tmp_path / "chat.jsonl"
    p.write_text("".join(json.dumps(_chat(i)) + "\n" for i in range(50)))
    g = guess_kind(str(p))
    assert g.kind == "instruction" and "50 of the first 50" in g.reason
    assert g.shapes == {"messages": 50}


def test_plain_text_is_pretrain_and_a_minority_of_chat_does_not_flip_it() -> None:
    docs = list(clean_docs()[:60])
    assert guess_kind(docs).kind == "pretrain"
    mixed = docs + [
        Document(id=f"m{i}", text="q\n\na", messages=[], shape="messages") for i in range(20)
    ]
    assert guess_kind_of(mixed).kind == "pretrain"


def test_flattened_chat_text_is_named_with_the_way_out() -> None:
    docs = [
        Document(
            id=f"t{i}",
            text=f"<|im_start|>user\nQuestion {i}<|im_end|>\n<|im_start|>"
            "assistant\nAnswer<|im_end|>",
        )
        for i in range(30)
    ]
    g = guess_kind_of(docs)
    assert g.kind == "pretrain" and "chat-template markers" in g.reason
    assert "--kind instruction" in g.reason


def test_an_iterator_is_not_consumed() -> None:
    docs = iter(clean_docs()[:5])
    assert guess_kind(docs).reason.startswith("input not inspected")
    assert len(list(docs)) == 5


def test_cli_says_which_kind_and_how_to_override(tmp_path: Path) -> None:
    p = tmp_path / "chat.jsonl"
    p.write_text("".join(json.dumps(_chat(i)) + "\n" for i in range(40)))
    res = CliRunner().invoke(app, ["scan", str(p), "--out", str(tmp_path / "o"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["kind"] == "instruction"
    res = CliRunner().invoke(app, ["scan", str(p), "--out", str(tmp_path / "o2")])
    assert "kind: instruction — 40 of the first 40 records" in res.stderr
    assert "--kind pretrain to override" in res.stderr
