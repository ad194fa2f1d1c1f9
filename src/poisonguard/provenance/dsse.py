"""DSSE envelopes (``application/vnd.in-toto+json``) with several Ed25519 signatures.

Signing uses securesystemslib's :class:`~securesystemslib.dsse.Envelope` (PAE per the DSSE
spec).  :func:`verify_envelope` checks every signature itself so that the report can say
exactly which signature is valid, invalid, or from a key that is not pinned, and whether the
number of distinct valid pinned keys reaches the threshold.
"""

from __future__ import annotations

import base64
import binascii
import copy
from dataclasses import dataclass, field
from typing import Any

from securesystemslib import dsse
from securesystemslib.exceptions import (
    FormatError,
    UnverifiedSignatureError,
    VerificationError,
)
from securesystemslib.signer import Signature, Signer, SSlibKey

from poisonguard.provenance.canonical import jcs, loads_strict

PAYLOAD_TYPE = "application/vnd.in-toto+json"


class EnvelopeError(ValueError):
    """An envelope that is not a well-formed DSSE envelope."""


def sign_statement(statement: dict[str, Any], signers: list[Signer]) -> dict[str, Any]:
    """A DSSE envelope over the JCS bytes of ``statement``, signed by every signer."""
    if not signers:
        raise ValueError("at least one signing key is needed")
    env = dsse.Envelope(jcs(statement), PAYLOAD_TYPE, {})
    for s in signers:
        env.sign(s)
    return env.to_dict()


def add_signatures(envelope: dict[str, Any], signers: list[Signer]) -> dict[str, Any]:
    """Co-sign an existing envelope (payload unchanged)."""
    env = _parse(envelope)
    for s in signers:
        env.sign(s)
    return env.to_dict()


def _parse(envelope: Any) -> dsse.Envelope:
    if not isinstance(envelope, dict):
        raise EnvelopeError("attestation is not a JSON object (DSSE envelope expected)")
    for key in ("payload", "payloadType", "signatures"):
        if key not in envelope:
            raise EnvelopeError(f"DSSE envelope has no {key!r}")
    try:  # from_dict rewrites the signatures in place: give it a copy
        return dsse.Envelope.from_dict(copy.deepcopy(envelope))
    except (KeyError, TypeError, ValueError, binascii.Error, FormatError) as e:
        raise EnvelopeError(f"malformed DSSE envelope: {e}") from e


@dataclass
class EnvelopeResult:
    """Outcome of :func:`verify_envelope`."""

    payload_type: str = ""
    threshold: int = 1
    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    unpinned: list[str] = field(default_factory=list)
    statement: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def signatures_ok(self) -> bool:
        return len(self.valid) >= self.threshold

    @property
    def ok(self) -> bool:
        return self.signatures_ok and not self.problems and self.statement is not None

    def summary(self) -> str:
        parts = [f"{len(self.valid)} valid pinned signature(s), threshold {self.threshold}"]
        if self.invalid:
            parts.append(f"invalid: {', '.join(k[:16] for k in self.invalid)}")
        if self.unpinned:
            parts.append(f"from unpinned keys: {', '.join(k[:16] for k in self.unpinned)}")
        return "; ".join(parts + self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "payload_type": self.payload_type,
            "threshold": self.threshold,
            "valid_keyids": self.valid,
            "invalid_keyids": self.invalid,
            "unpinned_keyids": self.unpinned,
            "problems": self.problems,
        }


def verify_envelope(
    envelope: Any,
    keys: dict[str, SSlibKey],
    threshold: int,
) -> EnvelopeResult:
    """Check type and signatures against pinned ``keys``; decode the statement.

    Only signatures that verify under a pinned key count, each key at most once.  The
    statement is returned only from an envelope whose payload type is in-toto JSON.
    """
    res = EnvelopeResult(threshold=threshold)
    if threshold < 1:
        res.problems.append("policy threshold must be at least 1")
    if not isinstance(envelope, dict) or not all(
        k in envelope for k in ("payload", "payloadType", "signatures")
    ):
        raise EnvelopeError("not a DSSE envelope (payload, payloadType, signatures expected)")
    raw_sigs = envelope["signatures"] if isinstance(envelope["signatures"], list) else []
    if not isinstance(envelope["payload"], str) or not isinstance(envelope["payloadType"], str):
        raise EnvelopeError("DSSE payload and payloadType must be strings")
    try:
        payload = b64decode_any(envelope["payload"])
    except ValueError as e:
        raise EnvelopeError(f"DSSE payload is not base64: {e}") from e
    env = dsse.Envelope(payload, envelope["payloadType"], {})
    res.payload_type = env.payload_type
    if env.payload_type != PAYLOAD_TYPE:
        res.problems.append(f"payloadType is {env.payload_type!r}, expected {PAYLOAD_TYPE!r}")
    pae = env.pae()
    # securesystemslib keeps one signature per keyid; look at the raw list too
    sigs = [
        Signature(keyid=str(s.get("keyid", "")), sig=_hex_sig(s.get("sig", "")))
        for s in raw_sigs
        if isinstance(s, dict)
    ]
    if not sigs:
        res.problems.append("envelope carries no signatures")
    for sig in sigs:
        candidates = (
            [keys[sig.keyid]]
            if sig.keyid in keys
            else (list(keys.values()) if not sig.keyid else [])
        )
        if not candidates:
            if sig.keyid not in res.unpinned:
                res.unpinned.append(sig.keyid)
            continue
        for key in candidates:
            try:
                key.verify_signature(Signature(key.keyid, sig.signature), pae)
            except (UnverifiedSignatureError, VerificationError, ValueError):
                continue
            if key.keyid not in res.valid:
                res.valid.append(key.keyid)
            break
        else:
            res.invalid.append(sig.keyid or "<no keyid>")
    try:
        statement = loads_strict(env.payload)
    except ValueError as e:  # incl. duplicate keys, NaN, lone surrogates
        res.problems.append(f"payload is not acceptable JSON: {e}")
        return res
    if not isinstance(statement, dict):
        res.problems.append("payload is not a JSON object")
        return res
    res.statement = statement
    return res


def b64decode_any(text: str) -> bytes:
    """Decode standard or URL-safe base64, padded or not (DSSE allows both encodings).

    Strict otherwise: any character outside the alphabet is an error (ValueError).
    """
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not an ASCII base64 string")
    if "-" in text or "_" in text:
        if "+" in text or "/" in text:
            raise ValueError("mixes the standard and URL-safe base64 alphabets")
        text = text.replace("-", "+").replace("_", "/")
    text = text + "=" * (-len(text) % 4) if "=" not in text else text
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(str(e)) from e


def _hex_sig(b64: Any) -> str:
    """DSSE carries base64 signatures; securesystemslib's Signature wants hex."""
    try:
        return b64decode_any(b64).hex()
    except ValueError:
        return ""
