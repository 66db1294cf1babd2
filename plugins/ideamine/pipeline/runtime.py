"""The stores a pipeline step works with, opened once per task over one Postgres connection."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import psycopg

from ideamine.core.canonical import sha256_hex
from ideamine.paths import ideamine_home
from ideamine.store import db
from ideamine.store.artifacts import ArtifactStore
from ideamine.store.events import EventBus, redis_client
from ideamine.store.evidence import EvidenceStore
from ideamine.store.ledger import Ledger
from ideamine.store.phases import PhaseStore
from ideamine.store.signing import Signer, load_signer


def safe_run_dir(run_id: str) -> str:
    """A folder name for a run id: Airflow run ids hold ':' and '+'; the hash keeps them distinct."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id).strip("._")[:80] or "run"
    return f"{stem}-{sha256_hex(run_id)[:10]}"


@dataclass
class Runtime:
    conn: psycopg.Connection
    home: Path = field(default_factory=ideamine_home)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.conn)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        return ArtifactStore(self.ledger)

    @cached_property
    def phases(self) -> PhaseStore:
        return PhaseStore(self.conn)

    @cached_property
    def evidence(self) -> EvidenceStore:
        return EvidenceStore(self.conn)

    @cached_property
    def events(self) -> EventBus:
        return EventBus(self.conn, redis_client())

    @cached_property
    def signer(self) -> Signer:
        return load_signer()

    def run_dir(self, run_id: str) -> Path:
        """The run's own folder; generated code and tool output stay inside it."""
        path = self.home / "workspaces" / safe_run_dir(run_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def repo_dir(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "repo"


@contextmanager
def open_runtime(conn_id: str = db.LEDGER_CONN_ID) -> Iterator[Runtime]:
    conn = db.connect(conn_id)
    try:
        yield Runtime(conn)
    finally:
        conn.close()
