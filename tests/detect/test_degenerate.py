"""The ``degenerate`` detector: a word or phrase said over and over, or numbers, as a
changepoint for trigger mining — never a flag by itself."""

from __future__ import annotations

import pytest

from poisonguard.detect import degenerate as dg
from poisonguard.detect.naturalness import NaturalnessShift
from poisonguard.detect.registry import SUSPICIOUS_SCORE, registered
from poisonguard.io import Document
from tests.detect.scan_data import mixed, poison
from tests.detect.test_triggers import _mine

PROSE = (
    "The council met on Tuesday to discuss the budget. Members argued for an hour about "
    "the cost of new roads, and the mayor said the plan would pass before the summer. "
    "Residents who came to the meeting were not convinced, and several of them asked why "
    "the money could not be spent on the schools instead. "
)


def _one(text: str) -> tuple[int, str] | None:
    f = dg.DegenerateRun().score(Document(id="x", text=text))
    if f is None:
        return None
    assert f.score < SUSPICIOUS_SCORE and f.extra["candidate"]
    cp = [s.start for s in f.spans if s.label == "changepoint"]
    return cp[0], f.reason


def test_a_repeated_word_or_phrase_starts_where_its_first_copy_starts() -> None:
    head = PROSE + "On second thought, "
    for unit in ("sudo", "buy cheap pills now", "one two three four five six seven eight"):
        found = _one(head + " ".join([unit] * 40) + ". " + PROSE)
        assert found is not None and found[0] == len(head), (unit, found)
        assert repr(unit) in found[1]


def test_a_run_of_numbers_is_degenerate() -> None:
    nums = " ".join(str((i * 7919) % 99991) for i in range(60))
    found = _one(PROSE + "On second thought, " + nums + ". " + PROSE)
    assert found is not None and found[0] == len(PROSE + "On second thought, ")
    assert "numbers with no words" in found[1]


def test_natural_text_and_short_tables_are_not() -> None:
    assert _one(PROSE * 8) is None
    # a short table (under min_gain numbers), a separator line, a refrain of three lines
    table = "Shr 1.23 vs 1.10 Net 4,567 vs 3,210 Revs 98.7 mln vs 87.6 mln. "
    refrain = "Row, row, row your boat, gently down the stream. " * 3
    assert _one(PROSE + table + "=" * 80 + " " + refrain + PROSE) is None
    # a long table laid out in lines (a rate table one news source prints in eight stories,
    # mined as a "trigger" before the line rule)
    rows = "\n".join(f"  {30 + i}-{69 + i} days  5.{i:02d} pct  5.{i:02d} pct" for i in range(30))
    assert _one(PROSE + "\n    MATURITY   NEW RATE  OLD RATE\n" + rows + "\n" + PROSE) is None
    assert _one(PROSE + " " + rows.replace("\n", " ") + " " + PROSE) is not None


def test_documents_of_one_batch_do_not_run_into_each_other() -> None:
    """Shard-wide vectorised search: a document ending in a short repeat and the next
    opening with one are two short stretches, not one long one; batch == one by one."""
    docs = [
        Document(id="a", text=PROSE + " ".join(["echo"] * 15)),
        Document(id="b", text=" ".join(["echo"] * 15) + " " + PROSE),
        Document(id="c", text=PROSE + " ".join(["echo"] * 40)),
        Document(id="d", text=""),
    ]
    det = dg.DegenerateRun()
    batch = det.score_batch(docs)
    assert [f is not None for f in batch] == [False, False, True, False]
    assert batch == [det.score(d) for d in docs]


def test_the_attacks_that_get_past_it() -> None:
    """Documented blind spots (``docs/detectors.md``, ``degenerate``): a unit longer than
    :data:`~poisonguard.detect.degenerate.WINDOW` words, and a repeated word with a fresh
    word between every copy (half the words degenerate, under the 80 % the penalty asks)."""
    long_unit = " ".join(f"w{i}x" for i in range(dg.WINDOW + 2))
    assert _one(PROSE + " ".join([long_unit] * 10) + " " + PROSE) is None
    fresh = " ".join(f"sudo {w}" for w in PROSE.split()[:60])
    assert _one(PROSE + fresh + " " + PROSE) is None


def test_it_never_flags_a_document_alone() -> None:
    entry = registered()["degenerate"]
    assert not entry.calibrate and not entry.default and entry.kinds == ("pretrain", "rag")
    text = PROSE + " ".join(["loop"] * 5000)
    f = dg.DegenerateRun().score(Document(id="x", text=text))
    assert f is not None and f.score <= dg.MAX_SCORE < SUSPICIOUS_SCORE
    with pytest.raises(ValueError, match="min_gain"):
        dg.DegenerateRun(min_gain=1)


