"""Events land in Postgres and on the run's Redis stream, in order, once; Redis down loses nothing."""

from __future__ import annotations

import pytest
import redis
from ideamine.store.events import EventBus, redis_client

pytestmark = pytest.mark.integration


def test_events_are_stored_and_streamed_in_order_once(app_conn, run_id):
    bus = EventBus(app_conn, redis_client())
    assert bus.redis is not None
    for kind in ("phase.started", "phase.progress", "phase.ready", "phase.gate.passed"):
        assert bus.emit(run_id, "intake", kind, {"phase": "intake"}, dedupe_key=f"intake:{kind}")
    assert not bus.emit(
        run_id, "intake", "phase.started", {"phase": "intake"}, dedupe_key="intake:phase.started"
    )
    stored = [e["type"] for e in bus.history(run_id)]
    streamed = [e["type"] for e in bus.stream(run_id)]
    assert stored == streamed == ["phase.started", "phase.progress", "phase.ready", "phase.gate.passed"]


def test_redis_down_still_stores_the_event(app_conn, run_id):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    bus = EventBus(app_conn, dead)
    assert bus.emit(run_id, "qa", "phase.started", {"phase": "qa"}, dedupe_key="qa:started")
    assert [e["type"] for e in bus.history(run_id)] == ["phase.started"]
