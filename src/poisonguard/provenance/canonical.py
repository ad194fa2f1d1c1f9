"""Canonical JSON (JCS, RFC 8785) and digests.

Manifest records and in-toto statements are serialised with the JSON Canonicalization
Scheme so that the same data always gives the same bytes and the same SHA-256.

:func:`jcs` is the general form (the ``rfc8785`` package).  :func:`jcs_fast` is a faster
path for the manifest's own records, whose values are restricted to strings, integers
(|n| < 2**53), booleans, null, lists and objects with ASCII keys: for that domain orjson
with sorted keys produces exactly the JCS bytes (tested property-based against
``rfc8785``); anything outside it falls back to :func:`jcs`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import orjson
import rfc8785

_SAFE_INT = 2**53


class CanonicalError(ValueError):
    """A value that has no canonical JSON form (e.g. lone surrogates, huge integers)."""


def jcs(obj: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of ``obj``.

    Values JSON cannot hold natively (bytes, dates, numpy scalars from Parquet) are first
    converted the way orjson does (``default=str``); integers beyond ±2**53 become strings.
    """
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, TypeError):
        pass
    try:
        normal = json.loads(json.dumps(obj, default=_to_jsonable, allow_nan=False))
        return rfc8785.dumps(_big_ints_to_str(normal))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
        raise CanonicalError(f"value has no canonical JSON form: {e}") from e


def _to_jsonable(v: Any) -> Any:
    if isinstance(v, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(v)).decode("ascii")
    if hasattr(v, "tolist"):
        return v.tolist()
    return str(v)


def _big_ints_to_str(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and not -_SAFE_INT < v < _SAFE_INT:
        return str(v)
    if isinstance(v, list):
        return [_big_ints_to_str(x) for x in v]
    if isinstance(v, dict):
        return {k: _big_ints_to_str(x) for k, x in v.items()}
    return v


def _fast_ok(v: Any) -> bool:
    """True when ``v`` holds only str, bool, None, safe ints, lists and ASCII-keyed dicts
    (exact types: subclasses take the general path)."""
    stack = [v]
    while stack:
        x = stack.pop()
        t = type(x)
        if t is str or t is bool or x is None:
            continue
        if t is int:
            if not -_SAFE_INT < x < _SAFE_INT:
                return False
        elif t is dict:
            for k in x:
                if type(k) is not str or not k.isascii():
                    return False
            stack.extend(x.values())
        elif t is list:
            stack.extend(x)
        else:
            return False
    return True


def jcs_fast(obj: dict[str, Any]) -> bytes:
    """JCS bytes for manifest-shaped records (see module docstring); same output as :func:`jcs`."""
    if _fast_ok(obj):
        try:
            # copy: orjson's bytes keep a 4 KiB allocation, which adds up in sort buffers
            return bytes(memoryview(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)))
        except orjson.JSONEncodeError:  # lone surrogates
            pass
    return jcs(obj)


def jcs_known(obj: dict[str, Any]) -> bytes:
    """JCS bytes of a record poisonguard built itself from strings, safe integers, lists and
    objects with ASCII keys (manifest records): the fast path without the type walk."""
    try:
        return bytes(memoryview(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)))
    except orjson.JSONEncodeError:  # lone surrogates: let rfc8785 say what is wrong
        return jcs(obj)


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _reject_constant(name: str) -> Any:
    raise CanonicalError(f"{name} is not a JSON number")


def _pairs_no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise CanonicalError(f"duplicate JSON key {k!r}")
        out[k] = v
    return out


def noncanonical_reason(value: Any) -> str | None:
    """Why ``value`` (parsed JSON) has no single canonical form, or None when it has one.

    Non-finite numbers (``NaN``, ``1e400`` parsed as infinity) and strings or keys with lone
    surrogates cannot be written as RFC 8785 JSON, so parsers would disagree about them.
    """
    return _walk(value)[1]


_INF = float("inf")


