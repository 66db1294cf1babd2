"""Ed25519 signing keys for ledger heads and dossiers.

The key comes, in order, from the Airflow connection ``ideamine_signing`` (its password holds a PEM
private key, or the 32-byte seed in base64), the Airflow variable ``ideamine_signing_key`` (same
formats), or a key pair kept under ``$IDEAMINE_HOME/keys`` that is generated on first use — the
embedded default. Verification trusts the public half of that same key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ideamine.errors import SigningError
from ideamine.paths import ideamine_home

SIGNING_CONN_ID = "ideamine_signing"
SIGNING_VARIABLE = "ideamine_signing_key"
ALGORITHM = "ed25519"


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey
    source: str  # where the key came from, for messages

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode()

    def verify(self, message: bytes, signature_b64: str, key_fingerprint: str) -> bool:
        if key_fingerprint != self.fingerprint:
            return False
        try:
            self.public_key.verify(base64.b64decode(signature_b64, validate=True), message)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


def _parse_key(text: str, source: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise SigningError(f"{source}: the PEM key is not an Ed25519 private key")
            return key
        seed = base64.b64decode(text, validate=True)
        return Ed25519PrivateKey.from_private_bytes(seed)
    except SigningError:
        raise
    except (ValueError, TypeError, binascii.Error) as exc:
        raise SigningError(
            f"{source}: not a PEM Ed25519 private key or a base64 32-byte seed ({exc})"
        ) from exc


def _password_of(uri: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    password = urlsplit(uri).password
    return unquote(password) if password else None


def _configured_key_text() -> tuple[str, str] | None:
    """(key text, source) from the environment or Airflow, or None to use the local key."""
    from ideamine.store.db import env_connection_uri

    if value := os.environ.get(f"AIRFLOW_VAR_{SIGNING_VARIABLE.upper()}"):
        return value, f"variable {SIGNING_VARIABLE}"
    if (uri := env_connection_uri(SIGNING_CONN_ID)) is not None:
        if password := _password_of(uri):
            return password, f"connection {SIGNING_CONN_ID}"
        raise SigningError(f"connection {SIGNING_CONN_ID} has no password holding the key")
    if os.environ.get("IDEAMINE_SIGNING_KEY_SOURCE", "auto") == "local":
        return None
    try:  # kept in Airflow itself (metastore or a secrets backend)
        from airflow.sdk import Connection, Variable
    except ImportError:
        return None
    try:
        conn = Connection.get(SIGNING_CONN_ID)
        if conn.password:
            return conn.password, f"connection {SIGNING_CONN_ID}"
    except Exception:  # noqa: BLE001, S110 -- not defined there: try the variable
        pass
    try:
        value = Variable.get(SIGNING_VARIABLE, default=None)
    except Exception:  # noqa: BLE001 -- Airflow not configured here: use the local key
        return None
    return (str(value), f"variable {SIGNING_VARIABLE}") if value else None


def _local_key(keys_dir: Path) -> Ed25519PrivateKey:
    path = keys_dir / "ledger_ed25519.pem"
    if path.exists():
        return _parse_key(path.read_text(), str(path))
    keys_dir.mkdir(parents=True, exist_ok=True)
    keys_dir.chmod(0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    try:
        os.link(tmp, path)  # atomic, and loses cleanly to a concurrent first use
    except FileExistsError:
        tmp.unlink()
        return _parse_key(path.read_text(), str(path))
    tmp.unlink()
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (keys_dir / "ledger_ed25519.pub").write_bytes(pub)
    return key


def load_signer(*, keys_dir: Path | None = None) -> Signer:
    """The configured signer; with ``keys_dir``, the local key pair in that folder."""
    configured = None if keys_dir is not None else _configured_key_text()
    if configured is not None:
        text, source = configured
        signer = Signer(_parse_key(text, source), source)
    else:
        directory = keys_dir or ideamine_home() / "keys"
        signer = Signer(_local_key(directory), str(directory / "ledger_ed25519.pem"))
    return signer
