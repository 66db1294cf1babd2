"""Content-addressed artifacts with provenance and lineage.

Bodies are stored once per SHA-256 in ``artifact_blobs``. An artifact row ties a body to a run, a
phase, a type and its provenance; its id is derived from those, so storing the same artifact twice
(a retried task) finds the first row instead of adding another. ``inputs`` are the ids it was made
from; ``lineage`` walks them recursively, over ids only.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ideamine.core.canonical import canonical_json
from ideamine.core.ledger_models import ArtifactData
from ideamine.errors import StoreError
from ideamine.store.ledger import Ledger

_NAMESPACE = uuid.UUID("5b0c3c1e-9f0a-4d53-9a39-1dea0a271fac")


@dataclass(frozen=True)
class ArtifactRef:
    id: str
    type: str
    hash: str
    size: int


def artifact_id(run_id: str, phase: str, type_: str, digest: str, source: str, inputs: Sequence[str]) -> str:
    key = canonical_json([run_id, phase, type_, digest, source, sorted(inputs)])
    return str(uuid.uuid5(_NAMESPACE, key))


class ArtifactStore:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.conn: psycopg.Connection = ledger.conn

    def put(
        self,
        run_id: str,
        phase: str,
        type_: str,
        content: bytes,
        *,
        source: str,
        inputs: Sequence[str] = (),
        tool_version: str | None = None,
        media_type: str = "application/json",
    ) -> ArtifactRef:
        """Store ``content`` and record an ``artifact`` ledger entry; idempotent."""
        digest = hashlib.sha256(content).hexdigest()
        ident = artifact_id(run_id, phase, type_, digest, source, inputs)
        provenance: dict[str, Any] = {
            "source": source,
            "inputs": sorted(inputs),
            "tool_version": tool_version,
        }
        try:
            with self.conn.transaction():
                self.conn.execute(
                    """INSERT INTO artifact_blobs (hash, size_bytes, content) VALUES (%s, %s, %s)
                       ON CONFLICT (hash) DO NOTHING""",
                    (digest, len(content), content),
                )
                self.conn.execute(
                    """INSERT INTO artifacts
                              (id, run_id, phase, type, hash, size_bytes, media_type, provenance)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING""",
                    (ident, run_id, phase, type_, digest, len(content), media_type, Jsonb(provenance)),
                )
                for parent in sorted(set(inputs)):
                    self.conn.execute(
                        """INSERT INTO artifact_inputs (artifact_id, input_id) VALUES (%s, %s)
                           ON CONFLICT DO NOTHING""",
                        (ident, parent),
                    )
        except psycopg.errors.ForeignKeyViolation as exc:
            raise StoreError(
                f"artifact {type_} of run {run_id!r}: unknown run or input artifact: {exc}"
            ) from exc
        self.ledger.append(
            run_id,
            ArtifactData(
                id=ident, phase=phase, type=type_, size=len(content), hash=digest, inputs=tuple(inputs)
            ),
            who=source,
            idempotency_key=f"artifact:{ident}",
            tool_version=tool_version,
            inputs=inputs,
        )
        return ArtifactRef(ident, type_, digest, len(content))

    def get(self, ident: str) -> bytes:
        row = self.conn.execute(
            "SELECT b.content FROM artifacts a JOIN artifact_blobs b USING (hash) WHERE a.id = %s", (ident,)
        ).fetchone()
        if row is None:
            raise StoreError(f"artifact {ident} not found")
        return bytes(row[0])

    def get_ref(self, ident: str) -> ArtifactRef:
        row = self.conn.execute(
            "SELECT id, type, hash, size_bytes FROM artifacts WHERE id = %s", (ident,)
        ).fetchone()
        if row is None:
            raise StoreError(f"artifact {ident} not found")
        return ArtifactRef(str(row[0]), row[1], row[2].strip(), row[3])

    def lineage(self, ident: str) -> list[str]:
        """Every artifact ``ident`` was made from, directly or not, nearest first."""
        rows = self.conn.execute(
            """WITH RECURSIVE up(id, depth) AS (
                   SELECT input_id, 1 FROM artifact_inputs WHERE artifact_id = %s
                   UNION
                   SELECT i.input_id, up.depth + 1 FROM artifact_inputs i JOIN up ON i.artifact_id = up.id
                    WHERE up.depth < 1000)
               SELECT id::text FROM up GROUP BY id ORDER BY min(depth), id""",
            (ident,),
        ).fetchall()
        return [r[0] for r in rows]
