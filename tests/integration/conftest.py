"""One real embedded Postgres and Redis for the whole test session, migrated once."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from ideamine.paths import migrations_dir
from ideamine.runtime import services
from ideamine.store import db, migrations
from ideamine.store.ledger import Ledger
from ideamine.store.signing import Signer, load_signer


@pytest.fixture(scope="session")
def embedded_services() -> Iterator[dict[str, str]]:
    # A short path: Postgres' unix socket path must fit in ~107 bytes.
    home = Path(tempfile.mkdtemp(prefix="ideamine-test-"))
    saved = dict(os.environ)
    info = services.start(home)
    env = info.env()
    os.environ.update(env)
    try:
        with db.connection(db.LEDGER_ADMIN_CONN_ID) as conn:
            migrations.migrate(conn, migrations_dir(), app_role="ideamine_app")
        yield env
    finally:
        services.stop(home)
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def app_conn(embedded_services: dict[str, str]) -> Iterator[psycopg.Connection]:
    with db.connection(db.LEDGER_CONN_ID) as conn:
        yield conn


@pytest.fixture
def superuser_conn(embedded_services: dict[str, str]) -> Iterator[psycopg.Connection]:
    """A superuser connection: what an attacker with full database access could do."""
    with psycopg.connect(embedded_services["IDEAMINE_SUPERUSER_URI"], autocommit=True) as conn:
        yield conn


@pytest.fixture
def ledger(app_conn: psycopg.Connection) -> Ledger:
    return Ledger(app_conn)


@pytest.fixture
def run_id(ledger: Ledger) -> str:
    rid = f"test__{uuid.uuid4().hex[:12]}"
    ledger.ensure_run(rid, idea="a test idea for the ledger")
    return rid


@pytest.fixture(scope="session")
def signer(embedded_services: dict[str, str]) -> Signer:
    """The signer the ``ideamine`` command also uses: the local key under the session's IDEAMINE_HOME."""
    return load_signer()
