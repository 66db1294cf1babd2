"""The run ledger in Postgres: typed appends, queries, signed heads and verification.

Appends go through the ``ledger_append`` database function, which serialises writers per run on the
run's head row, assigns the next sequence number, chains the hash and skips an idempotency key that
is already there. So a retried append is a no-op, and concurrent writers leave a gap-free chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ideamine.core.chain import ENTRY_TYPES, ChainRow, VerifyResult, entry_body, signed_message, verify_chain
from ideamine.core.ledger_models import EntryData, LedgerEntry, Provenance, SignatureData
from ideamine.errors import LedgerError
from ideamine.store.signing import ALGORITHM, Signer


@dataclass(frozen=True)
class Appended:
    id: str
    seq: int
    chain_hash: str
    inserted: bool  # False when the idempotency key was already in the run


@dataclass(frozen=True)
class NewEntry:
    """An entry to append, for ``append_many``."""

    data: EntryData
    who: str
    idempotency_key: str
    tool_version: str | None = None
    inputs: Sequence[str] = ()


def _now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """Append to and read the ledger over one psycopg connection (autocommit mode)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        if not conn.autocommit:
            raise LedgerError("the ledger needs a connection in autocommit mode (each append commits)")
        self.conn = conn

    # -- runs ------------------------------------------------------------------------------------

    def ensure_run(
        self,
        run_id: str,
        *,
        dag_id: str = "ideamine",
        idea: str = "",
        conf: dict[str, Any] | None = None,
        engine: str = "offline",
    ) -> None:
        """Create the run row if it is not there yet; entries need their run."""
        self.conn.execute(
            """INSERT INTO runs (id, dag_id, idea, conf, engine) VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (id) DO NOTHING""",
            (run_id, dag_id, idea, Jsonb(conf or {}), engine),
        )

    # -- appends ---------------------------------------------------------------------------------

    def _body(self, run_id: str, entry: NewEntry, when: datetime) -> str:
        if not entry.idempotency_key:
            raise LedgerError("every ledger entry needs a non-empty idempotency key")
        provenance = Provenance(
            who=entry.who, when=when, tool_version=entry.tool_version, inputs=tuple(entry.inputs)
        )
        return entry_body(
            run_id,
            entry.data.entry_type,
            entry.idempotency_key,
            entry.data.model_dump(mode="json"),
            provenance.model_dump(mode="json"),
        )

    def append(
        self,
        run_id: str,
        data: EntryData,
        *,
        who: str,
        idempotency_key: str,
        tool_version: str | None = None,
        inputs: Sequence[str] = (),
    ) -> Appended:
        """Append one entry and commit. Returns the stored entry if the key was already used."""
        body = self._body(run_id, NewEntry(data, who, idempotency_key, tool_version, inputs), _now())
        try:
            row = self.conn.execute("SELECT * FROM ledger_append(%s)", (body,)).fetchone()
        except psycopg.errors.ForeignKeyViolation as exc:
            raise LedgerError(f"run {run_id!r} does not exist: call ensure_run first") from exc
        except psycopg.Error as exc:
            raise LedgerError(f"ledger append failed for run {run_id!r}: {exc}".strip()) from exc
        assert row is not None
        return Appended(str(row[0]), row[1], row[2], row[3])

    def append_many(self, run_id: str, entries: Iterable[NewEntry]) -> list[Appended]:
        """Append several entries in one transaction (one commit): all or nothing."""
        when = _now()
        bodies = [self._body(run_id, e, when) for e in entries]
        try:
            rows = self.conn.execute("SELECT * FROM ledger_append_many(%s::text[])", (bodies,)).fetchall()
        except psycopg.errors.ForeignKeyViolation as exc:
            raise LedgerError(f"run {run_id!r} does not exist: call ensure_run first") from exc
        except psycopg.Error as exc:
            raise LedgerError(f"ledger batch append failed for run {run_id!r}: {exc}".strip()) from exc
        return [Appended(str(r[0]), r[1], r[2], r[3]) for r in rows]

    def head(self, run_id: str) -> tuple[int, str] | None:
        row = self.conn.execute(
            "SELECT seq, chain_hash FROM ledger_heads WHERE run_id = %s", (run_id,)
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def sign_head(self, run_id: str, signer: Signer, *, reason: str) -> Appended:
        """Sign the run's current head and append the signature as a ``signature`` entry.

        Signing the same head again for the same reason is a no-op; a head that moved gets a new one.
        """
        head = self.head(run_id)
        if head is None or head[0] == 0:
            raise LedgerError(f"run {run_id!r} has no ledger entries to sign")
        seq, head_hash = head
        last = self.conn.execute(
            "SELECT id, type, (body::jsonb) #>> '{data,reason}' FROM ledger WHERE run_id = %s AND seq = %s",
            (run_id, seq),
        ).fetchone()
        if last is not None and last[1] == "signature" and last[2] == reason:
            return Appended(str(last[0]), seq, head_hash, inserted=False)  # already the signed head
        data = SignatureData(
            seq=seq,
            chain_hash=head_hash,
            algorithm=ALGORITHM,
            value=signer.sign(signed_message(run_id, seq, head_hash)),
            key_fingerprint=signer.fingerprint,
            signer=signer.source,
            reason=reason,
        )
        return self.append(run_id, data, who="ideamine-signer", idempotency_key=f"signature:{reason}:{seq}")

    # -- queries ---------------------------------------------------------------------------------

    def query(
        self,
        run_id: str,
        *,
        types: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        """Entries of one run in sequence order, filtered by type and recorded time."""
        if types:
            unknown = set(types) - set(ENTRY_TYPES)
            if unknown:
                raise LedgerError(
                    f"unknown ledger entry type(s) {sorted(unknown)}; known: {list(ENTRY_TYPES)}"
                )
        if limit is not None and limit < 0:
            raise LedgerError("limit must not be negative")
        rows = self.conn.execute(
            """SELECT id, run_id, seq, type, idempotency_key, body, chain_hash, recorded_at
                 FROM ledger
                WHERE run_id = %(run)s
                  AND (%(types)s::text[] IS NULL OR type = ANY(%(types)s::text[]))
                  AND (%(since)s::timestamptz IS NULL OR recorded_at >= %(since)s)
                  AND (%(until)s::timestamptz IS NULL OR recorded_at < %(until)s)
                ORDER BY seq
                LIMIT %(limit)s""",
            {
                "run": run_id,
                "types": list(types) if types else None,
                "since": since,
                "until": until,
                "limit": limit,
            },
        ).fetchall()
        entries = []
        for r in rows:
            body = json.loads(r[5])
            entries.append(
                LedgerEntry(
                    id=str(r[0]),
                    run_id=r[1],
                    seq=r[2],
                    type=r[3],
                    idempotency_key=r[4],
                    data=body["data"],
                    provenance=body["provenance"],
                    chain_hash=r[6],
                    recorded_at=r[7],
                )
            )
        return entries

    def count(self, run_id: str, type_: str | None = None) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM ledger WHERE run_id = %s AND (%s::text IS NULL OR type = %s)",
            (run_id, type_, type_),
        ).fetchone()
        return int(row[0]) if row else 0

    # -- verification ----------------------------------------------------------------------------

    def _rows(self, run_id: str, batch: int = 20_000) -> Iterator[ChainRow]:
        with self.conn.transaction(), self.conn.cursor(name="ideamine_verify") as cur:
            cur.itersize = batch
            cur.execute(
                """SELECT id::text, seq, body, entry_hash, prev_hash, chain_hash
                     FROM ledger WHERE run_id = %s ORDER BY seq""",
                (run_id,),
            )
            for r in cur:
                yield ChainRow(*r)

    def verify(
        self, run_id: str, *, signer: Signer | None, require_signed_head: bool | None = None
    ) -> VerifyResult:
        """Walk the run's chain; see ``ideamine.core.chain.verify_chain`` for what is checked.

        ``require_signed_head`` defaults to whether the run has ended: the last entry of an ended run
        must be the signature over its head.
        """
        row = self.conn.execute("SELECT status FROM runs WHERE id = %s", (run_id,)).fetchone()
        if row is None:
            raise LedgerError(f"run {run_id!r} not found in the ledger database")
        if require_signed_head is None:
            require_signed_head = row[0] != "running"
        return verify_chain(
            run_id,
            self._rows(run_id),
            head=self.head(run_id),
            check_signature=signer.verify if signer else None,
            require_signed_head=require_signed_head,
        )

    def finish_run(self, run_id: str, status: str) -> None:
        """Mark the run ended (``success`` or ``failed``); verification then requires a signed head."""
        self.conn.execute("UPDATE runs SET status = %s, completed_at = now() WHERE id = %s", (status, run_id))
