"""Evidence packs, Q/A/V results (assumptions, knowledge frames), waivers and release dossiers.

Every insert is keyed so that a retried task finds the row it wrote instead of adding another.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ideamine.core.canonical import canonical_json

_NAMESPACE = uuid.UUID("0f3b8d8e-4a7c-4f0e-9d55-e1d3a2c5b7a9")


def stable_id(*parts: Any) -> str:
    """A uuid5 of the parts' canonical JSON: the same parts always give the same id."""
    return str(uuid.uuid5(_NAMESPACE, canonical_json(list(parts))))


@dataclass(frozen=True)
class WaiverRow:
    id: str
    phase: str
    violation_type: str
    owner: str
    expires_at: datetime
    compensating_control: str


@dataclass(frozen=True)
class DossierRow:
    id: str
    run_id: str
    version: str
    content: str
    hash: str
    html_hash: str | None
    signature: str
    key_fingerprint: str | None
    created_at: datetime


class EvidenceStore:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def put_pack(
        self, run_id: str, phase: str, attempt_key: str, attempt: int, pack: dict[str, Any], *, phase_try: int
    ) -> str:
        ident = stable_id("evidence", run_id, phase, attempt_key)
        self.conn.execute(
            """INSERT INTO evidence_packs (id, run_id, phase, phase_try, attempt, artifacts, guard_reports,
                                           qav_summary, kmap_refs, metrics)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING""",
            (
                ident,
                run_id,
                phase,
                phase_try,
                attempt,
                Jsonb(pack["artifacts"]),
                Jsonb(pack["guard_reports"]),
                Jsonb(pack.get("qav_summary")),
                Jsonb(pack.get("kmap_refs", [])),
                Jsonb(pack.get("metrics", {})),
            ),
        )
        return ident

    def add_assumptions(self, run_id: str, phase: str, assumptions: Sequence[dict[str, Any]]) -> None:
        for a in assumptions:
            self.conn.execute(
                """INSERT INTO assumptions (run_id, phase, question_id, assumption, rationale, mitigation)
                   VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (run_id, phase, question_id) DO NOTHING""",
                (
                    run_id,
                    phase,
                    a["question_id"],
                    a["assumption"],
                    a.get("rationale"),
                    Jsonb(a.get("mitigation", [])),
                ),
            )

    def add_frames(self, run_id: str, phase: str, frames: Sequence[dict[str, Any]]) -> list[str]:
        ids = []
        for f in frames:
            ident = stable_id("frame", run_id, phase, f["id"])
            self.conn.execute(
                """INSERT INTO knowledge_frames
                          (id, run_id, phase, question_id, frame_type, content, citations, confidence)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING""",
                (
                    ident,
                    run_id,
                    phase,
                    f["question_id"],
                    f.get("type", "fact"),
                    f["content"],
                    Jsonb(f.get("citations", [])),
                    f["confidence"],
                ),
            )
            ids.append(ident)
        return ids

    def active_waivers(self, run_id: str, phase: str, now: datetime) -> list[WaiverRow]:
        rows = self.conn.execute(
            """SELECT id, phase, violation_type, owner, expires_at, compensating_control FROM waivers
                WHERE status = 'active' AND phase = %s AND (run_id IS NULL OR run_id = %s) AND expires_at > %s
                ORDER BY expires_at, id""",
            (phase, run_id, now),
        ).fetchall()
        return [WaiverRow(str(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def add_waiver(
        self,
        *,
        phase: str,
        violation_type: str,
        owner: str,
        expires_at: datetime,
        compensating_control: str,
        run_id: str | None = None,
    ) -> str:
        row = self.conn.execute(
            """INSERT INTO waivers (run_id, phase, violation_type, owner, expires_at, compensating_control)
               VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
            (run_id, phase, violation_type, owner, expires_at, compensating_control),
        ).fetchone()
        assert row is not None
        return str(row[0])

    def put_dossier(
        self,
        run_id: str,
        *,
        version: str,
        content: str,
        hash_: str,
        html_hash: str,
        signature: str,
        key_fingerprint: str,
    ) -> str:
        ident = stable_id("dossier", run_id, hash_)
        self.conn.execute(
            """INSERT INTO release_dossiers
                      (id, run_id, version, content, hash, html_hash, signature, key_fingerprint)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (run_id, hash) DO NOTHING""",
            (ident, run_id, version, content, hash_, html_hash, signature, key_fingerprint),
        )
        return ident

    def latest_dossier(self, run_id: str) -> DossierRow | None:
        row = self.conn.execute(
            """SELECT id, run_id, version, content, hash, html_hash, signature, key_fingerprint, created_at
                 FROM release_dossiers WHERE run_id = %s ORDER BY created_at DESC, id LIMIT 1""",
            (run_id,),
        ).fetchone()
        if row is None:
            return None
        return DossierRow(
            str(row[0]),
            row[1],
            row[2],
            row[3],
            row[4].strip(),
            (row[5] or "").strip() or None,
            row[6],
            row[7],
            row[8],
        )
