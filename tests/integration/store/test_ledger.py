"""The ledger against a real Postgres: appends, idempotency, queries, privileges, signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from ideamine.core.ledger_models import (
    ArtifactData,
    CostData,
    DecisionData,
    GateData,
    TaskData,
)
from ideamine.errors import LedgerError
from ideamine.store.ledger import Ledger, NewEntry
from ideamine.store.signing import Signer, load_signer

pytestmark = pytest.mark.integration


def task(i: int, phase: str = "intake") -> TaskData:
    return TaskData(task_id=f"t{i}", phase=phase, type="agent", target="IntakeAgent", duration_ms=i)


def test_append_assigns_consecutive_sequence_numbers_and_chains(ledger: Ledger, run_id: str, signer: Signer):
    results = [
        ledger.append(run_id, task(i), who="IntakeAgent", idempotency_key=f"task:{i}") for i in range(5)
    ]
    assert [r.seq for r in results] == [1, 2, 3, 4, 5]
    assert all(r.inserted for r in results)
    assert ledger.head(run_id) == (5, results[-1].chain_hash)
    assert ledger.verify(run_id, signer=signer).ok


def test_retried_append_with_same_key_is_a_no_op(ledger: Ledger, run_id: str):
    first = ledger.append(run_id, task(1), who="IntakeAgent", idempotency_key="task:1")
    again = ledger.append(run_id, task(1), who="IntakeAgent", idempotency_key="task:1")
    assert (again.id, again.seq, again.chain_hash) == (first.id, first.seq, first.chain_hash)
    assert first.inserted
    assert not again.inserted
    assert ledger.count(run_id) == 1


def test_six_entry_types_with_provenance_round_trip(ledger: Ledger, run_id: str, signer: Signer):
    ledger.append(
        run_id, task(1), who="IntakeAgent", idempotency_key="k1", tool_version="offline@1", inputs=["a1"]
    )
    ledger.append(
        run_id,
        GateData(phase="intake", passed=True, score=0.9, attempt=1),
        who="gatekeeper-intake",
        idempotency_key="k2",
    )
    ledger.append(
        run_id,
        DecisionData(phase="intake", decision_type="waiver", outcome="applied"),
        who="orchestrator",
        idempotency_key="k3",
    )
    ledger.append(
        run_id,
        ArtifactData(id="a1", phase="intake", type="IdeaSpec", size=3, hash="0" * 64),
        who="IntakeAgent",
        idempotency_key="k4",
    )
    ledger.append(
        run_id,
        CostData(phase="intake", model="offline", tokens_in=10, tokens_out=20, estimated=True),
        who="IntakeAgent",
        idempotency_key="k5",
    )
    ledger.sign_head(run_id, signer, reason="test")
    entries = ledger.query(run_id)
    assert [e.type for e in entries] == ["task", "gate", "decision", "artifact", "cost", "signature"]
    first = entries[0]
    assert first.provenance["who"] == "IntakeAgent"
    assert first.provenance["tool_version"] == "offline@1"
    assert first.provenance["inputs"] == ["a1"]
    assert datetime.fromisoformat(first.provenance["when"]) <= datetime.now(UTC)
    assert entries[-1].data["seq"] == 5
    assert ledger.verify(run_id, signer=signer, require_signed_head=True).ok


def test_query_filters_by_type_time_and_limit(ledger: Ledger, run_id: str):
    for i in range(4):
        ledger.append(run_id, task(i), who="a", idempotency_key=f"t{i}")
    ledger.append(
        run_id, GateData(phase="intake", passed=False, score=0.2, attempt=1), who="g", idempotency_key="g1"
    )
    assert [e.seq for e in ledger.query(run_id, types=["gate"])] == [5]
    assert [e.seq for e in ledger.query(run_id, limit=2)] == [1, 2]
    everything = ledger.query(run_id)
    cut = everything[2].recorded_at
    assert [e.seq for e in ledger.query(run_id, since=cut)] == [3, 4, 5]
    assert [e.seq for e in ledger.query(run_id, until=cut)] == [1, 2]
    assert ledger.query(run_id, since=datetime.now(UTC) + timedelta(hours=1)) == []
    with pytest.raises(LedgerError, match="unknown ledger entry type"):
        ledger.query(run_id, types=["bogus"])


def test_append_many_commits_all_in_order(ledger: Ledger, run_id: str, signer: Signer):
    out = ledger.append_many(run_id, [NewEntry(task(i), "a", f"b{i}") for i in range(50)])
    assert [a.seq for a in out] == list(range(1, 51))
    again = ledger.append_many(run_id, [NewEntry(task(i), "a", f"b{i}") for i in range(45, 55)])
    assert [a.inserted for a in again] == [False] * 5 + [True] * 5
    assert ledger.count(run_id) == 55
    assert ledger.verify(run_id, signer=signer).ok


def test_append_to_unknown_run_is_a_clear_error(ledger: Ledger):
    with pytest.raises(LedgerError, match="does not exist"):
        ledger.append("no-such-run", task(1), who="a", idempotency_key="x")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger SET body = body",
        "DELETE FROM ledger",
        "TRUNCATE ledger",
        "UPDATE ledger_heads SET seq = 0",
        "DELETE FROM ledger_heads",
    ],
)
def test_application_role_cannot_change_the_ledger(
    app_conn: psycopg.Connection, ledger: Ledger, run_id: str, statement: str
):
    ledger.append(run_id, task(1), who="a", idempotency_key="k")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(statement)
    assert ledger.count(run_id) == 1


def test_application_role_holds_no_update_delete_or_truncate_privilege(app_conn: psycopg.Connection):
    rows = app_conn.execute(
        """SELECT t, p, has_table_privilege(current_user, t, p)
             FROM unnest(ARRAY['ledger', 'ledger_heads']) t,
                  unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) p"""
    ).fetchall()
    assert len(rows) == 6
    assert not any(granted for _, _, granted in rows)


@pytest.mark.parametrize(
    "statement", ["UPDATE ledger SET body = body", "DELETE FROM ledger", "TRUNCATE ledger"]
)
def test_triggers_reject_changes_even_by_a_superuser(
    superuser_conn: psycopg.Connection, ledger: Ledger, run_id: str, statement: str
):
    ledger.append(run_id, task(1), who="a", idempotency_key="k")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        superuser_conn.execute(statement)


def test_signature_by_another_key_fails_verification(ledger: Ledger, run_id: str, signer: Signer, tmp_path):
    ledger.append(run_id, task(1), who="a", idempotency_key="k")
    impostor = load_signer(keys_dir=tmp_path / "other")
    ledger.sign_head(run_id, impostor, reason="end")
    result = ledger.verify(run_id, signer=signer)
    assert not result.ok
    assert result.first_bad_seq == 2
    assert "not valid under the trusted key" in result.reason


def test_signing_the_same_head_twice_is_idempotent_and_a_moved_head_is_signed_again(
    ledger: Ledger, run_id: str, signer: Signer
):
    ledger.append(run_id, task(1), who="a", idempotency_key="k1")
    first = ledger.sign_head(run_id, signer, reason="gate:intake")
    assert ledger.sign_head(run_id, signer, reason="gate:intake").inserted is False
    ledger.append(run_id, task(2), who="a", idempotency_key="k2")
    second = ledger.sign_head(run_id, signer, reason="gate:intake")
    assert (first.seq, second.seq) == (2, 4)
    assert ledger.verify(run_id, signer=signer, require_signed_head=True).signed_through == 3


def test_ended_run_requires_a_signed_head(ledger: Ledger, run_id: str, signer: Signer):
    ledger.append(run_id, task(1), who="a", idempotency_key="k1")
    ledger.finish_run(run_id, "success")
    result = ledger.verify(run_id, signer=signer)
    assert not result.ok
    assert "not signed" in result.reason
    ledger.sign_head(run_id, signer, reason="run-end")
    assert ledger.verify(run_id, signer=signer).ok
