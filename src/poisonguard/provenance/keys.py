"""Ed25519 signing keys: generation, loading, key ids.

Private keys are PKCS#8 PEM files created with mode 0600 (``O_EXCL``: never overwritten),
optionally encrypted with a passphrase; their contents are never printed or logged.
Public keys are SubjectPublicKeyInfo PEM.  Key ids are securesystemslib's (SHA-256 of the
canonical key dict), so envelopes interoperate with securesystemslib / in-toto tooling.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from securesystemslib.signer import CryptoSigner, SSlibKey


class KeyError_(ValueError):
    """A key that cannot be created or used (the message says why, never the key)."""


@dataclass(frozen=True, slots=True)
class KeyPair:
    """Paths and key id of a generated key pair."""

    private_path: Path
    public_path: Path
    keyid: str


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as e:
        raise KeyError_(f"{path} already exists; refusing to overwrite a key") from e
    try:
        os.fchmod(fd, mode)  # umask cannot widen or narrow it
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def sslib_key(pem: str | bytes) -> SSlibKey:
    """The securesystemslib key (with key id) of an Ed25519 public key in PEM."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as e:
        raise KeyError_(f"not a PEM public key: {e}") from e
    if not isinstance(key, Ed25519PublicKey):
        raise KeyError_(f"only Ed25519 keys are supported, got {type(key).__name__}")
    return SSlibKey.from_crypto(key)


def generate_keypair(
    prefix: str | os.PathLike[str],
    passphrase: bytes | None = None,
) -> KeyPair:
    """Create ``PREFIX.key`` (private, 0600) and ``PREFIX.pub``; returns their key id."""
    base = Path(prefix)
    priv_path = base.with_name(base.name + ".key")
    pub_path = base.with_name(base.name + ".pub")
    for p in (priv_path, pub_path):
        if p.exists():
            raise KeyError_(f"{p} already exists; refusing to overwrite a key")
    base.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    _write_new(priv_path, pem, 0o600)
    pub_pem = public_key_pem(private.public_key())
    _write_new(pub_path, pub_pem.encode("ascii"), 0o644)
    return KeyPair(priv_path, pub_path, SSlibKey.from_crypto(private.public_key()).keyid)


def load_signer(path: str | os.PathLike[str], passphrase: bytes | None = None) -> CryptoSigner:
    """A signer from an Ed25519 private key file.

    Refuses a key file readable by group or others (like ssh does).
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError as e:
        raise KeyError_(f"no such private key file: {p}") from e
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyError_(
            f"private key {p} is accessible by group/others (mode "
            f"{stat.S_IMODE(st.st_mode):o}); run: chmod 600 {p}"
        )
    try:
        key = serialization.load_pem_private_key(p.read_bytes(), password=passphrase)
    except TypeError as e:
        raise KeyError_(f"private key {p}: passphrase missing or not needed ({e})") from e
    except ValueError as e:
        raise KeyError_(
            f"cannot load private key {p}: wrong passphrase or not a PEM private key"
        ) from e
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyError_(f"{p}: only Ed25519 keys are supported, got {type(key).__name__}")
    return CryptoSigner(key)
