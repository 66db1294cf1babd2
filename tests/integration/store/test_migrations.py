"""Migrations on a fresh database: ordered, recorded with checksums, idempotent, edit-proof."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from ideamine.errors import MigrationError
from ideamine.paths import migrations_dir
from ideamine.store import db, migrations

pytestmark = pytest.mark.integration

EXPECTED_TABLES = {
    "runs",
    "phases",
    "tasks",
    "checkpoints",
    "events",
    "assumptions",
    "evidence_packs",
    "ledger",
    "ledger_heads",
    "phase_metrics",
    "artifacts",
    "artifact_blobs",
    "artifact_inputs",
    "waivers",
    "release_dossiers",
    "knowledge_frames",
    "schema_migrations",
}


@pytest.fixture
def fresh_db(superuser_conn: psycopg.Connection) -> Iterator[psycopg.Connection]:
    name = f"migtest_{uuid.uuid4().hex[:10]}"
    superuser_conn.execute(f'CREATE DATABASE "{name}" OWNER ideamine_owner')
    parts = urlsplit(db.connection_uri(db.LEDGER_ADMIN_CONN_ID))
    uri = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    try:
        with psycopg.connect(uri, autocommit=True) as conn:
            yield conn
    finally:
        superuser_conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_migrate_creates_every_table_and_is_idempotent(fresh_db: psycopg.Connection):
    applied = migrations.migrate(fresh_db, migrations_dir(), app_role="ideamine_app")
    assert applied == [m.name for m in migrations.discover(migrations_dir())]
    tables = {r[0] for r in fresh_db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert tables >= EXPECTED_TABLES
    assert migrations.migrate(fresh_db, migrations_dir(), app_role="ideamine_app") == []
    recorded = migrations.applied(fresh_db)
    assert sorted(recorded) == [m.version for m in migrations.discover(migrations_dir())]


def test_an_edited_applied_migration_is_refused(fresh_db: psycopg.Connection, tmp_path: Path):
    copy = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), copy)
    migrations.migrate(fresh_db, copy)
    first = sorted(copy.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- a harmless-looking edit\n")
    with pytest.raises(MigrationError, match=re.escape(f"{first.name} was edited after it was applied")):
        migrations.migrate(fresh_db, copy)


def test_a_failing_migration_rolls_back_and_names_the_file(fresh_db: psycopg.Connection, tmp_path: Path):
    copy = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), copy)
    (copy / "9999_broken.sql").write_text("CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n")
    with pytest.raises(MigrationError, match=r"9999_broken\.sql failed"):
        migrations.migrate(fresh_db, copy)
    assert fresh_db.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
    assert 9999 not in migrations.applied(fresh_db)


def test_badly_named_file_is_refused(tmp_path: Path):
    (tmp_path / "add_things.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_description\.sql"):
        migrations.discover(tmp_path)
