"""Licence strings to SPDX expressions, failing closed.

Corpora describe licences in prose ("CC BY 4.0", "GPL-2+ (per /usr/share/doc/...)",
"Apache-2.0 (repo); underlying data carry their own licenses").  :func:`spdx_id` returns:

* the normalised SPDX expression when the whole string is one (``MIT AND CC-BY-NC-4.0``,
  ``mit or gpl-3.0`` → ``MIT OR GPL-3.0-only``), parsed with ``license-expression``;
* else an SPDX identifier read from prose, only when nothing but a version or the word
  "license" follows the licence name and no note (after ``(`` or ``;``) restricts it
  ("non-commercial", "research only", "no derivatives"): ``Apache 2.0, non-commercial use
  only`` is ``NOASSERTION``, not ``Apache-2.0``;
* ``LicenseRef-PublicDomain`` for public-domain statements, ``NOASSERTION`` otherwise.

The raw string is always kept next to it (ledger ``license_raw``, manifest ``license_raw``).
:func:`license_keys` gives every licence an expression names, for policy matching.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from license_expression import ExpressionError, Licensing, get_spdx_licensing

NOASSERTION = "NOASSERTION"
PUBLIC_DOMAIN = "LicenseRef-PublicDomain"

_KNOWN = [
    "0BSD",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-2.0",
    "PSF-2.0",
    "Python-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSL-1.0",
    "CC-BY-1.0",
    "CC-BY-2.0",
    "CC-BY-2.5",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-NC-2.0",
    "CC-BY-NC-3.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-ND-4.0",
    "CC-BY-NC-SA-2.0",
    "CC-BY-NC-SA-3.0",
    "CC-BY-NC-SA-4.0",
    "CC-BY-ND-4.0",
    "CC-BY-SA-2.0",
    "CC-BY-SA-2.5",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDLA-Permissive-1.0",
    "CDLA-Permissive-2.0",
    "CDLA-Sharing-1.0",
    "EPL-2.0",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "ISC",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "MIT",
    "MPL-2.0",
    "ODbL-1.0",
    "ODC-By-1.0",
    "OpenRAIL-M",
    "PDDL-1.0",
    "Unlicense",
    "WTFPL",
    "Zlib",
]
_BY_LOWER = {k.lower(): k for k in _KNOWN}

_CC = re.compile(r"^cc[\s_-]*by((?:[\s_-]*(?:nc|nd|sa))*)[\s_-]*v?(\d(?:\.\d)?)?", re.I)
_GNU = re.compile(
    r"^(a|l)?gpl[\s_-]*v?(\d(?:\.\d)?)(\.0)?\s*(\+|-or-later|or\s+later|-only)?", re.I
)
_SIMPLE = [
    (
        re.compile(r"^apache(?:[\s_-]*license)?[\s_,-]*(?:version\s*)?v?2(?:\.0)?\b", re.I),
        "Apache-2.0",
    ),
    (re.compile(r"^mit\b", re.I), "MIT"),
    (re.compile(r"^cc0\b", re.I), "CC0-1.0"),
    (re.compile(r"^odc[\s_-]*by\b", re.I), "ODC-By-1.0"),
    (re.compile(r"^odbl\b", re.I), "ODbL-1.0"),
    (re.compile(r"^pddl\b", re.I), "PDDL-1.0"),
    (re.compile(r"^bsd[\s_-]*3", re.I), "BSD-3-Clause"),
    (re.compile(r"^bsd[\s_-]*2", re.I), "BSD-2-Clause"),
    (re.compile(r"^mpl[\s_-]*2", re.I), "MPL-2.0"),
    (re.compile(r"^isc\b", re.I), "ISC"),
    (re.compile(r"^unlicense\b", re.I), "Unlicense"),
]


_RESTRICTED = re.compile(
    r"non[\s_-]*commercial|not\s+for\s+commercial|research[\s_-]+(?:use[\s_-]+)?only|"
    r"no[\s_-]+deriv|personal[\s_-]+use|academic[\s_-]+use|\bnc\b|\bnd\b",
    re.I,
)
_TAIL_OK = re.compile(r"[\s,]*(?:v(?:ersion)?\s*)?(?:\d+(?:\.\d+)*)?\s*(?:licen[cs]e)?\s*\.?", re.I)


@lru_cache(maxsize=1)
def _licensing() -> Licensing:
    return get_spdx_licensing()


@lru_cache(maxsize=4096)
def _parse_expression(text: str) -> tuple[str, tuple[str, ...]] | str:
    """``(normalised expression, licence keys)``, or the parse error as a string."""
    if text == NOASSERTION or (text.startswith("LicenseRef-") and " " not in text):
        return text, (text,)
    try:
        expr = _licensing().parse(text, validate=True, strict=False)
    except (ExpressionError, ValueError, TypeError, AttributeError, RecursionError) as e:
        return str(e)[:200] or type(e).__name__
    if expr is None:
        return "empty licence expression"
    keys = tuple(str(k) for k in _licensing().license_keys(expr, unique=True))
    return str(expr.render()), keys


def license_keys(expression: str) -> tuple[str, ...]:
    """Every licence (and exception) key an SPDX expression names; ValueError when it is not
    a valid expression of known SPDX ids (unknown ids fail closed)."""
    got = _parse_expression(expression.strip()) if isinstance(expression, str) else "not text"
    if isinstance(got, str):
        raise ValueError(got)
    return got[1]


def combine(ids: list[str]) -> str:
    """One expression for several licence statements that all apply (``A AND B``);
    ``NOASSERTION`` when any of them is."""
    uniq = list(dict.fromkeys(ids))
    if not uniq or NOASSERTION in uniq:
        return NOASSERTION
    if len(uniq) == 1:
        return uniq[0]
    return " AND ".join(f"({x})" if " " in x else x for x in uniq)


def _accept(ident: str, text: str, end: int) -> str:
    """``ident`` when what follows the matched licence name is harmless, else NOASSERTION."""
    head_end = len(re.split(r"[(;]", text, maxsplit=1)[0])
    tail = text[end:head_end]
    m = _TAIL_OK.fullmatch(tail)
    if m is None or _RESTRICTED.search(text[end:]):
        return NOASSERTION
    return ident


def spdx_id(raw: Any) -> str:
    """SPDX expression for a licence string (see module docstring)."""
    if not raw or not isinstance(raw, str):
        return NOASSERTION
    return _spdx_id(raw.strip())


@lru_cache(maxsize=4096)
def _spdx_id(text: str) -> str:
    exact = _BY_LOWER.get(text.lower())
    if exact:
        return exact
    parsed = _parse_expression(text)
    if not isinstance(parsed, str):
        return parsed[0]
    head = re.split(r"[(;]", text, maxsplit=1)[0].strip()
    exact = _BY_LOWER.get(head.lower())
    if exact:
        return _accept(exact, text, len(text) - len(text.lstrip()) + len(head))
    m = _CC.match(head)
    if m:
        mods = re.findall(r"nc|nd|sa", m.group(1).lower())
        order = [x for x in ("nc", "nd", "sa") if x in mods]
        version = m.group(2)
        if not version:  # an unversioned CC licence is not an SPDX id
            return NOASSERTION
        if "." not in version:
            version += ".0"
        cand = "-".join(["CC-BY", *[x.upper() for x in order], version])
        return _accept(_BY_LOWER.get(cand.lower(), cand), text, m.end())
    m = _GNU.match(head)
    if m:
        family = {"a": "AGPL", "l": "LGPL", None: "GPL"}[(m.group(1) or "").lower() or None]
        version = m.group(2)
        if "." not in version:
            version += ".0"
        later = bool(m.group(4)) and m.group(4).strip().lower() != "-only"
        cand = f"{family}-{version}-{'or-later' if later else 'only'}"
        return _accept(_BY_LOWER.get(cand.lower(), cand), text, m.end())
    for pattern, ident in _SIMPLE:
        m = pattern.match(head)
        if m:
            return _accept(ident, text, m.end())
    if re.search(r"public[\s-]+domain", head, re.I) and not _RESTRICTED.search(text):
        return PUBLIC_DOMAIN
    return NOASSERTION