def _walk(value: Any) -> tuple[int, str | None]:
    """``(number of object keys, why not canonical or None)`` in one pass over ``value``."""
    n_keys = 0
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        x = pop()
        t = type(x)
        if t is str:
            if not x.isascii() and _has_lone_surrogate(x):
                return n_keys, f"string with a lone surrogate ({x[:40]!r})"
        elif t is dict:
            n_keys += len(x)
            for k, v in x.items():
                if type(k) is str and not k.isascii() and _has_lone_surrogate(k):
                    return n_keys, f"key with a lone surrogate ({k[:40]!r})"
                push(v)
        elif t is list:
            extend(x)
        elif t is float:
            if x != x or x == _INF or x == -_INF:
                return n_keys, f"non-finite number ({x})"
        elif isinstance(x, str | dict | list | float):  # subclasses: the general path
            return _walk_general(x)
    return n_keys, None


def _walk_general(value: Any) -> tuple[int, str | None]:
    n_keys = 0
    stack = [value]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            if _has_lone_surrogate(x):
                return n_keys, f"string with a lone surrogate ({x[:40]!r})"
        elif isinstance(x, float):
            if x != x or x in (_INF, -_INF):
                return n_keys, f"non-finite number ({x})"
        elif isinstance(x, dict):
            n_keys += len(x)
            for k, v in x.items():
                if isinstance(k, str) and _has_lone_surrogate(k):
                    return n_keys, f"key with a lone surrogate ({k[:40]!r})"
                stack.append(v)
        elif isinstance(x, list):
            stack.extend(x)
    return n_keys, None


def record_reason(record: Any, raw: bytes | None) -> str | None:
    """Why a parsed record (and its JSON text ``raw``, when known) cannot be signed:
    non-canonical values (:func:`noncanonical_reason`) or repeated keys
    (:func:`duplicate_key_reason`).  One walk over the record."""
    n_keys, why = _walk(record)
    if why is None and raw is not None:
        why = _duplicates(raw, n_keys)
    return why


def _has_lone_surrogate(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def loads_strict(data: bytes | str) -> Any:
    """Parse JSON, refusing what parsers disagree on: duplicate keys, ``NaN``/``Infinity``,
    numbers out of range, lone surrogates.  Raises :class:`CanonicalError` (a ValueError)
    naming the problem, or ValueError for text that is not JSON at all."""
    try:
        value = json.loads(
            data, object_pairs_hook=_pairs_no_duplicates, parse_constant=_reject_constant
        )
    except RecursionError as e:
        raise CanonicalError("JSON nested too deeply") from e
    except UnicodeDecodeError as e:
        raise CanonicalError(f"not UTF-8: {e}") from e
    why = noncanonical_reason(value)
    if why:
        raise CanonicalError(why)
    return value


_KEY_END_SPACED = re.compile(rb'"[ \t\r\n]+:')


def duplicate_key_reason(raw: bytes, parsed: Any) -> str | None:
    """``"duplicate JSON key 'k'"`` when the JSON text ``raw`` repeats a key in an object.

    Fast path: every key in ``raw`` ends with ``"`` then ``:`` (optionally spaced), so when
    that pattern occurs no more often than ``parsed`` has keys, no key can repeat; otherwise
    (a ``":`` inside a string, or a real repeat) the text is re-parsed to be sure.
    """
    return _duplicates(raw, _walk(parsed)[0])


def _duplicates(raw: bytes, n_keys: int) -> str | None:
    # every key ends in '":' or '"<spaces>:'; count both forms (C-speed on the common one)
    if raw.count(b'":') <= n_keys and (
        raw.count(b'":') + len(_KEY_END_SPACED.findall(raw)) <= n_keys
        if b'" ' in raw or b'"\t' in raw or b'"\r' in raw or b'"\n' in raw
        else True
    ):
        return None
    try:
        json.loads(raw, object_pairs_hook=_pairs_no_duplicates)
    except CanonicalError as e:
        return str(e)
    except (ValueError, RecursionError) as e:  # fail closed: cannot tell
        return f"record cannot be re-read to check for duplicate keys ({e})"
    return None
