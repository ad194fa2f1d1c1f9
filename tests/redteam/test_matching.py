"""Matching pipeline output back to its input: id, digest, fuzzy, unmatched."""

from __future__ import annotations

from poisonguard.redteam.matching import Matcher, text_digest

TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank today.",
    "Python is a programming language that lets you work quickly and integrate systems.",
    "Poisoned training data can plant a backdoor that a trigger phrase later activates.",
    "Exactly the same text twice.",
    "Exactly the same text twice.",
]


def inputs() -> list[tuple[str, str]]:
    return [(f"d{i}", t) for i, t in enumerate(TEXTS)]


def test_ids_win_when_they_survive_even_if_text_changed() -> None:
    m = Matcher(inputs())
    got, stats = m.match([("d1", None, "completely rewritten"), ("d0", None, TEXTS[0])])
    assert got == [1, 0]
    assert stats.by["id"] == 2 and stats.method == "id"


def test_digest_when_ids_are_renumbered_and_duplicates_map_to_distinct_inputs() -> None:
    m = Matcher(inputs())
    outs = [("x1", None, TEXTS[3]), ("x2", None, TEXTS[4]), ("x3", text_digest(TEXTS[2]), None)]
    got, stats = m.match(outs)
    assert set(got[:2]) == {3, 4}  # two identical texts are two documents
    assert got[2] == 2
    assert stats.method == "digest" and stats.by["digest"] == 3


def test_fuzzy_for_rewritten_text_and_unmatched_for_made_up_text() -> None:
    m = Matcher(inputs())
    rewritten = TEXTS[1].upper() + " Extra words."
    got, stats = m.match(
        [("x", None, rewritten), ("y", None, "an entirely new document about cats")]
    )
    assert got == [1, None]
    assert stats.by["fuzzy"] == 1 and stats.by["unmatched"] == 1
    assert stats.method == "fuzzy"


def test_duplicate_ids_are_not_trusted() -> None:
    m = Matcher([("same", "alpha beta gamma delta"), ("same", "one two three four")])
    got, stats = m.match([("same", None, "one two three four")])
    assert got == [1]  # by digest: the id is ambiguous
    assert stats.by["id"] == 0 and stats.by["digest"] == 1


def test_an_input_is_matched_at_most_once() -> None:
    m = Matcher(inputs())
    got, stats = m.match([("d0", None, TEXTS[0]), ("d0", None, TEXTS[0])])
    assert got == [0, None]
    assert stats.by["unmatched"] == 1
