"""Phase rows: status, the working state between a phase's tasks, and atomic budget counters.

Parallel agents and retries charge usage through :meth:`PhaseStore.charge`: each charge has a key, so
a retried charge is a no-op, and the counters move in the same statement that records the charge, so
concurrent agents can never lose an update or overrun unseen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ideamine.errors import StoreError


@dataclass(frozen=True)
class PhaseUsage:
    tokens: int
    tool_seconds: float
    usd: float
    started_at: datetime | None


class PhaseStore:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def start(
        self, run_id: str, phase: str, *, budgets: dict[str, Any], plan_hash: str, try_number: int
    ) -> bool:
        """Mark the phase running. A new Airflow try (a cleared phase) resets its state and counters.

        Returns True when this call began a new try, False when the try had already begun.
        """
        row = self.conn.execute(
            """INSERT INTO phases (run_id, phase, status, started_at, budgets, plan_hash, try_number)
               VALUES (%(run)s, %(phase)s, 'running', now(), %(budgets)s, %(hash)s, %(try)s)
               ON CONFLICT (run_id, phase) DO UPDATE
                  SET status = 'running', started_at = now(), completed_at = NULL, state = '{}'::jsonb,
                      tokens_used = 0, tool_seconds = 0, usd = 0, tokens_reserved = 0,
                      evidence_pack_id = NULL,
                      budgets = EXCLUDED.budgets, plan_hash = EXCLUDED.plan_hash,
                      try_number = EXCLUDED.try_number
                WHERE phases.try_number < EXCLUDED.try_number
               RETURNING id""",
            {"run": run_id, "phase": phase, "budgets": Jsonb(budgets), "hash": plan_hash, "try": try_number},
        ).fetchone()
        return row is not None

    def set_state(self, run_id: str, phase: str, key: str, value: Any) -> None:
        """Set one key of the phase's state atomically (other keys, written by other tasks, stay)."""
        self.conn.execute(
            """UPDATE phases SET state = jsonb_set(state, ARRAY[%s], %s, true)
                WHERE run_id = %s AND phase = %s""",
            (key, Jsonb(value), run_id, phase),
        )

    def state(self, run_id: str, phase: str) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT state FROM phases WHERE run_id = %s AND phase = %s", (run_id, phase)
        ).fetchone()
        if row is None:
            raise StoreError(f"phase {phase!r} of run {run_id!r} has not started")
        return dict(row[0])

    def set_status(
        self, run_id: str, phase: str, status: str, *, evidence_pack_id: str | None = None
    ) -> None:
        done = status in ("passed", "failed")
        self.conn.execute(
            """UPDATE phases SET status = %s,
                      evidence_pack_id = COALESCE(%s::uuid, evidence_pack_id),
                      completed_at = CASE WHEN %s THEN now() ELSE completed_at END
                WHERE run_id = %s AND phase = %s""",
            (status, evidence_pack_id, done, run_id, phase),
        )

    def statuses(self, run_id: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT phase, status FROM phases WHERE run_id = %s", (run_id,)).fetchall()
        return {r[0]: r[1] for r in rows}

    def charge(
        self,
        run_id: str,
        phase: str,
        key: str,
        *,
        model: str,
        tokens_in: int,
        tokens_out: int,
        tool_seconds: float,
        usd: float,
        estimated: bool,
    ) -> bool:
        """Record one unit of usage and add it to the phase counters; False if the key was charged."""
        row = self.conn.execute(
            """WITH charged AS (
                   INSERT INTO usage_charges
                          (run_id, phase, charge_key, model,
                           tokens_in, tokens_out, tool_seconds, usd, estimated)
                   VALUES (%(run)s, %(phase)s, %(key)s, %(model)s,
                           %(tin)s, %(tout)s, %(tool)s, %(usd)s, %(est)s)
                   ON CONFLICT (run_id, charge_key) DO NOTHING
                   RETURNING tokens_in + tokens_out AS tokens, tool_seconds, usd)
               UPDATE phases p
                  SET tokens_used = p.tokens_used + c.tokens,
                      tool_seconds = p.tool_seconds + c.tool_seconds,
                      usd = p.usd + c.usd
                 FROM charged c
                WHERE p.run_id = %(run)s AND p.phase = %(phase)s
               RETURNING p.tokens_used""",
            {
                "run": run_id,
                "phase": phase,
                "key": key,
                "model": model,
                "tin": tokens_in,
                "tout": tokens_out,
                "tool": tool_seconds,
                "usd": usd,
                "est": estimated,
            },
        ).fetchone()
        return row is not None

    def reserve_tokens(self, run_id: str, phase: str, tokens: int, *, limit: int) -> bool:
        """Reserve ``tokens`` for a call about to be made; False, reserving nothing, if that would pass
        ``limit`` counting what is used and what other calls hold. Atomic: one conditional UPDATE."""
        row = self.conn.execute(
            """UPDATE phases SET tokens_reserved = tokens_reserved + %(n)s
                WHERE run_id = %(run)s AND phase = %(phase)s
                  AND tokens_used + tokens_reserved + %(n)s <= %(limit)s
               RETURNING 1""",
            {"n": tokens, "run": run_id, "phase": phase, "limit": limit},
        ).fetchone()
        return row is not None

    def release_tokens(self, run_id: str, phase: str, tokens: int) -> None:
        self.conn.execute(
            """UPDATE phases SET tokens_reserved = greatest(tokens_reserved - %s, 0)
                WHERE run_id = %s AND phase = %s""",
            (tokens, run_id, phase),
        )

    def charge_tool(self, run_id: str, phase: str, key: str, seconds: float) -> bool:
        """Charge tool time (a guard, a test run) measured by us, not estimated."""
        return self.charge(
            run_id,
            phase,
            key,
            model="tool",
            tokens_in=0,
            tokens_out=0,
            tool_seconds=seconds,
            usd=0.0,
            estimated=False,
        )

    def usage(self, run_id: str, phase: str) -> PhaseUsage:
        row = self.conn.execute(
            "SELECT tokens_used, tool_seconds, usd, started_at FROM phases WHERE run_id = %s AND phase = %s",
            (run_id, phase),
        ).fetchone()
        if row is None:
            raise StoreError(f"phase {phase!r} of run {run_id!r} has not started")
        return PhaseUsage(int(row[0]), float(row[1]), float(row[2]), row[3])

    def run_usd(self, run_id: str) -> float:
        row = self.conn.execute(
            "SELECT coalesce(sum(usd), 0) FROM phases WHERE run_id = %s", (run_id,)
        ).fetchone()
        return float(row[0]) if row else 0.0

    def artifact_ids(self, run_id: str, phases: Sequence[str]) -> dict[str, str]:
        """Artifact type -> id over the given phases' current artifacts (later phases win)."""
        rows = self.conn.execute(
            "SELECT phase, state -> 'artifacts' FROM phases WHERE run_id = %s AND phase = ANY(%s)",
            (run_id, list(phases)),
        ).fetchall()
        by_phase = {r[0]: (r[1] or {}) for r in rows}
        merged: dict[str, str] = {}
        for phase in phases:  # the given order, not the database's
            merged.update(by_phase.get(phase, {}))
        return merged

    def record_metrics(self, run_id: str, phase: str, data: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO phase_metrics (run_id, phase, data) VALUES (%s, %s, %s)",
            (run_id, phase, Jsonb(data)),
        )
