"""A plain shell pipeline (a Python filter script) through ``redteam``, against ground truth."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from poisonguard.io import Document
from poisonguard.redteam import PipelineError, RedteamError, ShellPipeline, redteam
from tests.redteam.conftest import NO_SUDO, script

IDENTITY = "import shutil, sys\nshutil.copyfile(sys.argv[1], sys.argv[2])\n"
DROP_ALL = "import sys\nopen(sys.argv[2], 'w').close()\n"
# renumbers every id and normalises whitespace: only fuzzy/digest matching can follow
REWRITE = (
    "import json, sys\n"
    "with open(sys.argv[1]) as f, open(sys.argv[2], 'w') as g:\n"
    "    for i, line in enumerate(f):\n"
    "        r = json.loads(line)\n"
    "        r['id'] = f'out-{i}'\n"
    "        r['text'] = ' '.join(r['text'].split())\n"
    "        g.write(json.dumps(r) + '\\n')\n"
)


def test_identity_pipeline_keeps_all_poison(docs: list[Document], tmp_path: Path) -> None:
    res = redteam(
        docs,
        ShellPipeline(script(tmp_path, "id.py", IDENTITY) + " {in} {out}"),
        ["dos", "dos-bytes"],
        count=12,
        seeds=[0, 1],
    )
    for rec in ("dos", "dos-bytes"):
        (s,) = res.summary(rec)
        assert s.poison_surviving == [12, 12] and s.rate == 1.0
        assert s.clean_dropped == [0, 0] and s.collateral == 0.0
        assert s.ci_seeds == (1.0, 1.0)
        assert s.ci_pooled[0] > 0.85 and s.ci_pooled[1] == 1.0
    assert all(r.match[0].method == "id" for r in res.runs)
    assert all(v is None for r in res.runs for v in r.first_removed.values())


def test_drop_everything_pipeline(docs: list[Document], tmp_path: Path) -> None:
    res = redteam(
        docs,
        ShellPipeline(script(tmp_path, "drop.py", DROP_ALL) + " {in} {out}"),
        ["dos"],
        count=10,
        seeds=[0],
    )
    (s,) = res.summary("dos")
    assert s.poison_surviving == [0] and s.rate == 0.0
    assert s.clean_dropped == [len(docs)] and s.collateral == 1.0
    assert s.removed_here == 10
    assert set(res.runs[0].first_removed.values()) == {"pipeline"}


def test_keyword_filter_against_ground_truth(docs: list[Document], tmp_path: Path) -> None:
    res = redteam(
        docs,
        ShellPipeline(script(tmp_path, "f.py", NO_SUDO) + " {in} {out}"),
        ["dos", "dos-bytes"],
        count=15,
        seeds=[0],
    )
    dos, dbytes = res.summary("dos")[0], res.summary("dos-bytes")[0]
    assert dos.poison_surviving == [0]  # every dos document carries <SUDO>
    assert dbytes.poison_surviving == [15]  # dos-bytes uses another trigger
    # collateral: exactly the clean documents that contain the string
    expected = sum("<SUDO>" in d.text for d in docs)
    assert dos.clean_dropped == [expected] and dbytes.clean_dropped == [expected]


def test_rewriting_pipeline_is_matched_fuzzily(docs: list[Document], tmp_path: Path) -> None:
    res = redteam(
        docs,
        ShellPipeline(script(tmp_path, "rw.py", REWRITE) + " {in} {out}"),
        ["dos"],
        count=10,
        seeds=[0],
    )
    run = res.runs[0]
    assert run.poison_surviving == [10] and run.clean_surviving == [len(docs)]
    m = run.match[0].by
    assert m["id"] == 0 and m["fuzzy"] > 0 and m["unmatched"] == 0
    assert m["digest"] + m["fuzzy"] == len(docs) + 10


# ------------------------------------------------------------------ bad input


def test_failing_command(docs: list[Document], tmp_path: Path) -> None:
    cmd = script(tmp_path, "boom.py", "import sys\nsys.exit('filter crashed: no GPU')\n")
    with pytest.raises(PipelineError, match="exited with status 1: filter crashed: no GPU"):
        redteam(docs, ShellPipeline(cmd + " {in} {out}"), ["dos"], count=5)


def test_command_that_writes_nothing(docs: list[Document], tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="wrote nothing"):
        redteam(docs, ShellPipeline("true {in} {out}"), ["dos"], count=5)


def test_command_that_writes_another_format(docs: list[Document], tmp_path: Path) -> None:
    csv = script(
        tmp_path, "csv.py", "import sys\nopen(sys.argv[2], 'w').write('id,text\\n1,hello\\n')\n"
    )
    with pytest.raises(PipelineError, match="not jsonl corpus records"):
        redteam(docs, ShellPipeline(csv + " {in} {out}"), ["dos"], count=5)
    js = script(
        tmp_path, "js.py", "import sys\nopen(sys.argv[2], 'w').write('{\"text\": \"x\"}\\n')\n"
    )
    with pytest.raises(PipelineError, match="parquet"):  # JSON Lines where Parquet was asked
        redteam(docs, ShellPipeline(js + " {in} {out}", io_format="parquet"), ["dos"], count=5)


def test_parquet_round_trip(docs: list[Document], tmp_path: Path) -> None:
    res = redteam(docs, ShellPipeline("cp {in} {out}", io_format="parquet"), ["dos"], count=5)
    assert res.runs[0].poison_surviving == [5] and res.runs[0].clean_surviving == [len(docs)]


def test_placeholders_are_required() -> None:
    with pytest.raises(PipelineError, match="placeholders"):
        ShellPipeline("cat input.jsonl > out.jsonl")


def test_timeout(docs: list[Document], tmp_path: Path) -> None:
    cmd = script(tmp_path, "slow.py", "import time\ntime.sleep(30)\n")
    with pytest.raises(PipelineError, match="longer than 1 s"):
        redteam(docs, ShellPipeline(cmd + " {in} {out}", timeout=1), ["dos"], count=5)


def test_user_data_is_never_modified(clean_file: Path, tmp_path: Path) -> None:
    from poisonguard.io import CorpusReader

    before = hashlib.sha256(clean_file.read_bytes()).hexdigest()
    docs = [d for d in CorpusReader(clean_file) if isinstance(d, Document)]
    # a hostile pipeline: truncates its input and every .jsonl it can find nearby
    evil = script(
        tmp_path,
        "evil.py",
        "import glob, os, shutil, sys\n"
        "shutil.copyfile(sys.argv[1], sys.argv[2])\n"
        "open(sys.argv[1], 'w').close()\n"
        "for p in glob.glob(os.path.join(os.getcwd(), '*.jsonl')):\n"
        "    if p != sys.argv[2]: open(p, 'w').close()\n",
    )
    res = redteam(docs, ShellPipeline(evil + " {in} {out}"), ["dos"], count=5)
    assert res.runs[0].poison_surviving == [5]
    assert hashlib.sha256(clean_file.read_bytes()).hexdigest() == before


def test_work_folder_must_be_new_or_empty(docs: list[Document], tmp_path: Path) -> None:
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "precious.txt").write_text("do not delete")
    with pytest.raises(RedteamError, match="not empty"):
        redteam(docs, ShellPipeline("cp {in} {out}"), ["dos"], count=5, work=keep)
    assert (keep / "precious.txt").read_text() == "do not delete"


def test_unknown_recipe_and_missing_parameters(docs: list[Document]) -> None:
    with pytest.raises(RedteamError, match="unknown recipe 'nope'"):
        redteam(docs, ShellPipeline("cp {in} {out}"), ["nope"], count=5)
    with pytest.raises(RedteamError, match=r"targeted-claim.*entity"):
        redteam(docs, ShellPipeline("cp {in} {out}"), ["targeted-claim"], count=5)
