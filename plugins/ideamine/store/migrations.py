"""Ordered SQL migrations, each applied once in its own transaction and pinned by checksum.

Files are named ``NNNN_description.sql``. ``schema_migrations`` records the version, name and SHA-256
of every applied file; a later edit to an applied file is refused rather than silently ignored.
After migrating, the application role gets exactly the privileges it needs and no more.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from ideamine.errors import MigrationError

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 0x1DEA_0001  # advisory lock: one migrator at a time

# Tables the application may change rows in; everything else is insert-and-read only for it.
_APP_UPDATABLE = ("runs", "phases", "tasks", "checkpoints", "assumptions", "waivers")
_APP_DELETABLE = ("checkpoints",)
_LEDGER_TABLES = ("ledger", "ledger_heads")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    checksum: str


def discover(directory: Path) -> list[Migration]:
    """The migrations in ``directory``, in version order. Badly named or duplicate versions are errors."""
    if not directory.is_dir():
        raise MigrationError(f"migrations directory not found: {directory}")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files must be named NNNN_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path}: version {version} is also used by {found[version].name}")
        text = path.read_text(encoding="utf-8")
        found[version] = Migration(version, path.name, text, hashlib.sha256(text.encode()).hexdigest())
    return [found[v] for v in sorted(found)]


def _ensure_table(conn: psycopg.Connection) -> None:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version     integer PRIMARY KEY,
               name        text NOT NULL,
               checksum    char(64) NOT NULL,
               applied_at  timestamptz NOT NULL DEFAULT now())"""
    )


def applied(conn: psycopg.Connection) -> dict[int, tuple[str, str]]:
    """Applied migrations by version: (name, checksum). Empty on a fresh database."""
    if conn.execute("SELECT to_regclass('schema_migrations')").fetchone() == (None,):
        return {}
    rows = conn.execute("SELECT version, name, checksum FROM schema_migrations").fetchall()
    return {v: (n, c) for v, n, c in rows}


def migrate(conn: psycopg.Connection, directory: Path, *, app_role: str | None = None) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date).

    ``conn`` must be in autocommit mode; each migration gets its own transaction. ``app_role`` is the
    role the application connects as; it is granted read/insert privileges and the ledger append
    function, never UPDATE, DELETE or TRUNCATE on the ledger.
    """
    migrations = discover(directory)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        _ensure_table(conn)
    done: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        recorded = applied(conn)
        on_disk = {m.version: m for m in migrations}
        for version, (name, checksum) in sorted(recorded.items()):
            m = on_disk.get(version)
            if m is None:
                raise MigrationError(f"migration {name} was applied but is missing from {directory}")
            if m.checksum != checksum:
                raise MigrationError(
                    f"{directory / m.name} was edited after it was applied "
                    f"(recorded sha256 {checksum[:12]}…, file {m.checksum[:12]}…); "
                    f"add a new migration instead of changing an applied one"
                )
        for m in migrations:
            if m.version in recorded:
                continue
            try:
                with conn.transaction():
                    conn.execute(m.sql.encode())  # bytes: no client-side parameter parsing
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (m.version, m.name, m.checksum),
                    )
            except psycopg.Error as exc:
                raise MigrationError(f"{m.name} failed: {exc}".strip()) from exc
            done.append(m.name)
        if app_role:
            grant_app_role(conn, app_role)
    return done


def grant_app_role(conn: psycopg.Connection, role: str) -> None:
    """Give ``role`` what the application needs. The ledger is written only through ``ledger_append``."""
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if not exists:
        raise MigrationError(f"application role {role!r} does not exist")
    owner = conn.execute("SELECT current_user").fetchone()
    if owner and owner[0] == role:
        return  # the owner is the application: triggers alone keep the ledger append-only
    r = sql.Identifier(role)
    tables = [
        t
        for (t,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
        ).fetchall()
    ]
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(r))
    conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(r))
    for table in sorted(tables):
        t = sql.Identifier(table)
        if table in _LEDGER_TABLES:
            conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(t, r))
            continue
        privileges = ["SELECT", "INSERT"]
        if table in _APP_UPDATABLE:
            privileges.append("UPDATE")
        if table in _APP_DELETABLE:
            privileges.append("DELETE")
        conn.execute(
            sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(", ").join(map(sql.SQL, privileges)), t, r)
        )
    for function in ("ledger_append(text)", "ledger_append_many(text[])"):
        conn.execute(sql.SQL("REVOKE ALL ON FUNCTION {} FROM PUBLIC").format(sql.SQL(function)))
        conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(sql.SQL(function), r))
    conn.execute(sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}").format(r))
