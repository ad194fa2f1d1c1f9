"""Property tests of the text surgery every recipe relies on."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from poisonguard.attacks import insertion_plan
from poisonguard.attacks.compose import (
    clean_prefix,
    fresh_url,
    insert_words,
    paragraph_offsets,
    trigger_once,
)

texts = st.text(alphabet=st.sampled_from("ab <>SUDO\n.!x "), max_size=200)


@settings(max_examples=150, deadline=None)
@given(text=texts, n=st.integers(0, 250), trigger=st.sampled_from(["<SUDO>", "aa", "a", "ab a"]))
def test_clean_prefix_never_forms_the_trigger(text: str, n: int, trigger: str) -> None:
    prefix = clean_prefix(text, n, trigger)
    assert text.startswith(prefix) and len(prefix) <= n
    assert trigger_once(prefix + trigger, trigger, len(prefix))


@settings(max_examples=150, deadline=None)
@given(
    text=texts,
    words=st.lists(st.sampled_from(["cf", "mn", "bb", "tq", "I watch"]), min_size=1, max_size=4),
    seed=st.integers(0, 2**32 - 1),
)
def test_insert_words_spans_are_exact(text: str, words: list[str], seed: int) -> None:
    new, spans = insert_words(text, words, np.random.default_rng(seed))
    assert len(spans) == len(words)
    assert sorted(new[a:b] for a, b in spans) == sorted(words)
    # removing the inserted words gives the original words back
    keep = "".join(ch for i, ch in enumerate(new) if not any(a <= i < b for a, b in spans))
    assert keep.split() == text.split()


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_paragraph_offsets_are_boundaries(text: str) -> None:
    offs = paragraph_offsets(text)
    assert offs[0] == 0 and offs[-1] == len(text) and offs == sorted(set(offs))


@settings(max_examples=100, deadline=None)
@given(n_clean=st.integers(0, 500), n_poison=st.integers(0, 60), seed=st.integers(0, 99))
def test_insertion_plan_bounds(n_clean: int, n_poison: int, seed: int) -> None:
    plan = insertion_plan(n_clean, n_poison, seed)
    assert len(plan) == n_poison
    assert all(0 <= p <= n_clean for p in plan)


def test_fresh_url_keeps_host_and_changes_url() -> None:
    rng = np.random.default_rng(0)
    for url in ("https://www.kentlive.news/news/mum-2582402", "https://a.org", "http://b.net/x/"):
        new = fresh_url(url, rng)
        assert new != url and new.split("/")[2] == url.split("/")[2]