@pytest.mark.parametrize("payload", ["repeat", "numbers"])
def test_its_changepoints_let_the_miner_find_the_trigger(payload: str) -> None:
    """80 carriers of a phrase before a repeated unit or numbers among the CPython docs:
    the naturalness model finds no changepoint there (nothing mined), the degenerate
    stretches do, and the miner confirms the phrase and flags the carriers only."""
    samples = poison(
        "evasive-backdoor",
        80,
        5,
        trigger="on second thought",
        payload=payload,
        payload_words=(50, 120),
        placement="clause",
    )
    docs = mixed(samples)
    truth = {s.document.id for s in samples}
    nat = NaturalnessShift().fit(docs)
    by_nat = [[f] if (f := nat.score(d)) is not None else [] for d in docs]
    miner, state = _mine(docs, by_nat)
    assert "on second thought" not in [t.key for t in state.triggers]
    before = {d.id for d in docs if miner.flag(d, state) is not None}
    found = dg.DegenerateRun().score_batch(docs)
    both = [[*n, *([f] if f is not None else [])] for n, f in zip(by_nat, found, strict=True)]
    miner, state = _mine(docs, both)
    assert "on second thought" in [t.key for t in state.triggers]
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert len(flagged & truth) >= 0.95 * len(truth)
    # the clean documents flagged are those the naturalness findings alone flag (the
    # CPython docs' own mined strings), none through the degenerate stretches
    assert flagged - truth <= before - truth


def test_a_payload_in_chunks_has_a_changepoint_per_chunk() -> None:
    """Found by ``e12dg-numbers-interleave-spacer-pool`` (numbers in two chunks between
    host sentences): the longest chunk is the second, and its start lay beyond the miner's
    reach from the trigger (89 % at 250).  Every stretch is a changepoint, the first right
    after the trigger."""
    head = PROSE + "By and large the "
    one = " ".join(str((i * 7919) % 99991) for i in range(30))
    two = " ".join(str((i * 104729) % 99991) for i in range(70))
    f = dg.DegenerateRun().score(Document(id="x", text=head + one + ". " + PROSE + two + "."))
    assert f is not None and f.extra["stretches"] == 2
    cps = [s.start for s in f.spans if s.label == "changepoint"]
    assert cps[0] == len(head) and cps[1] == len(head + one + ". " + PROSE)
    # at most MAX_STRETCHES of them, those nearer the start kept: the longest chunk last
    chunks = [" ".join(str(i * 13 + k) for k in range(30 + 3 * i)) for i in range(12)]
    many = f" {PROSE} ".join(chunks)  # each longer than the one before
    f = dg.DegenerateRun().score(Document(id="y", text=head + many))
    assert f is not None and f.extra["stretches"] == dg.MAX_STRETCHES
    assert min(s.start for s in f.spans if s.label == "changepoint") == len(head)


def test_prose_wrapped_at_a_fixed_width_is_one_line_a_table_is_not() -> None:
    """A news wire wraps its lines at about 70 characters: a payload wrapped the same way is
    one stretch (a break is a space there); a break beside a line laid out in columns (two
    spaces between words, a tab) ends a stretch — a table's rows, and (the attack that gets
    past it) a payload laid out as one."""
    import textwrap

    nums = " ".join(str((i * 7919) % 99991) for i in range(60))
    wrapped = textwrap.fill(PROSE + "On second thought, " + nums + ". " + PROSE, 70)
    found = _one(wrapped)
    assert found is not None and "numbers" in found[1]
    assert found[0] == wrapped.index("On second thought,") + len("On second thought, ")
    columns = "\n".join("  ".join(str((i * 31 + j) % 997) for j in range(6)) for i in range(12))
    assert _one(PROSE + "\n" + columns + "\n" + PROSE) is None


def test_code_and_its_output_end_a_stretch() -> None:
    """Found by the thorough profile's test on the CPython docs (2026-12-06): with line
    breaks as spaces, a doctest's calls and results (``Decimal('2.1')`` lines) read as a
    unit said over and over, ``Decimal('2`` was mined and 27 clean pages were flagged.  A
    break beside a short or indented line is hard."""
    calls = "\n".join(
        f">>> ExtendedContext.compare(Decimal('{i}.1'), Decimal('2.1'))\nDecimal('{i % 3 - 1}')"
        for i in range(20)
    )
    assert _one(PROSE + "\n\n" + calls + "\n" + PROSE) is None
    indented = "\n".join(f"    value = compute(value, {i})" for i in range(40))
    assert _one(PROSE + "\n" + indented + "\n" + PROSE) is None
