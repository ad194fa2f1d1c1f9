"""Best-effort mapping of free-form licence strings to SPDX identifiers.

Corpora describe licences in prose ("CC BY 4.0", "GPL-2+ (per /usr/share/doc/...)",
"Apache-2.0 (repo); underlying data carry their own licenses").  :func:`spdx_id` reads
the leading licence expression and returns an SPDX identifier, ``LicenseRef-PublicDomain``
for public-domain statements, or ``NOASSERTION`` when it cannot tell.  The raw string is
always kept next to it (ledger ``license_raw``, manifest ``license_raw``).
"""

from __future__ import annotations

import re
from functools import lru_cache

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


@lru_cache(maxsize=4096)
def spdx_id(raw: str | None) -> str:
    """SPDX identifier for a licence string (best effort; see module docstring)."""
    if not raw or not isinstance(raw, str):
        return NOASSERTION
    text = raw.strip()
    exact = _BY_LOWER.get(text.lower())
    if exact:
        return exact
    head = re.split(r"[(;]", text, maxsplit=1)[0].strip()
    exact = _BY_LOWER.get(head.lower())
    if exact:
        return exact
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
        return _BY_LOWER.get(cand.lower(), cand)
    m = _GNU.match(head)
    if m:
        family = {"a": "AGPL", "l": "LGPL", None: "GPL"}[(m.group(1) or "").lower() or None]
        version = m.group(2)
        if "." not in version:
            version += ".0"
        later = bool(m.group(4)) and m.group(4).strip().lower() != "-only"
        cand = f"{family}-{version}-{'or-later' if later else 'only'}"
        return _BY_LOWER.get(cand.lower(), cand)
    for pattern, ident in _SIMPLE:
        if pattern.match(head):
            return ident
    if re.search(r"public[\s-]+domain", head, re.I):
        return PUBLIC_DOMAIN
    return NOASSERTION
