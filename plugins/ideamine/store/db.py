"""Connections to our own Postgres, named by Airflow connection id.

The ledger and stores connect with psycopg 3. A connection id is resolved the way Airflow resolves it
(an ``AIRFLOW_CONN_<ID>`` environment variable first, then Airflow's secrets backends), but without
importing Airflow when the environment already has the answer, so the CLI stays fast.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from ideamine.core.uris import mask_uri
from ideamine.errors import StoreError

LEDGER_CONN_ID = "ideamine_ledger"
LEDGER_ADMIN_CONN_ID = "ideamine_ledger_admin"


def _from_fields(
    conn_type: str, host: str, login: str | None, password: str | None, port: int | None, schema: str | None
) -> str:
    scheme = "postgresql" if conn_type in ("postgres", "postgresql", "") else conn_type
    auth = ""
    if login or password:
        auth = quote(login or "", safe="")
        if password:
            auth += ":" + quote(password, safe="")
        auth += "@"
    netloc = auth + (host or "") + (f":{port}" if port else "")
    return f"{scheme}://{netloc}/{quote(schema or '', safe='')}"


def _normalise_uri(uri: str) -> str:
    """Turn an Airflow connection URI into one libpq accepts (drop Airflow's ``__extra__`` query)."""
    parts = urlsplit(uri)
    scheme = parts.scheme.replace("+psycopg", "").replace("+psycopg2", "")
    if scheme == "postgres":
        scheme = "postgresql"
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("__extra__"))
    return urlunsplit((scheme, parts.netloc, parts.path, query, ""))


def env_connection_uri(conn_id: str) -> str | None:
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if not raw:
        return None
    raw = raw.strip()
    if raw.startswith("{"):
        try:
            fields = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise StoreError(
                f"AIRFLOW_CONN_{conn_id.upper()} is neither a URI nor valid JSON: {exc}"
            ) from exc
        return _from_fields(
            fields.get("conn_type", "postgres"),
            fields.get("host", ""),
            fields.get("login"),
            fields.get("password"),
            fields.get("port"),
            fields.get("schema"),
        )
    return _normalise_uri(raw)


def connection_uri(conn_id: str) -> str:
    """A libpq URI for the Airflow connection ``conn_id``; raises StoreError when it is not defined."""
    uri = env_connection_uri(conn_id)
    if uri is not None:
        return uri
    try:
        from airflow.sdk import Connection  # Airflow only when the environment cannot answer

        conn = Connection.get(conn_id)
    except Exception as exc:
        raise StoreError(
            f"Airflow connection {conn_id!r} is not defined: set AIRFLOW_CONN_{conn_id.upper()} "
            f"(e.g. `source .ideamine/env` after `ideamine services start`) or add it in Airflow"
        ) from exc
    return _from_fields(
        conn.conn_type or "postgres", conn.host or "", conn.login, conn.password, conn.port, conn.schema
    )


def has_connection(conn_id: str) -> bool:
    try:
        connection_uri(conn_id)
    except StoreError:
        return False
    return True


def connect(conn_id: str = LEDGER_CONN_ID, *, autocommit: bool = True) -> psycopg.Connection:
    """Open a psycopg connection for ``conn_id``. Connection failures become StoreError."""
    uri = connection_uri(conn_id)
    try:
        return psycopg.connect(uri, autocommit=autocommit, application_name="ideamine", connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise StoreError(f"cannot connect to {conn_id!r} ({mask_uri(uri)}): {exc}".strip()) from exc


@contextmanager
def connection(conn_id: str = LEDGER_CONN_ID) -> Iterator[psycopg.Connection]:
    conn = connect(conn_id)
    try:
        yield conn
    finally:
        conn.close()


def admin_conn_id() -> str:
    """Migrations run as the schema owner when that connection exists, else as the ledger connection."""
    return LEDGER_ADMIN_CONN_ID if has_connection(LEDGER_ADMIN_CONN_ID) else LEDGER_CONN_ID
