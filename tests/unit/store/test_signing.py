"""Where the signing key comes from, and what a signature proves."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ideamine.errors import SigningError
from ideamine.store.signing import load_signer


def seed_b64(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def test_local_key_is_generated_once_with_private_permissions(tmp_path: Path):
    first = load_signer(keys_dir=tmp_path / "keys")
    again = load_signer(keys_dir=tmp_path / "keys")
    assert first.fingerprint == again.fingerprint
    assert (tmp_path / "keys" / "ledger_ed25519.pem").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700


def test_key_from_an_airflow_variable(monkeypatch: pytest.MonkeyPatch):
    key = Ed25519PrivateKey.generate()
    monkeypatch.setenv("AIRFLOW_VAR_IDEAMINE_SIGNING_KEY", seed_b64(key))
    signer = load_signer()
    assert signer.source == "variable ideamine_signing_key"
    assert signer.private_key.public_key().public_bytes_raw() == key.public_key().public_bytes_raw()


def test_key_from_an_airflow_connection_password(monkeypatch: pytest.MonkeyPatch):
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDEAMINE_SIGNING",
        f'{{"conn_type": "generic", "password": {pem!r}}}'.replace("'", '"').replace("\n", "\\n"),
    )
    signer = load_signer()
    assert signer.source == "connection ideamine_signing"
    assert signer.private_key.public_key().public_bytes_raw() == key.public_key().public_bytes_raw()


def test_a_malformed_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AIRFLOW_VAR_IDEAMINE_SIGNING_KEY", "not a key")
    with pytest.raises(SigningError, match="variable ideamine_signing_key: not a PEM Ed25519 private key"):
        load_signer()


def test_signature_verifies_only_for_the_same_message_and_key(tmp_path: Path):
    signer = load_signer(keys_dir=tmp_path / "a")
    other = load_signer(keys_dir=tmp_path / "b")
    value = signer.sign(b"head")
    assert signer.verify(b"head", value, signer.fingerprint)
    assert not signer.verify(b"head!", value, signer.fingerprint)
    assert not other.verify(b"head", value, signer.fingerprint)
    assert not signer.verify(b"head", "%%%", signer.fingerprint)
