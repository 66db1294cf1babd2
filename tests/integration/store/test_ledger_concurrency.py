"""Eight processes appending to one run at once leave one gap-free chain without duplicates."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from ideamine.core.ledger_models import TaskData
from ideamine.store import db
from ideamine.store.ledger import Ledger
from ideamine.store.signing import Signer

pytestmark = pytest.mark.integration

PROCESSES = 8
SHARED_KEYS = 120  # every process appends these: only one copy of each may land
OWN_KEYS = 60  # each process's own entries


def _writer(run_id: str, worker: int, start: mp.synchronize.Event) -> None:
    with db.connection(db.LEDGER_CONN_ID) as conn:
        ledger = Ledger(conn)
        start.wait()
        for i in range(max(SHARED_KEYS, OWN_KEYS)):
            if i < SHARED_KEYS:
                data = TaskData(
                    task_id=f"shared{i}", phase="build", type="agent", target="Backend", duration_ms=i
                )
                ledger.append(run_id, data, who=f"worker{worker}", idempotency_key=f"shared:{i}")
            if i < OWN_KEYS:
                data = TaskData(
                    task_id=f"w{worker}-{i}", phase="build", type="agent", target="Backend", duration_ms=i
                )
                ledger.append(run_id, data, who=f"worker{worker}", idempotency_key=f"own:{worker}:{i}")


def test_concurrent_appends_leave_a_valid_chain(ledger: Ledger, run_id: str, signer: Signer):
    ctx = mp.get_context("spawn")  # fresh interpreters, like separate Airflow task processes
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(run_id, n, start)) for n in range(PROCESSES)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * PROCESSES

    expected = SHARED_KEYS + PROCESSES * OWN_KEYS
    rows = ledger.conn.execute(
        "SELECT seq, idempotency_key FROM ledger WHERE run_id = %s ORDER BY seq", (run_id,)
    ).fetchall()
    assert [seq for seq, _ in rows] == list(range(1, expected + 1))
    keys = [key for _, key in rows]
    assert len(set(keys)) == len(keys) == expected
    assert ledger.verify(run_id, signer=signer).ok
