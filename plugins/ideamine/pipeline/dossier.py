"""The release dossier: built from the run's artifacts after beta, signed, stored, and verifiable.

The dossier depends only on the phases' current artifacts and evidence packs, and its timestamp is the
run's start, so rebuilding it from the same run gives the same bytes. The signature covers the SHA-256
of both the JSON and the HTML; the ledger records it, and the run ends with a signed ledger head.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ideamine.core.canonical import sha256_hex
from ideamine.core.dossier import (
    ArtifactRecord,
    build_dossier,
    check_dossier,
    dossier_json_bytes,
    render_html,
    signature_message,
)
from ideamine.core.ledger_models import DecisionData
from ideamine.errors import DossierError
from ideamine.paths import templates_dir
from ideamine.pipeline.runtime import Runtime, safe_run_dir

TEMPLATE = "dossier.html.j2"
JSON_TYPE, HTML_TYPE = "DossierJSON", "DossierHTML"


def build(rt: Runtime, run_id: str) -> tuple[bytes, bytes, dict[str, Any], list[str]]:
    """(json bytes, html bytes, dossier, ids of the artifacts it holds) from the run's current state."""
    run = rt.conn.execute("SELECT engine, started_at FROM runs WHERE id = %s", (run_id,)).fetchone()
    if run is None:
        raise DossierError(f"run {run_id!r} not found")
    rows = rt.conn.execute(
        """SELECT phase, status, state -> 'artifacts', evidence_pack_id::text FROM phases
            WHERE run_id = %s ORDER BY phase""",
        (run_id,),
    ).fetchall()
    failed = [r[0] for r in rows if r[1] != "passed"]
    if failed:
        raise DossierError(f"run {run_id!r}: phases {failed} have not passed their gates")
    records: dict[str, ArtifactRecord] = {}
    for _, _, ids, _ in rows:
        for type_, ident in sorted((ids or {}).items()):
            ref = rt.artifacts.get_ref(ident)
            body = json.loads(rt.artifacts.get(ident))
            records[type_] = ArtifactRecord(id=ident, type=type_, hash=ref.hash, body=body)
    evidence = {r[0]: r[3] for r in rows}
    doc = build_dossier(
        run_id=run_id,
        artifacts=records,
        engine=str(run[0]),
        ledger_head={"evidence_packs": evidence},
        created_at=run[1].isoformat(),
    )
    template = (templates_dir() / TEMPLATE).read_text(encoding="utf-8")
    json_bytes = dossier_json_bytes(doc)
    html_bytes = render_html(doc, template).encode("utf-8")
    return json_bytes, html_bytes, doc, sorted(r.id for r in records.values())


def dossier_step(rt: Runtime, run_id: str) -> dict[str, Any]:
    json_bytes, html_bytes, doc, inputs = build(rt, run_id)
    json_sha, html_sha = sha256_hex(json_bytes), sha256_hex(html_bytes)
    source = "dossier"
    rt.artifacts.put(run_id, "dossier", JSON_TYPE, json_bytes, source=source, inputs=inputs)
    rt.artifacts.put(
        run_id, "dossier", HTML_TYPE, html_bytes, source=source, inputs=inputs, media_type="text/html"
    )
    signature = rt.signer.sign(signature_message(run_id, json_sha, html_sha))
    version = str(doc["version"])
    rt.evidence.put_dossier(
        run_id,
        version=version,
        content=json_bytes.decode("utf-8"),
        hash_=json_sha,
        html_hash=html_sha,
        signature=signature,
        key_fingerprint=rt.signer.fingerprint,
    )
    out = rt.home / "dossiers" / safe_run_dir(run_id)
    out.mkdir(parents=True, exist_ok=True)
    (out / "dossier.json").write_bytes(json_bytes)
    (out / "dossier.html").write_bytes(html_bytes)
    rt.ledger.append(
        run_id,
        DecisionData(
            decision_type="dossier.signed",
            outcome={
                "version": version,
                "json_sha256": json_sha,
                "html_sha256": html_sha,
                "signature": signature,
                "key_fingerprint": rt.signer.fingerprint,
            },
        ),
        who="ideamine-dossier",
        idempotency_key=f"decision:dossier:{json_sha}:{html_sha}",
    )
    rt.ledger.finish_run(run_id, "success")
    rt.ledger.sign_head(run_id, rt.signer, reason="run-end")
    return {
        "json": str(out / "dossier.json"),
        "html": str(out / "dossier.html"),
        "sha256": json_sha,
        "version": version,
    }


def verify_dossier(rt: Runtime, run_id: str) -> list[str]:
    """Problems with the run's current dossier: hashes, signature, and a rebuild from the run."""
    row = rt.evidence.latest_dossier(run_id)
    if row is None:
        return [f"run {run_id!r} has no release dossier"]
    json_bytes = row.content.encode("utf-8")
    if row.html_hash is None:
        return [f"the dossier of run {run_id!r} records no HTML hash"]
    blob = rt.conn.execute("SELECT content FROM artifact_blobs WHERE hash = %s", (row.html_hash,)).fetchone()
    if blob is None:
        return [f"the dossier's HTML (sha256 {row.html_hash}) is missing from the artifact store"]
    html_bytes = bytes(blob[0])
    problems = check_dossier(json_bytes, html_bytes, {"hash": row.hash, "html_hash": row.html_hash})
    message = signature_message(run_id, row.hash, row.html_hash)
    if not rt.signer.verify(message, row.signature, row.key_fingerprint or ""):
        problems.append("the dossier's signature does not verify with the signing key")
    rebuilt_json, rebuilt_html, _, _ = build(rt, run_id)
    if rebuilt_json != json_bytes:
        problems.append("rebuilding the dossier from the run gives different JSON bytes")
    if rebuilt_html != html_bytes:
        problems.append("rebuilding the dossier from the run gives different HTML bytes")
    return problems


def dossier_files(rt: Runtime, run_id: str) -> dict[str, Path]:
    out = rt.home / "dossiers" / safe_run_dir(run_id)
    return {"json": out / "dossier.json", "html": out / "dossier.html"}


def finish_step(rt: Runtime, run_id: str) -> dict[str, Any]:
    """End a run that makes no dossier: mark it done and sign the ledger head."""
    rt.ledger.finish_run(run_id, "success")
    signed = rt.ledger.sign_head(run_id, rt.signer, reason="run-end")
    return {"run_id": run_id, "signed_seq": signed.seq}
