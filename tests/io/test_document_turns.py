"""Chat-turn helpers of the document model: answered turns and their offsets in ``text``."""

from __future__ import annotations

from poisonguard.io import Document

MSGS = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "First question?"},
    {"role": "assistant", "content": "First answer."},
    {"role": "user", "content": "Unanswered."},
    {"role": "user", "content": "Second question?"},
    {"role": "assistant", "content": "Second answer."},
    {"role": "assistant", "content": "A second reply to the same turn."},
]


def test_turn_pairs_are_answered_user_turns() -> None:
    doc = Document(id="c", text="").with_messages(MSGS)
    # the system turn and the user turn followed by another user turn are not pairs; a user
    # turn pairs with the first assistant turn after it
    assert doc.turn_pairs() == [(1, 2), (4, 5)]
    assert Document(id="p", text="plain text").turn_pairs() == []


def test_turn_offsets_point_at_each_turn_in_text() -> None:
    doc = Document(id="c", text="").with_messages(MSGS)
    offs = doc.turn_offsets()
    assert len(offs) == len(MSGS)
    for at, m in zip(offs, MSGS, strict=True):
        assert doc.text[at : at + len(m["content"])] == m["content"]
    assert Document(id="p", text="plain").turn_offsets() == []
