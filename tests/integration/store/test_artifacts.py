"""Content-addressed artifacts, their ledger entries and lineage."""

from __future__ import annotations

import hashlib

import pytest
from ideamine.errors import StoreError
from ideamine.store.artifacts import ArtifactStore
from ideamine.store.ledger import Ledger

pytestmark = pytest.mark.integration


def test_put_is_content_addressed_and_idempotent(ledger: Ledger, run_id: str):
    store = ArtifactStore(ledger)
    body = b'{"title":"Pet sitter marketplace"}'
    ref = store.put(run_id, "intake", "IdeaSpec", body, source="IntakeAgent", tool_version="offline@1")
    again = store.put(run_id, "intake", "IdeaSpec", body, source="IntakeAgent", tool_version="offline@1")
    assert ref == again
    assert ref.hash == hashlib.sha256(body).hexdigest()
    assert store.get(ref.id) == body
    entries = ledger.query(run_id, types=["artifact"])
    assert len(entries) == 1
    assert entries[0].data["hash"] == ref.hash


def test_same_content_in_two_runs_shares_one_blob(ledger: Ledger, run_id: str):
    other = run_id + "-b"
    ledger.ensure_run(other)
    store = ArtifactStore(ledger)
    a = store.put(run_id, "prd", "PRD", b"same", source="PRDWriterAgent")
    b = store.put(other, "prd", "PRD", b"same", source="PRDWriterAgent")
    assert a.id != b.id
    blobs = ledger.conn.execute("SELECT count(*) FROM artifact_blobs WHERE hash = %s", (a.hash,)).fetchone()
    assert blobs == (1,)


def test_lineage_walks_inputs_recursively(ledger: Ledger, run_id: str):
    store = ArtifactStore(ledger)
    idea = store.put(run_id, "intake", "IdeaSpec", b"idea", source="IntakeAgent")
    prd = store.put(run_id, "prd", "PRD", b"prd", source="PRDWriterAgent", inputs=[idea.id])
    api = store.put(run_id, "architecture", "OpenAPI", b"api", source="APIDesignAgent", inputs=[prd.id])
    code = store.put(run_id, "build", "SourceCode", b"code", source="BackendAgent", inputs=[api.id, idea.id])
    assert store.lineage(code.id) == [*sorted([api.id, idea.id]), prd.id]
    assert store.lineage(idea.id) == []
    assert ledger.query(run_id, types=["artifact"])[-1].provenance["inputs"] == [api.id, idea.id]


def test_unknown_input_is_refused(ledger: Ledger, run_id: str):
    with pytest.raises(StoreError, match="unknown run or input artifact"):
        ArtifactStore(ledger).put(
            run_id, "prd", "PRD", b"x", source="a", inputs=["00000000-0000-0000-0000-000000000000"]
        )
