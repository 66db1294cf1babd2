"""Phase events: stored in Postgres, then published to the run's Redis stream.

Postgres is the record; Redis is the live feed. Each event has a dedupe key, so a retried task does not
publish twice. When Redis is down the event is still stored and the run goes on.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ideamine.core.canonical import canonical_json

log = logging.getLogger(__name__)

REDIS_CONN_ID = "ideamine_redis"
PHASE_EVENTS = (
    "phase.started",
    "phase.progress",
    "phase.stalled",
    "phase.ready",
    "phase.gate.passed",
    "phase.gate.failed",
    "phase.error",
)


def stream_key(run_id: str) -> str:
    return f"ideamine:events:{run_id}"


def redis_client() -> Any | None:
    """A redis-py client for the ``ideamine_redis`` connection, or None when none is configured."""
    uri = os.environ.get("AIRFLOW_CONN_" + REDIS_CONN_ID.upper())
    if not uri:
        try:
            from airflow.sdk import Connection

            uri = Connection.get(REDIS_CONN_ID).get_uri()
        except Exception:  # noqa: BLE001 - no connection means no live feed, never a failed task
            return None
    import redis

    return redis.Redis.from_url(uri, socket_timeout=2, socket_connect_timeout=2)


class EventBus:
    def __init__(self, conn: psycopg.Connection, redis: Any | None = None) -> None:
        self.conn = conn
        self.redis = redis

    def emit(
        self, run_id: str, phase: str | None, event_type: str, payload: dict[str, Any], *, dedupe_key: str
    ) -> bool:
        """Store the event and publish it; False when the dedupe key was already used."""
        row = self.conn.execute(
            """INSERT INTO events (run_id, phase, event_type, payload, dedupe_key)
               VALUES (%s, %s, %s, %s, %s) ON CONFLICT (run_id, dedupe_key) DO NOTHING RETURNING id""",
            (run_id, phase, event_type, Jsonb(payload), dedupe_key),
        ).fetchone()
        if row is None:
            return False
        if self.redis is not None:
            event = {"type": event_type, "keys": {"run_id": run_id, "phase": phase}, "payload": payload}
            try:
                self.redis.xadd(stream_key(run_id), {"id": str(row[0]), "event": canonical_json(event)})
            except Exception as exc:  # noqa: BLE001 - Redis down: the event is stored, the run goes on
                log.warning("event %s not published to Redis (stored in Postgres): %s", event_type, exc)
        return True

    def history(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, phase, event_type, payload, created_at FROM events WHERE run_id = %s ORDER BY id",
            (run_id,),
        ).fetchall()
        return [
            {"id": r[0], "phase": r[1], "type": r[2], "payload": r[3], "created_at": r[4].isoformat()}
            for r in rows
        ]

    def stream(self, run_id: str) -> list[dict[str, Any]]:
        """The run's Redis stream, oldest first (empty when Redis is not configured)."""
        if self.redis is None:
            return []
        return [json.loads(fields[b"event"]) for _, fields in self.redis.xrange(stream_key(run_id))]
