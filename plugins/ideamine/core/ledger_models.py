"""Typed ledger entries: the six entry types, their data, and provenance.

Each data model maps to one entry type; ``Ledger.append`` takes any of them and derives the type.
Models are strict and closed, so a caller cannot slip an unexpected field into the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ideamine.core.chain import EntryType


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provenance(_Closed):
    who: str = Field(min_length=1)
    when: datetime
    tool_version: str | None = None
    inputs: tuple[str, ...] = ()


class Cost(_Closed):
    tokens: int = Field(default=0, ge=0)
    tools_minutes: float = Field(default=0.0, ge=0)
    usd: float = Field(default=0.0, ge=0)


class EntryData(_Closed):
    entry_type: ClassVar[EntryType]


class TaskData(EntryData):
    entry_type: ClassVar[EntryType] = "task"
    task_id: str
    phase: str
    type: str  # agent | tool | guard
    target: str
    input: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] = Field(default_factory=dict)
    duration_ms: int = Field(ge=0)
    cost: Cost = Cost()
    attempt: int = Field(default=1, ge=1)


class GateData(EntryData):
    entry_type: ClassVar[EntryType] = "gate"
    phase: str
    passed: bool
    score: float = Field(ge=0, le=1)
    reasons: tuple[str, ...] = ()
    evidence_pack_id: str | None = None
    attempt: int = Field(ge=1)


class DecisionData(EntryData):
    entry_type: ClassVar[EntryType] = "decision"
    phase: str | None = None
    decision_type: str
    outcome: dict[str, Any] | str
    qav_summary: dict[str, Any] | None = None


class ArtifactData(EntryData):
    entry_type: ClassVar[EntryType] = "artifact"
    id: str
    phase: str
    type: str
    size: int = Field(ge=0)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    inputs: tuple[str, ...] = ()


class CostData(EntryData):
    entry_type: ClassVar[EntryType] = "cost"
    phase: str
    model: str
    tokens_in: int = Field(default=0, ge=0)
    tokens_out: int = Field(default=0, ge=0)
    tools_minutes: float = Field(default=0.0, ge=0)
    usd: float = Field(default=0.0, ge=0)
    estimated: bool = False  # True when tokens are estimates, not a provider's count
    cached: bool = False


class SignatureData(EntryData):
    entry_type: ClassVar[EntryType] = "signature"
    seq: int = Field(ge=1)
    chain_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    algorithm: str = "ed25519"
    value: str
    key_fingerprint: str
    signer: str
    reason: str


class LedgerEntry(_Closed):
    """One stored entry, as the query API returns it."""

    id: str
    run_id: str
    seq: int
    type: EntryType
    idempotency_key: str
    data: dict[str, Any]
    provenance: dict[str, Any]
    chain_hash: str
    recorded_at: datetime
