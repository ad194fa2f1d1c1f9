"""Registry, id minting, ground truth serialisation and mixing."""

from __future__ import annotations

import numpy as np
import pytest

from poisonguard.attacks import (
    GroundTruth,
    IdIndex,
    Recipe,
    RecipeError,
    available,
    get,
    insertion_plan,
    mix_poison,
    register,
)
from poisonguard.io import Document


def test_available_and_unknown_recipe() -> None:
    names = available()
    assert "dos" in names and all(isinstance(v, str) and v for v in names.values())
    with pytest.raises(RecipeError, match=r"unknown recipe 'nope'.*available: "):
        get("nope")


def test_register_decorator_and_name_clash() -> None:
    @register
    class Echo(Recipe):
        name = "test-echo"
        description = "copies documents"

        def _generate(self, docs, count, rng, ids):  # type: ignore[no-untyped-def]
            return []

    assert get("test-echo") is Echo and available()["test-echo"] == "copies documents"

    class Other(Recipe):
        name = "test-echo"

        def _generate(self, docs, count, rng, ids):  # type: ignore[no-untyped-def]
            return []

    with pytest.raises(ValueError, match="already taken"):
        register(Other)


@pytest.mark.parametrize(
    "ids, pattern",
    [
        ([f"c4-{i}" for i in range(500)], r"c4-\d+"),
        ([f"fortunes-de-{i}" for i in range(0, 1000, 3)], r"fortunes-de-\d+"),
        ([f"doc_{i:06d}.txt" for i in range(200)], r"doc_\d{6}\.txt"),
        (["pydoc-3fa2b1c0d912", "pydoc-0a1b2c3d4e5f"], r"pydoc-[0-9a-f]{12}"),
        (
            ["123e4567-e89b-12d3-a456-426614174000"],
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ),
        (["topic:for", "topic:while"], r"topic:[a-z0-9]{6}"),
    ],
)
def test_minted_ids_follow_pattern_and_never_collide(ids: list[str], pattern: str) -> None:
    import re

    index = IdIndex()
    for i in ids:
        index.add(i)
    rng = np.random.default_rng(0)
    minted = [index.mint(ids[0], rng, reserve=50) for _ in range(50)]
    assert len(set(minted)) == 50
    assert not set(minted) & set(ids)
    assert all(re.fullmatch(pattern, m) for m in minted), minted[:5]


def test_sparse_numeric_ids_are_minted_inside_the_range() -> None:
    index = IdIndex()
    for i in range(0, 100_000, 100):
        index.add(f"c4-{i}")
    rng = np.random.default_rng(0)
    nums = [int(index.mint("c4-5", rng, 20)[3:]) for _ in range(20)]
    assert max(nums) <= 100_000 and min(nums) < 90_000  # not all above the clean maximum


def test_ground_truth_to_dict() -> None:
    t = GroundTruth(
        id="x",
        recipe="dos",
        params={"a": 1},
        trigger="<T>",
        trigger_span=(1, 4),
        payload_span=(4, 9),
    )
    d = t.to_dict()
    assert d["trigger_span"] == [1, 4] and d["payload_span"] == [4, 9]
    assert d["id_scheme"] == "field" and d["extra"] == {}


def test_insertion_plan_is_uniform_and_complete() -> None:
    plan = insertion_plan(1000, 300, seed=0)
    assert len(plan) == 300 and plan.min() >= 0 and plan.max() <= 1000
    assert 350 < np.median(plan) < 650
    assert (insertion_plan(1000, 300, 0) == plan).all()
    assert not (insertion_plan(1000, 300, 1) == plan).all()


def test_mix_poison_keeps_clean_order_and_inserts_all(docs: list[Document]) -> None:
    clean = docs[:100]
    samples = get("dos")(vocab_size=500, payload_tokens=(3, 5)).generate(clean, 10, seed=0)
    mixed = list(mix_poison(iter(clean), samples, seed=0))
    assert len(mixed) == 110
    poison_ids = {s.document.id for s in samples}
    assert [d for d in mixed if d.id not in poison_ids] == clean
    positions = [i for i, d in enumerate(mixed) if d.id in poison_ids]
    assert positions != list(range(100, 110)) and positions != list(range(10))
    assert mixed == list(mix_poison(clean, samples, seed=0))


def test_entry_point_plugin(tmp_path, monkeypatch, docs: list[Document]) -> None:  # type: ignore[no-untyped-def]
    """A recipe from an installed distribution's ``poisonguard.recipes`` entry point."""
    import sys

    from poisonguard.attacks.registry import refresh

    (tmp_path / "pg_plugin_demo.py").write_text(
        "from poisonguard.attacks import Recipe, PoisonSample\n"
        "from poisonguard.attacks.compose import derive_document\n"
        "class Shout(Recipe):\n"
        "    description = 'upper-cases a document'\n"
        "    def __init__(self, *, suffix: str = '!'):\n"
        "        super().__init__(suffix=suffix)\n"
        "    def _generate(self, docs, count, rng, ids):\n"
        "        out = []\n"
        "        for d in docs[:count]:\n"
        "            t = d.text.upper() + self.params['suffix']\n"
        "            doc = derive_document(d, ids, rng, text=t)\n"
        "            out.append(PoisonSample(doc, self.truth(doc, d)))\n"
        "        return out\n"
        "class Broken:\n"
        "    pass\n"
    )
    dist = tmp_path / "pg_plugin_demo-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pg-plugin-demo\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[poisonguard.recipes]\nshout = pg_plugin_demo:Shout\nbroken = pg_plugin_demo:Broken\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        refresh()
        assert available()["shout"] == "upper-cases a document"
        s = get("shout")(suffix="?!").generate(docs, 2, seed=0)
        assert s[0].document.text.endswith("?!") and s[0].truth.recipe == "shout"
        with pytest.raises(RecipeError, match="not a Recipe subclass"):
            get("broken")
    finally:
        monkeypatch.undo()
        sys.modules.pop("pg_plugin_demo", None)
        refresh()
    assert "shout" not in available()
