"""The ASCII fast paths of the text primitives give the general paths' answers exactly.

Each fast path replaces a Unicode regex by a byte table or an ASCII-spelled pattern on
ASCII text only; these tests compare it with the general code it stands in for, character
by character over every ASCII character and on random and real text (issue 12, task J:
the default scan's throughput with the same results)."""

from __future__ import annotations

import random
import re
from pathlib import Path

from poisonguard.detect import surface_forms
from poisonguard.io import CorpusReader, Document
from poisonguard.text import TOKEN_RE, fold, token_pattern, tokens

ASCII = [chr(i) for i in range(128)]
_DIGITS = re.compile(r"[1-9]")


def _fold_ref(text: str) -> str:
    return _DIGITS.sub("0", text.lower())


def _skeleton_ref(text: str) -> str:
    """surface_forms.fold's general path: word by word (fold_word), then _PLAIN."""
    out: list[str] = []
    for m in surface_forms._WORD.finditer(text):
        out.extend(surface_forms._PLAIN.findall(surface_forms.fold_word(m.group())))
    return " ".join(out)


def _random_texts(seed: int, n: int, extra: str = "") -> list[str]:
    rng = random.Random(seed)
    alphabet = ASCII + list(extra) * 8 + list("aZ9 '\n.") * 6
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def test_every_ascii_character_is_classed_as_the_unicode_pattern_does() -> None:
    for a in ASCII:
        for b in ("", "x", " ", "_", "'", "\x1c"):
            t = a + b + a
            assert tokens(t) == TOKEN_RE.findall(t), repr(t)
            assert fold(t) == _fold_ref(t), repr(t)
            assert surface_forms.fold(t) == _skeleton_ref(t), repr(t)


def test_fast_paths_equal_the_general_paths_on_random_text() -> None:
    for t in _random_texts(0, 20_000):
        assert t.isascii()
        assert tokens(t) == TOKEN_RE.findall(t), repr(t)
        assert fold(t) == _fold_ref(t), repr(t)
        assert surface_forms.fold(t) == _skeleton_ref(t), repr(t)
    # the apostrophe rules of a skeleton: only between letters or digits
    assert surface_forms.fold("'Tis the dogs' ball, don't'' o'clock '") == (
        "tis the dogs ball don't o'clock"
    )


def test_non_ascii_text_keeps_the_general_path() -> None:
    for t in _random_texts(1, 3_000, extra="’İΑаé\u200b\u0301ß１"):
        assert token_pattern(t) is TOKEN_RE or t.isascii()
        assert tokens(t) == TOKEN_RE.findall(t)
        assert fold(t) == _fold_ref(t)
        assert surface_forms.fold(t) == _skeleton_ref(t), repr(t)


def test_fast_paths_on_real_documents(shared_corpora: Path) -> None:
    for name in ("medical", "web"):
        reader = CorpusReader(str(shared_corpora / f"{name}.jsonl.gz"))
        docs = [d for _, d in zip(range(300), reader, strict=False) if isinstance(d, Document)]
        assert any(d.text.isascii() for d in docs)
        for d in docs:
            t = d.text
            assert tokens(fold(t)) == TOKEN_RE.findall(_fold_ref(t))
            assert surface_forms.fold(t) == _skeleton_ref(t)


def test_skeletons_of_text_with_safe_non_ascii_characters() -> None:
    """Text whose only non-ASCII characters are separators, ’ or Latin-1 letters takes the
    whole-text path; look-alikes, zero-width characters, ligatures, superscripts and
    letters outside Latin-1 keep the word-by-word path — the same skeletons."""
    safe = "’–—…°±×÷«»“”éÉàÀüÜñÑøØçÇ\u0301"  # a combining mark is no word character
    unsafe = "İıаАΑ\u200b\u00adﬁ²ªµ１Σσ가Łß"  # ß: case folding writes it ``ss``
    assert all(map(surface_forms._plain_safe, safe))
    assert not any(map(surface_forms._plain_safe, unsafe))
    for t in _random_texts(2, 20_000, extra=safe) + _random_texts(3, 20_000, extra=safe + unsafe):
        assert surface_forms.fold(t) == _skeleton_ref(t), repr(t)
    for ch in map(chr, range(128, 0x3000)):  # every character alone and inside words
        for t in (ch, f"ab{ch}cd", f"Ab{ch}", f"{ch}'x", f"x’{ch}"):
            assert surface_forms.fold(t) == _skeleton_ref(t), repr(t)
