"""Test-wide settings and the session's real services. Real model hosts are unreachable by design.

One embedded Postgres and Redis serve the whole session (integration and system tests), migrated once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

# Signing keys and data of the tests never come from, or go to, a developer's own setup.
os.environ["IDEAMINE_SIGNING_KEY_SOURCE"] = "local"
for name in list(os.environ):
    if name.startswith(("AIRFLOW_CONN_IDEAMINE", "AIRFLOW_VAR_IDEAMINE")):
        del os.environ[name]

# Real model hosts are unreachable from the suite: only loopback servers the tests start may answer.
os.environ["IDEAMINE_ALLOW_REMOTE_MODELS"] = "0"

# Airflow reads its settings at import: give the suite its own home, never the developer's.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="ideamine-airflow-home-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "dags")
os.environ.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)


import pydantic_ai.models  # noqa: E402

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False  # tests that talk to the loopback server switch it on

from ideamine.paths import migrations_dir  # noqa: E402 - after the environment above
from ideamine.runtime import services  # noqa: E402
from ideamine.store import db, migrations  # noqa: E402
from ideamine.store.ledger import Ledger  # noqa: E402
from ideamine.store.signing import Signer, load_signer  # noqa: E402


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
