"""The model response cache in Postgres (table ``llm_cache``, migration 0005).

Insert-only: a key is written once (``ON CONFLICT DO NOTHING``), so concurrent agents that produced the
same answer, or a retried task, never conflict. The connection must be in autocommit mode.
"""

from __future__ import annotations

import re

import psycopg

from ideamine.errors import StoreError
from ideamine.llm.cache import CachedResponse

_KEY = re.compile(r"^[0-9a-f]{64}$")


def _check_key(key: str) -> None:
    if not _KEY.match(key):
        raise StoreError(f"llm cache key must be 64 lower-case hex characters, got {key!r}")


class LlmCacheStore:
    """:class:`ideamine.llm.cache.ResponseCache` over a psycopg connection."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def get(self, key: str) -> CachedResponse | None:
        _check_key(key)
        try:
            row = self.conn.execute(
                "SELECT model, response, tokens_in, tokens_out FROM llm_cache WHERE key = %s", (key,)
            ).fetchone()
        except psycopg.Error as exc:
            raise StoreError(f"llm cache read failed: {exc}".strip()) from exc
        if row is None:
            return None
        return CachedResponse(model=row[0], response=row[1], tokens_in=int(row[2]), tokens_out=int(row[3]))

    def put(self, key: str, entry: CachedResponse) -> bool:
        _check_key(key)
        try:
            row = self.conn.execute(
                """INSERT INTO llm_cache (key, model, response, tokens_in, tokens_out)
                   VALUES (%s, %s, %s, %s, %s)
                   ON CONFLICT (key) DO NOTHING
                   RETURNING key""",
                (key, entry.model, entry.response, entry.tokens_in, entry.tokens_out),
            ).fetchone()
        except psycopg.Error as exc:
            raise StoreError(f"llm cache write failed: {exc}".strip()) from exc
        return row is not None
