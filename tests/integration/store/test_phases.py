"""Phase rows and budget counters on the real Postgres: concurrent charges, retries, cleared tries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from ideamine.store import db
from ideamine.store.phases import PhaseStore

pytestmark = pytest.mark.integration


def test_concurrent_charges_all_count_and_a_repeated_key_counts_once(app_conn, run_id):
    store = PhaseStore(app_conn)
    assert store.start(run_id, "prd", budgets={"tokens": 1000}, plan_hash="a" * 64, try_number=1)

    def charge(i: int) -> bool:
        with db.connection() as conn:
            return PhaseStore(conn).charge(
                run_id,
                "prd",
                f"unit-{i % 40}",
                model="offline",
                tokens_in=3,
                tokens_out=2,
                tool_seconds=0.5,
                usd=0.0,
                estimated=True,
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        inserted = list(pool.map(charge, range(80)))
    assert sum(inserted) == 40  # each key charged once, whichever thread won
    usage = store.usage(run_id, "prd")
    assert usage.tokens == 40 * 5
    assert usage.tool_seconds == pytest.approx(40 * 0.5)


def test_a_new_try_resets_state_and_counters_but_a_repeated_start_does_not(app_conn, run_id):
    store = PhaseStore(app_conn)
    store.start(run_id, "intake", budgets={}, plan_hash="b" * 64, try_number=1)
    store.set_state(run_id, "intake", "artifacts", {"IdeaSpec": "x"})
    store.charge(
        run_id, "intake", "k", model="m", tokens_in=10, tokens_out=0, tool_seconds=0, usd=0, estimated=True
    )
    assert not store.start(run_id, "intake", budgets={}, plan_hash="b" * 64, try_number=1)
    assert store.state(run_id, "intake") == {"artifacts": {"IdeaSpec": "x"}}
    assert store.start(run_id, "intake", budgets={}, plan_hash="b" * 64, try_number=2)
    assert store.state(run_id, "intake") == {}
    assert store.usage(run_id, "intake").tokens == 0


def test_artifact_ids_follow_the_given_phase_order(app_conn, run_id):
    store = PhaseStore(app_conn)
    for phase, ident in (("a", "1"), ("b", "2")):
        store.start(run_id, phase, budgets={}, plan_hash="c" * 64, try_number=1)
        store.set_state(run_id, phase, "artifacts", {"T": ident, f"only-{phase}": ident})
    assert store.artifact_ids(run_id, ["a", "b"]) == {"T": "2", "only-a": "1", "only-b": "2"}
    assert store.artifact_ids(run_id, ["b", "a"])["T"] == "1"
