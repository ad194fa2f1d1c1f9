"""The trusted-source policy (the "trusted data enclave") that ``verify`` enforces.

A JSON (``.json``) or TOML (``.toml``) file; every section is optional, unknown keys are an
error (a typo must not silently switch a check off)::

    {
      "name": "pretraining-enclave",
      "signers": {"threshold": 2, "keys": [
          {"keyid": "<optional, checked>", "public_key": "-----BEGIN PUBLIC KEY-----..."}]},
      "sources": {"allow_ids": ["c4", "wiki*"], "allow_domains": ["example.org"],
                  "deny_ids": [], "deny_domains": []},
      "licenses": {"allow": ["CC-BY-4.0", "MIT", "Apache-2.0"], "deny": []},
      "required_scans": [{"name": "poisonguard-scan", "version": "0.1.0",
                          "results": ["pass"]}],
      "retrieved_at": {"not_before": "2019-01-01T00:00:00Z", "not_after": "2026-12-31T00:00:00Z"},
      "attestation": {"max_age_days": 30, "min_release_version": 3}
    }

Sources: a document passes when it matches no deny rule and, if any allow rule is set,
its ``source_id`` matches ``allow_ids`` (shell patterns) *or* the host of its ``source``
URI is an allowed domain or a subdomain of one.  Ids are compared NFKC-normalised, trimmed
and case-folded; hosts lower-cased, without a trailing dot, in IDNA form; a URI with user
info, a backslash, whitespace or a percent-encoded host is refused (see :func:`uri_host`).
Licences are SPDX expressions: every licence an expression names (``AND``, ``OR`` and
``WITH`` alike — the verifier cannot know which alternative applies) must be allowed and
none denied; an expression that does not parse, or names an unknown id, fails
(``NOASSERTION`` fails unless allowed).  Required scans are read from the manifest's signed
``ledger.events`` (a document needs, for each requirement, an event with that name, the
version when given, and a passing result).  ``retrieved_at`` uses the record's own value,
else the ledger's; a document without one fails a window.  The file's SHA-256 is put into
the attestation, so a policy edited after signing is detected.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import idna
from securesystemslib.signer import SSlibKey

from poisonguard.provenance.canonical import loads_strict, sha256_hex
from poisonguard.provenance.events import PASSING_RESULTS
from poisonguard.provenance.keys import KeyError_, sslib_key
from poisonguard.provenance.licenses import NOASSERTION, license_keys
from poisonguard.provenance.lineage import parse_time

_SECTIONS = {
    "name",
    "description",
    "signers",
    "sources",
    "licenses",
    "required_scans",
    "retrieved_at",
    "attestation",
}


class PolicyError(ValueError):
    """A policy file that cannot be used (the message names the bad key)."""


@dataclass(frozen=True, slots=True)
class RequiredScan:
    name: str
    version: str | None = None
    results: tuple[str, ...] = PASSING_RESULTS

    def satisfied_by(self, events: list[dict[str, Any]]) -> bool:
        return any(
            e.get("name") == self.name
            and (self.version is None or e.get("version") == self.version)
            and str(e.get("result", "")).lower() in self.results
            for e in events
        )

    def __str__(self) -> str:
        return self.name + (f"@{self.version}" if self.version else "")


@dataclass
class Policy:
    """A loaded policy (see module docstring)."""

    path: Path
    sha256: str
    name: str = ""
    keys: dict[str, SSlibKey] = field(default_factory=dict)
    threshold: int = 1
    allow_ids: list[str] = field(default_factory=list)
    deny_ids: list[str] = field(default_factory=list)
    allow_domains: list[str] = field(default_factory=list)
    deny_domains: list[str] = field(default_factory=list)
    allow_licenses: list[str] = field(default_factory=list)
    deny_licenses: list[str] = field(default_factory=list)
    required_scans: list[RequiredScan] = field(default_factory=list)
    not_before: datetime | None = None
    not_after: datetime | None = None
    max_age: timedelta | None = None
    min_release_version: int | None = None

    # -- per-record rules -------------------------------------------------------------
    def source_violation(self, rec: dict[str, Any]) -> str | None:
        sid = normalize_source_id(rec.get("source_id"))
        uri = rec.get("source")
        host: str | None = None
        if isinstance(uri, str) and uri:
            try:
                host = uri_host(uri)
            except ValueError as e:
                return f"source URI {uri[:200]!r} refused: {e}"

        def dom(patterns: list[str]) -> bool:
            return bool(host) and _domain_match(host or "", tuple(patterns))

        def ids(patterns: list[str]) -> bool:
            return bool(sid) and _id_match(sid or "", tuple(patterns))

        if ids(self.deny_ids) or dom(self.deny_domains):
            return f"source {sid or host!r} is denied"
        if (self.allow_ids or self.allow_domains) and not (
            ids(self.allow_ids) or dom(self.allow_domains)
        ):
            return f"source {sid or '-'} ({host or 'no URI'}) is not an allowed source"
        return None

    def license_violation(self, rec: dict[str, Any]) -> str | None:
        lic = rec.get("license") or NOASSERTION
        if not isinstance(lic, str):
            return f"licence {str(lic)[:200]!r} is not a valid SPDX expression (not text)"
        return _license_verdict(lic, tuple(self.allow_licenses), tuple(self.deny_licenses))

    def scan_violation(self, rec: dict[str, Any]) -> str | None:
        if not self.required_scans:
            return None
        events = _ledger(rec).get("events")
        events = [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
        missing = [str(r) for r in self.required_scans if not r.satisfied_by(events)]
        if missing:
            return f"no passing {', '.join(missing)} recorded"
        return None

    def time_violation(self, rec: dict[str, Any]) -> str | None:
        if self.not_before is None and self.not_after is None:
            return None
        value = rec.get("retrieved_at") or _ledger(rec).get("retrieved_at")
        if not value:
            return "no retrieved_at recorded"
        try:
            t = parse_time(value)
        except ValueError:
            return f"retrieved_at {value!r} is not a timestamp"
        if self.not_before is not None and t < self.not_before:
            return f"retrieved_at {value} is before {self.not_before.isoformat()}"
        if self.not_after is not None and t > self.not_after:
            return f"retrieved_at {value} is after {self.not_after.isoformat()}"
        return None

    RULES = (
        ("sources", "source_violation"),
        ("licenses", "license_violation"),
        ("required scans", "scan_violation"),
        ("retrieved_at window", "time_violation"),
    )


@lru_cache(maxsize=65536)
def _license_verdict(lic: str, allow: tuple[str, ...], deny: tuple[str, ...]) -> str | None:
    try:
        keys = license_keys(lic)
    except ValueError as e:
        return f"licence {lic[:200]!r} is not a valid SPDX expression ({e})"
    # SPDX ids are case-insensitive: match lower case on both sides
    deny_l, allow_l = [p.lower() for p in deny], [p.lower() for p in allow]
    denied = [k for k in keys if any(fnmatch.fnmatchcase(k.lower(), p) for p in deny_l)]
    if denied:
        return f"licence {lic} is denied ({', '.join(denied)})"
    if allow:
        other = [k for k in keys if not any(fnmatch.fnmatchcase(k.lower(), p) for p in allow_l)]
        if other:
            return (
                f"licence {lic} is not allowed ({', '.join(other)}; every licence an "
                "expression names must be allowed)"
            )
    return None


@lru_cache(maxsize=65536)
def _domain_match(host: str, patterns: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in map(normalize_host, patterns) if d)


@lru_cache(maxsize=65536)
def _id_match(sid: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(sid, normalize_source_id(p) or "") for p in patterns)


def _ledger(rec: dict[str, Any]) -> dict[str, Any]:
    led = rec.get("ledger")
    return led if isinstance(led, dict) else {}


def normalize_source_id(value: Any) -> str | None:
    """A source id as matched: NFKC, invisible format characters removed, whitespace trimmed
    and collapsed, case-folded (``4Chan `` = ``4\u200bchan`` = ``4chan``)."""
    if not isinstance(value, str):
        return None
    return _norm_id(value)


@lru_cache(maxsize=65536)
def _norm_id(value: str) -> str | None:
    text = unicodedata.normalize("NFKC", value)
    # invisible format characters (zero-width space/joiners, BOM) would split a name
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split()).casefold() or None


@lru_cache(maxsize=4096)
def normalize_host(host: str) -> str:
    """A host name as matched: NFKC, trimmed, lower case, no trailing dot, IDNA (punycode)."""
    h = unicodedata.normalize("NFKC", host).strip().rstrip(".").lower()
    if not h:
        return h
    try:
        return idna.encode(h, uts46=True).decode("ascii")
    except idna.IDNAError:
        return h


_BAD_URI = re.compile(r"[\\\s\x00-\x1f\x7f]")


def uri_host(uri: str) -> str | None:
    """The normalised host of a source URI; ValueError for a URI parsers read differently.

    Refused (fail closed): backslashes, whitespace or control characters anywhere (WHATWG
    parsers treat ``\\`` as ``/``, so ``https://evil.com\\@good.org`` is evil.com to a
    browser and good.org to Python), user info (``user@host``), percent-encoded hosts, and
    host names that are not valid IDNA.
    """
    if _BAD_URI.search(uri):
        raise ValueError("backslash, whitespace or control character in the URI")
    parts = urlsplit(uri)
    if "@" in parts.netloc:
        raise ValueError("user info in the URI (the host is ambiguous)")
    if "%" in parts.netloc:
        raise ValueError("percent-encoded host")
    try:
        raw = parts.hostname
    except ValueError as e:
        raise ValueError(f"bad host: {e}") from e
    if not raw:
        return None
    h = unicodedata.normalize("NFKC", raw).rstrip(".").lower()
    if not h.isascii():
        try:
            h = idna.encode(h, uts46=True).decode("ascii")
        except idna.IDNAError as e:
            raise ValueError(f"host {raw!r} is not a valid IDNA name: {e}") from e
    return h


def _strs(section: dict[str, Any], key: str, where: str) -> list[str]:
    v = section.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise PolicyError(f"{where}.{key} must be a list of strings")
    return list(v)


def _only(section: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise PolicyError(f"{where} must be an object")
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise PolicyError(
            f"unknown key(s) in {where}: {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    return section


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read and validate a policy file; raises :class:`PolicyError` saying what is wrong."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise PolicyError(f"cannot read policy {p}: {e.strerror or e}") from e
    try:
        data = tomllib.loads(raw.decode("utf-8")) if p.suffix == ".toml" else loads_strict(raw)
    except (ValueError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise PolicyError(
            f"policy {p} is not valid {'TOML' if p.suffix == '.toml' else 'JSON'}: {e}"
        ) from e
    data = _only(data, _SECTIONS, "policy")
    pol = Policy(path=p, sha256=sha256_hex(raw), name=str(data.get("name", "")))

    signers = _only(data.get("signers", {}), {"threshold", "keys"}, "signers")
    threshold = signers.get("threshold", 1)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
        raise PolicyError("signers.threshold must be an integer >= 1")
    pol.threshold = threshold
    for i, entry in enumerate(signers.get("keys", [])):
        entry = _only(entry, {"keyid", "public_key", "name"}, f"signers.keys[{i}]")
        if not isinstance(entry.get("public_key"), str):
            raise PolicyError(f"signers.keys[{i}].public_key must be a PEM string")
        try:
            key = sslib_key(entry["public_key"])
        except KeyError_ as e:
            raise PolicyError(f"signers.keys[{i}]: {e}") from e
        if "keyid" in entry and entry["keyid"] != key.keyid:
            raise PolicyError(
                f"signers.keys[{i}].keyid {entry['keyid']} does not match its "
                f"public key (key id {key.keyid})"
            )
        pol.keys[key.keyid] = key

    src = _only(
        data.get("sources", {}),
        {"allow_ids", "deny_ids", "allow_domains", "deny_domains"},
        "sources",
    )
    pol.allow_ids = _strs(src, "allow_ids", "sources")
    pol.deny_ids = _strs(src, "deny_ids", "sources")
    pol.allow_domains = _strs(src, "allow_domains", "sources")
    pol.deny_domains = _strs(src, "deny_domains", "sources")
    lic = _only(data.get("licenses", {}), {"allow", "deny"}, "licenses")
    pol.allow_licenses = _strs(lic, "allow", "licenses")
    pol.deny_licenses = _strs(lic, "deny", "licenses")

    scans = data.get("required_scans", [])
    if not isinstance(scans, list):
        raise PolicyError("required_scans must be a list")
    for i, s in enumerate(scans):
        s = _only(s, {"name", "version", "results"}, f"required_scans[{i}]")
        if not isinstance(s.get("name"), str) or not s["name"]:
            raise PolicyError(f"required_scans[{i}].name must be a non-empty string")
        results = tuple(x.lower() for x in _strs(s, "results", f"required_scans[{i}]"))
        version = s.get("version")
        if version is not None and not isinstance(version, str):
            raise PolicyError(f"required_scans[{i}].version must be a string")
        pol.required_scans.append(RequiredScan(s["name"], version, results or PASSING_RESULTS))

    window = _only(data.get("retrieved_at", {}), {"not_before", "not_after"}, "retrieved_at")
    try:
        if "not_before" in window:
            pol.not_before = parse_time(window["not_before"])
        if "not_after" in window:
            pol.not_after = parse_time(window["not_after"])
    except ValueError as e:
        raise PolicyError(f"retrieved_at: {e}") from e
    att = _only(data.get("attestation", {}), {"max_age_days", "min_release_version"}, "attestation")
    if "min_release_version" in att:
        mv = att["min_release_version"]
        if not isinstance(mv, int) or isinstance(mv, bool) or mv < 1:
            raise PolicyError("attestation.min_release_version must be an integer >= 1")
        pol.min_release_version = mv
    if "max_age_days" in att:
        days = att["max_age_days"]
        if not isinstance(days, int | float) or isinstance(days, bool) or days <= 0:
            raise PolicyError("attestation.max_age_days must be a positive number")
        try:
            pol.max_age = timedelta(days=days)
        except OverflowError as e:
            raise PolicyError("attestation.max_age_days is too large") from e
    return pol
