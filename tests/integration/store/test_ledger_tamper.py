"""`ideamine ledger verify` against a ledger tampered with as a database superuser.

Each case builds a signed run of 21 entries (tasks 1-10, signature 11 over seq 10, tasks 12-20,
signature 21 over seq 20), tampers with it the way an attacker with full database access could
(triggers switched off), and expects the command to fail naming the first bad entry.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import psycopg
import pytest
from ideamine.core.canonical import sha256_hex
from ideamine.core.chain import chain_hash
from ideamine.core.ledger_models import TaskData
from ideamine.store.ledger import Ledger
from ideamine.store.signing import Signer

pytestmark = pytest.mark.integration


def build_signed_run(ledger: Ledger, run_id: str, signer: Signer) -> None:
    for i in range(1, 11):
        ledger.append(
            run_id,
            TaskData(task_id=f"t{i}", phase="build", type="agent", target="Backend", duration_ms=i),
            who="BackendAgent",
            idempotency_key=f"task:{i}",
        )
    ledger.sign_head(run_id, signer, reason="gate:build")
    for i in range(12, 21):
        ledger.append(
            run_id,
            TaskData(task_id=f"t{i}", phase="qa", type="agent", target="E2ETest", duration_ms=i),
            who="E2ETestAgent",
            idempotency_key=f"task:{i}",
        )
    ledger.sign_head(run_id, signer, reason="run-end")
    ledger.finish_run(run_id, "success")


def verify_cli(run_id: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ideamine.cli", "ledger", "verify", run_id],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def as_attacker(conn: psycopg.Connection, *statements: tuple[str, tuple]) -> None:
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")  # switches the triggers off
        for sql, params in statements:
            conn.execute(sql, params)


def edit_entry(conn: psycopg.Connection, run_id: str) -> None:
    as_attacker(
        conn,
        (
            "UPDATE ledger SET body = replace(body, '\"duration_ms\":5', '\"duration_ms\":500') "
            "WHERE run_id = %s AND seq = 5",
            (run_id,),
        ),
    )


def delete_entry(conn: psycopg.Connection, run_id: str) -> None:
    as_attacker(conn, ("DELETE FROM ledger WHERE run_id = %s AND seq = 7", (run_id,)))


def swap_entries(conn: psycopg.Connection, run_id: str) -> None:
    as_attacker(
        conn,
        ("UPDATE ledger SET seq = 1000000 WHERE run_id = %s AND seq = 4", (run_id,)),
        ("UPDATE ledger SET seq = 4 WHERE run_id = %s AND seq = 5", (run_id,)),
        ("UPDATE ledger SET seq = 5 WHERE run_id = %s AND seq = 1000000", (run_id,)),
    )


def truncate_tail(conn: psycopg.Connection, run_id: str) -> None:
    as_attacker(conn, ("DELETE FROM ledger WHERE run_id = %s AND seq >= 19", (run_id,)))


def rewrite_suffix(conn: psycopg.Connection, run_id: str) -> None:
    """Edit entry 14, then recompute every hash after it and the head, as a careful forger would."""
    rows = conn.execute("SELECT seq, body FROM ledger WHERE run_id = %s ORDER BY seq", (run_id,)).fetchall()
    prev = conn.execute("SELECT chain_hash FROM ledger WHERE run_id = %s AND seq = 13", (run_id,)).fetchone()[
        0
    ]
    statements = []
    for seq, body in rows[13:]:
        if seq == 14:
            body = body.replace('"duration_ms":14', '"duration_ms":1')
        digest = sha256_hex(body)
        link = chain_hash(prev, seq, digest)
        statements.append(
            (
                "UPDATE ledger SET body = %s, entry_hash = %s, prev_hash = %s, chain_hash = %s "
                "WHERE run_id = %s AND seq = %s",
                (body, digest, prev, link, run_id, seq),
            )
        )
        prev = link
    statements.append(("UPDATE ledger_heads SET chain_hash = %s WHERE run_id = %s", (prev, run_id)))
    as_attacker(conn, *statements)


CASES: list[tuple[Callable[[psycopg.Connection, str], None], int, str]] = [
    (edit_entry, 5, "does not match its hash"),
    (delete_entry, 7, "seq 7 is missing"),
    (swap_entries, 4, "previous-hash link broken"),
    (truncate_tail, 19, "tail truncated"),
    (rewrite_suffix, 12, "between seq 12 and seq 20 was rewritten"),
]


def test_intact_signed_run_verifies(ledger: Ledger, run_id: str, signer: Signer):
    build_signed_run(ledger, run_id, signer)
    done = verify_cli(run_id)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK, 21 entries" in done.stdout
    assert "signed through seq 20" in done.stdout


@pytest.mark.parametrize(("tamper", "first_bad_seq", "reason"), CASES, ids=[c[0].__name__ for c in CASES])
def test_verify_names_the_first_bad_entry(
    ledger: Ledger,
    run_id: str,
    signer: Signer,
    superuser_conn: psycopg.Connection,
    tamper,
    first_bad_seq: int,
    reason: str,
):
    build_signed_run(ledger, run_id, signer)
    tamper(superuser_conn, run_id)
    done = verify_cli(run_id)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"TAMPERED at entry seq {first_bad_seq}" in done.stdout
    assert reason in done.stdout


def test_unknown_run_is_a_usage_error(embedded_services: dict[str, str]):
    done = verify_cli("no-such-run")
    assert done.returncode == 2
    assert "run 'no-such-run' not found" in done.stderr
