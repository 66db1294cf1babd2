"""The pure chain verifier, on rows built in memory."""

from __future__ import annotations

import hashlib

from ideamine.core.chain import GENESIS, ChainRow, chain_hash, entry_body, verify_chain


def build(n: int, run: str = "r") -> list[ChainRow]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        body = entry_body(run, "task", f"k{seq}", {"n": seq}, {"who": "a", "when": "2026-01-01T00:00:00Z"})
        digest = hashlib.sha256(body.encode()).hexdigest()
        link = chain_hash(prev, seq, digest)
        rows.append(ChainRow(str(seq), seq, body, digest, prev, link))
        prev = link
    return rows


def test_intact_chain_matching_head_passes():
    rows = build(5)
    result = verify_chain("r", rows, head=(5, rows[-1].chain_hash), check_signature=None)
    assert result.ok
    assert result.entries == 5


def test_empty_run_passes_and_head_ahead_of_rows_fails():
    assert verify_chain("r", [], head=None, check_signature=None).ok
    rows = build(3)
    result = verify_chain("r", rows[:2], head=(3, rows[2].chain_hash), check_signature=None)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "tail truncated" in result.reason


def test_body_of_another_run_breaks_the_chain():
    rows = build(3)
    moved = build(3, run="other")[1]
    result = verify_chain("r", [rows[0], moved, rows[2]], head=None, check_signature=None)
    assert not result.ok
    assert result.first_bad_seq == 2


def test_unsigned_head_fails_only_when_required():
    rows = build(2)
    assert verify_chain("r", rows, head=None, check_signature=None).ok
    result = verify_chain("r", rows, head=None, check_signature=None, require_signed_head=True)
    assert not result.ok
    assert "not signed" in result.reason


def test_the_word_signature_inside_task_data_is_not_a_signature_entry():
    body = entry_body("r", "task", "k1", {"note": '"type":"signature"'}, {"who": "a", "when": "t"})
    digest = hashlib.sha256(body.encode()).hexdigest()
    row = ChainRow("1", 1, body, digest, GENESIS, chain_hash(GENESIS, 1, digest))
    result = verify_chain("r", [row], head=None, check_signature=None)
    assert result.ok
    assert result.signatures == 0
