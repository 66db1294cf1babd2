"""The ledger's hash chain, as pure functions.

An entry's *body* is the canonical JSON of ``{run_id, type, idempotency_key, data, provenance}``. The
database stores the body verbatim and chains it per run::

    entry_hash = sha256(body)
    chain_hash = sha256(f"{prev_hash}:{seq}:{entry_hash}")      prev_hash of seq 1 = GENESIS

A ``signature`` entry signs the head it follows: ``{"run_id", "seq", "chain_hash"}`` as canonical JSON.
``verify_chain`` walks the rows in order and reports the first entry that does not hold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ideamine.core.canonical import canonical_json

EntryType = Literal["task", "gate", "decision", "artifact", "cost", "signature"]
ENTRY_TYPES: tuple[str, ...] = get_args(EntryType)
GENESIS = "0" * 64


def entry_body(
    run_id: str, type_: str, idempotency_key: str, data: Mapping[str, Any], provenance: Mapping[str, Any]
) -> str:
    return canonical_json(
        {
            "run_id": run_id,
            "type": type_,
            "idempotency_key": idempotency_key,
            "data": data,
            "provenance": provenance,
        }
    )


def chain_hash(prev_hash: str, seq: int, entry_hash: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{seq}:{entry_hash}".encode()).hexdigest()


def signed_message(run_id: str, seq: int, head_hash: str) -> bytes:
    """The bytes a signature entry signs: the head of ``run_id`` at ``seq``."""
    return canonical_json({"run_id": run_id, "seq": seq, "chain_hash": head_hash}).encode()


@dataclass(frozen=True)
class ChainRow:
    """One stored ledger row, as verification needs it."""

    id: str
    seq: int
    body: str
    entry_hash: str
    prev_hash: str
    chain_hash: str


@dataclass
class VerifyResult:
    run_id: str
    ok: bool
    entries: int
    signed_through: int = 0  # highest seq covered by a valid signature
    first_bad_seq: int | None = None
    first_bad_id: str | None = None
    reason: str = ""
    signatures: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.ok:
            return (
                f"run {self.run_id}: OK, {self.entries} entries, chain intact, "
                f"{self.signatures} signature(s), signed through seq {self.signed_through}"
            )
        where = f"entry seq {self.first_bad_seq}" + (
            f" (id {self.first_bad_id})" if self.first_bad_id else ""
        )
        return f"run {self.run_id}: TAMPERED at {where}: {self.reason}"


# (message, signature, key fingerprint) -> True when the signature is valid under a trusted key
SignatureCheck = Callable[[bytes, str, str], bool]


def verify_chain(
    run_id: str,
    rows: Iterable[ChainRow],
    *,
    head: tuple[int, str] | None,
    check_signature: SignatureCheck | None,
    require_signed_head: bool = False,
) -> VerifyResult:
    """Check every row of one run in seq order against the chain, the recorded head and signatures."""
    result = VerifyResult(run_id=run_id, ok=True, entries=0)
    hashes: dict[int, str] = {0: GENESIS}
    prev = GENESIS
    expected = 1
    last_sig_covered = 0
    last_sig_entry = 0  # seq of the last signature entry that verified
    last_row: ChainRow | None = None
    sha256 = hashlib.sha256

    def fail(row: ChainRow | None, seq: int, reason: str) -> VerifyResult:
        result.ok = False
        result.first_bad_seq = seq
        result.first_bad_id = row.id if row else None
        result.reason = reason
        return result

    for row in rows:
        result.entries += 1
        if row.seq != expected:
            if row.seq > expected:
                return fail(
                    row, expected, f"entry seq {expected} is missing (next stored entry is seq {row.seq})"
                )
            return fail(row, row.seq, f"entry seq {row.seq} appears twice or out of order")
        digest = sha256(row.body.encode()).hexdigest()
        if digest != row.entry_hash:
            return fail(row, row.seq, "entry body does not match its hash (edited)")
        if row.prev_hash != prev:
            return fail(row, row.seq, "previous-hash link broken (entry removed, reordered or replaced)")
        computed = chain_hash(prev, row.seq, digest)
        if computed != row.chain_hash:
            return fail(row, row.seq, "chain hash does not match (entry reordered or rewritten)")
        if '"type":"signature"' in row.body:
            problem, rewritten = _check_signature_entry(run_id, row, hashes, check_signature)
            if problem and rewritten:
                # The rewrite began after the last head that still verifies.
                signed_seq = json.loads(row.body)["data"]["seq"]
                return fail(
                    None,
                    last_sig_entry + 1,
                    f"{problem}: an entry between seq {last_sig_entry + 1} and seq {signed_seq} was "
                    f"rewritten and the chain recomputed",
                )
            if problem:
                return fail(row, row.seq, problem)
            result.signatures += 1
            last_sig_covered = json.loads(row.body)["data"]["seq"]
            last_sig_entry = row.seq
        hashes[row.seq] = computed
        prev = computed
        expected += 1
        last_row = row

    last_seq = expected - 1
    if head is not None:
        head_seq, head_hash = head
        if head_seq > last_seq:
            return fail(
                None,
                last_seq + 1,
                f"tail truncated: the head records seq {head_seq} but the ledger ends at seq {last_seq}",
            )
        if head_seq < last_seq or head_hash != prev:
            return fail(
                last_row, head_seq, "the recorded head does not match the chain (head or tail rewritten)"
            )
    elif last_seq:
        result.warnings.append("no head record for this run")
    result.signed_through = last_sig_covered
    if (
        require_signed_head
        and last_seq
        and not (
            last_row is not None
            and '"type":"signature"' in last_row.body
            and last_sig_covered == last_seq - 1
        )
    ):
        return fail(last_row, last_seq, "the chain head is not signed (a signed tail may have been removed)")
    return result


def _check_signature_entry(
    run_id: str, row: ChainRow, hashes: Mapping[int, str], check: SignatureCheck | None
) -> tuple[str | None, bool]:
    """(problem, whether it shows a rewrite of signed entries) for one signature entry."""
    try:
        doc = json.loads(row.body)
        if doc.get("type") != "signature":
            return None, False  # the marker text appeared inside another entry's data
        data = doc["data"]
        seq, signed_hash = int(data["seq"]), str(data["chain_hash"])
        value, fingerprint = str(data["value"]), str(data["key_fingerprint"])
    except (KeyError, TypeError, ValueError) as exc:
        return f"malformed signature entry: {exc}", False
    if seq not in hashes:
        return f"signature refers to seq {seq}, which does not precede it", False
    if check is not None and not check(signed_message(run_id, seq, signed_hash), value, fingerprint):
        return (
            f"signature over seq {seq} is not valid under the trusted key (fingerprint {fingerprint[:16]}…)",
            False,
        )
    if hashes[seq] != signed_hash:
        return (
            f"the chain hash at seq {seq} no longer matches the head signed in entry seq {row.seq}",
            True,
        )
    return None, False
