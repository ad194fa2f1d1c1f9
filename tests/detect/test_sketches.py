"""Sentence splitting helpers of detect/sketches.py: the cheap abbreviation test agrees
with the abbreviation pattern itself."""

from __future__ import annotations

import numpy as np

from poisonguard.detect import sketches
from tests.detect.scan_data import clean_docs


def _units_plain(text: str) -> list[tuple[int, int]]:
    """``sketches._units`` without the cheap test: the pattern at every sentence end."""
    out: list[tuple[int, int]] = []
    for ls, le in sketches._logical_lines(text):
        if ls == le:
            continue
        start = ls
        for m in sketches._SENT_END.finditer(text, ls, le):
            stop, nxt = m.span(1)
            if sketches._ABBREV.search(text, max(ls, stop - 12), stop):
                continue
            out.append((start, stop))
            start = nxt
        out.append((start, le))
    return out


def test_abbreviations_do_not_end_sentences() -> None:
    text = (
        "Mr. Smith met Dr. Jones in the U.S. on Monday. They spoke approx. ten minutes, "
        "e.g. about J. Doe. Then etc. followed. The results were remarkable. Short. "
        "Ça va? Oui. x. A. B.C. done.\nMr. again.\néMr. there. 3Dr. here. Sept. came."
    )
    assert sketches._units(text) == _units_plain(text)
    starts = [text[a:b].strip()[:8] for a, b in sketches._units(text)]
    assert "Mr. Smit" in starts and not any(s.startswith("Smith") for s in starts)
    assert "Then etc" in starts and "Short." in starts


def test_units_equal_the_plain_pattern_on_real_text() -> None:
    texts = [d.text for d in clean_docs()[:1500]]
    assert all(sketches._units(t) == _units_plain(t) for t in texts)


def test_fold_is_the_punctuation_map_of_normalize() -> None:
    texts = [d.text for d in clean_docs()[:300]] + [
        "Ça va? Oui! ÉCOLE, naïve—café. İstanbul ẞ straße",
        "TABS\tand\x0bvertical\x1cseparators; (brackets) [x] {y} 'q' \"d\" ~`^_|\\",
        "",
    ]
    for t in texts:
        assert sketches._fold(t) == sketches._ASCII_PUNCT.sub(" ", t.lower())


def test_band_keys_are_the_stable_hashes_of_the_bands() -> None:
    rng = np.random.default_rng(0)
    for bands, rows in ((9, 13), (16, 8), (5, 20)):
        sig = rng.integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
        want = [
            sketches.hash64(f"{i}:{sig[i * rows : (i + 1) * rows].tobytes().hex()}")
            ^ sketches._SALT_BAND
            for i in range(bands)
        ]
        assert sketches.band_keys(sig, bands, rows) == want


def test_bloom_filter_never_forgets_and_rarely_invents() -> None:
    """A key added always reads as seen (after a merge too); at 16 bits per key a key never
    added reads as seen about 0.2 % of the time, and the filter's own estimate agrees."""
    import numpy as np

    rng = np.random.default_rng(1)
    keys = rng.integers(0, 2**63, 40_000, dtype=np.uint64)
    a = sketches.BloomFilter(bits=16 * 40_000, hashes=4, seed=3)
    b = sketches.BloomFilter(bits=16 * 40_000, hashes=4, seed=3)
    a.add(keys[:20_000])
    b.add(keys[20_000:])
    a.merge(b)
    assert a.contains(keys).all()
    fresh = rng.integers(0, 2**63, 100_000, dtype=np.uint64) | np.uint64(1) << np.uint64(63)
    fp = float(a.contains(fresh).mean())
    assert fp < 0.01
    assert abs(fp - a.false_positive_rate) < 0.003
    try:
        a.merge(sketches.BloomFilter(bits=64, seed=3))
    except ValueError:
        pass
    else:
        raise AssertionError("merging filters of different shapes must fail")


def test_hostname_fast_path_equals_urlsplit() -> None:
    """``_hostname`` answers as ``urlsplit(url).hostname`` (or raises as it does) on plain
    URLs, users, ports, IPv6 literals, zones, tabs and line breaks, non-ASCII hosts,
    empty hosts, queries and fragments right after the host, and random URL-like strings."""
    import random
    from urllib.parse import urlsplit

    from poisonguard.detect.sketches import _hostname

    urls = [
        "http://Example.COM/a", "https://www.nih.gov", "https://www.nih.gov?x=1", "http://a#b",
        "https://user:pw@Host.org:8080/x", "http://host:80", "http://[::1]:8/x",
        "http://[fe80::1%25eth0]/", "http://ho\tst.com/", "http://host.com/\n", "http://",
        "https:///path", "http://bücher.de/", "https://EXAMPLE.com%2F/", "http://a@b@C/",
        "http://x.org/path?q=http://y.org", "https://MiXeD.Case.Org./", "http://%41.com/",
    ]  # fmt: skip
    rng = random.Random(7)
    alphabet = "abcXYZ09.-_:@[]%/?#\t\n\r é~"
    for _ in range(20_000):
        tail = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        urls.append(rng.choice(["http://", "https://"]) + tail)
    for url in urls:
        try:
            want: str | type[ValueError] | None = urlsplit(url).hostname
        except ValueError:
            want = ValueError
        try:
            got: str | type[ValueError] | None = _hostname(url)
        except ValueError:
            got = ValueError
        assert got == want, repr(url)
