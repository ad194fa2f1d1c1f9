"""JCS canonical form and SPDX licence mapping."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from poisonguard.provenance.canonical import jcs, jcs_fast
from poisonguard.provenance.licenses import NOASSERTION, PUBLIC_DOMAIN, spdx_id

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _text,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=10), _values, max_size=8))
def test_fast_path_is_byte_identical_to_rfc8785(obj: dict) -> None:  # type: ignore[type-arg]
    assert jcs_fast(obj) == rfc8785.dumps(obj)


def test_fast_path_falls_back_for_floats_and_non_ascii_keys() -> None:
    obj = {"é": 1.5, "a": 10**20}
    assert jcs_fast({"é": 1.5}) == rfc8785.dumps({"é": 1.5})
    assert jcs(obj) == rfc8785.dumps({"a": str(10**20), "é": 1.5})


def test_jcs_sorts_keys_and_escapes_controls() -> None:
    assert jcs({"b": "\n\u001f", "a": [1, None]}) == b'{"a":[1,null],"b":"\\n\\u001f"}'


def test_spdx_mapping_of_real_licence_strings() -> None:
    cases = {
        "CC BY 4.0": "CC-BY-4.0",
        "CC-BY-4.0 (DCLM pool, Common Crawl text); annotation repo is MIT": "CC-BY-4.0",
        "CC BY-SA 3.0 (WikiText); repo pytorch/examples is BSD-3-Clause": "CC-BY-SA-3.0",
        "CC BY-NC 4.0 (Alpaca-GPT4 data)": "CC-BY-NC-4.0",
        "ODC-BY 1.0 (C4 / Common Crawl derived)": "ODC-By-1.0",
        "GPL-2+ (per /usr/share/doc/fortunes-de/copyright)": "GPL-2.0-or-later",
        "GPL-3+ (Debian manpages-l10n translations)": "GPL-3.0-or-later",
        "AGPL-3.0": "AGPL-3.0-only",
        "LGPL-2.1 (gensim repo); text is ABC news": "LGPL-2.1-only",
        "Apache-2.0 (yizhongw/self-instruct); underlying datasets": "Apache-2.0",
        "MIT": "MIT",
        "mit": "MIT",
        "Public domain (US Government work, NCBI)": PUBLIC_DOMAIN,
        "Reuters-21578 Distribution 1.0: free for research use": NOASSERTION,
        "CC BY-SA (Wikipedia text)": NOASSERTION,
        "": NOASSERTION,
        None: NOASSERTION,
    }
    for raw, want in cases.items():
        assert spdx_id(raw) == want, raw
