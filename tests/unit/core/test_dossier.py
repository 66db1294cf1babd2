"""The release dossier: sections by type, canonical bytes, escaped HTML, hashes and checks."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from ideamine.core.canonical import canonical_bytes, sha256_hex
from ideamine.core.dossier import (
    OPTIONAL_SECTIONS,
    REQUIRED_SECTIONS,
    SCHEMA,
    ArtifactRecord,
    build_dossier,
    check_dossier,
    dossier_json_bytes,
    render_html,
    signature_message,
)
from ideamine.errors import DossierError
from ideamine.paths import templates_dir

COMMIT = "a" * 40
INJECTION = "{{ 7*7 }} <script>alert('x')</script> {% for x in range(3) %}loop{% endfor %}"


def bodies() -> dict[str, Any]:
    return {
        "PRD": {"title": f"Bike Swap {INJECTION}", "user_stories": [{"id": "US-1", "title": "List a bike"}]},
        "RTM": {"rows": [{"story": "US-1", "tests": ["test_list"]}]},
        "OpenAPI": {"openapi": "3.1.0", "paths": {"/api/bikes": {}}},
        "RepoManifest": {"path": "/ws/run-1/repo", "commit_sha": COMMIT, "branch": "main", "files": []},
        "TestReport": {"passed": 12, "failed": 0},
        "AcceptanceTestResults": {"items": [{"story_id": "US-1", "passed": 2, "failed": 0}]},
        "CoverageReport": {"tool": "coverage.py 7.6", "line_percent": 83.5, "pass_rate": 1.0},
        "SecurityPack": {"summary": "no findings"},
        "SBOM": {"format": "CycloneDX", "spec_version": "1.6", "components": []},
        "VulnerabilityScan": {"critical": 0, "high": 0},
        "SecretsScanReport": {"findings": []},
        "PerfReport": {"p95_ms": 12.5, "rps": 850.0},
        "A11yAudit": {"violations": []},
        "ReleaseNotes": {"version": "1.2.0", "notes": "First release."},
        "DeploymentPlan": {"steps": ["start", "probe"]},
        "RollbackPlan": {"steps": ["stop", "restore"]},
        "CanaryResults": {"error_rate": 0.0, "duration_minutes": 15},
        "DeploymentReport": {"status": "healthy"},
    }


def records(**overrides: Any) -> dict[str, ArtifactRecord]:
    found = {**bodies(), **overrides}
    return {
        t: ArtifactRecord(id=f"id-{t.lower()}", type=t, hash=sha256_hex(canonical_bytes(b)), body=b)
        for t, b in found.items()
        if b is not None
    }


def build(**overrides: Any) -> dict[str, Any]:
    return build_dossier(
        run_id="manual__2026-03-01T12:00:00+00:00",
        artifacts=records(**overrides),
        engine="offline",
        ledger_head={"seq": 42, "hash": "f" * 64},
        created_at="2026-03-01T12:00:00+00:00",
    )


@pytest.fixture(scope="module")
def template() -> str:
    return (templates_dir() / "dossier.html.j2").read_text(encoding="utf-8")


def test_sections_are_filled_by_artifact_type():
    d = build()
    assert d["schema"] == SCHEMA
    assert d["version"] == "1.2.0"
    assert d["engine"] == "offline"
    assert set(REQUIRED_SECTIONS) <= set(d["sections"])
    assert d["sections"]["prd"] == bodies()["PRD"]
    assert d["sections"]["repository"]["commit_sha"] == COMMIT
    assert set(d["sections"]["test_reports"]) == {"TestReport", "AcceptanceTestResults"}
    assert set(d["sections"]["vulnerability_scans"]) == {"VulnerabilityScan", "SecretsScanReport"}
    assert d["sections"]["deployment_report"] == {"status": "healthy"}
    assert "beta_metrics" not in d["sections"]  # optional and absent
    assert d["ledger_head"] == {"seq": 42, "hash": "f" * 64}


def test_artifact_listing_is_sorted_with_ids_and_hashes():
    listing = build()["artifacts"]
    assert [a["type"] for a in listing] == sorted(a["type"] for a in listing)
    prd = next(a for a in listing if a["type"] == "PRD")
    assert prd == {"type": "PRD", "id": "id-prd", "hash": sha256_hex(canonical_bytes(bodies()["PRD"]))}


def test_missing_types_are_all_named():
    with pytest.raises(DossierError) as error:
        build(SBOM=None, CanaryResults=None, SecretsScanReport=None)
    message = str(error.value)
    for name in ("CanaryResults", "SBOM", "SecretsScanReport"):
        assert name in message
    assert "PRD" not in message.split("missing artifact types:")[1]


def test_optional_sections_are_not_required():
    d = build(DeploymentReport=None)
    assert "deployment_report" not in d["sections"]
    assert set(OPTIONAL_SECTIONS).isdisjoint(REQUIRED_SECTIONS)


def test_version_must_be_semver_and_agree():
    with pytest.raises(DossierError, match="not semver"):
        build(ReleaseNotes={"version": "v1", "notes": ""})
    with pytest.raises(DossierError, match="no version"):
        build(ReleaseNotes={"notes": "no version here"})
    with pytest.raises(DossierError, match="conflicting versions"):
        build(ReleaseDossier={"version": "2.0.0"})
    assert build(ReleaseNotes={"notes": "x"}, ReleaseDossier={"version": "0.3.1-beta.1"})["version"] == (
        "0.3.1-beta.1"
    )


def test_two_different_artifacts_of_one_type_are_ambiguous():
    artifacts = records()
    artifacts["second-prd"] = ArtifactRecord(
        id="id-prd-2", type="PRD", hash="0" * 64, body={"title": "Other"}
    )
    with pytest.raises(DossierError, match="several artifacts of type PRD"):
        build_dossier(run_id="r", artifacts=artifacts, engine="offline", ledger_head={}, created_at="t")


def test_json_is_canonical_and_stable():
    first, second = dossier_json_bytes(build()), dossier_json_bytes(build())
    assert first == second
    assert first == canonical_bytes(json.loads(first))


def test_the_dossier_does_not_alias_the_callers_bodies():
    artifacts = records()
    d = build_dossier(run_id="r", artifacts=artifacts, engine="offline", ledger_head={}, created_at="t")
    d["sections"]["prd"]["title"] = "changed"
    assert artifacts["PRD"].body["title"] != "changed"


# --- HTML ----------------------------------------------------------------------------------------


def test_html_is_a_readable_self_contained_page(template: str):
    page = render_html(build(), template)
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page
    assert "<style>" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)  # no external assets
    assert "<script" not in page.replace("&lt;script", "")
    assert "Release dossier 1.2.0" in page
    assert COMMIT in page
    for section in ("Product requirements", "Software bill of materials", "Canary results", "Artifacts"):
        assert f">{section}</h2>" in page
    assert "<td><code>id-sbom</code></td>" in page


def test_template_injection_in_data_shows_literally(template: str):
    page = render_html(build(), template)
    assert "{{ 7*7 }}" in page
    assert "{% for x in range(3) %}loop{% endfor %}" in page
    assert "looploop" not in page
    assert ">49<" not in page
    assert " 49 " not in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_injection_in_the_run_id_and_ledger_head_is_escaped(template: str):
    d = build()
    d["run_id"] = "<b>{{ 7*7 }}</b>"
    d["ledger_head"] = {"<i>k</i>": "{{ config }}"}
    page = render_html(d, template)
    assert "&lt;b&gt;{{ 7*7 }}&lt;/b&gt;" in page
    assert "<b>" not in page
    assert "{{ config }}" in page


def test_html_is_byte_identical_for_the_same_inputs(template: str):
    assert render_html(build(), template) == render_html(build(), template)


def test_the_sandbox_refuses_unsafe_templates():
    with pytest.raises(DossierError, match=r"SecurityError|UndefinedError"):
        render_html(build(), "{{ dossier.__class__.__mro__ }}")
    with pytest.raises(DossierError, match="UndefinedError"):
        render_html(build(), "{{ nothing_here }}")
    with pytest.raises(DossierError, match="TemplateSyntaxError"):
        render_html(build(), "{% if %}")


# --- signing and checking ------------------------------------------------------------------------


def test_signature_message_binds_run_and_both_hashes():
    json_sha, html_sha = "1" * 64, "2" * 64
    message = signature_message("run:with:colons", json_sha, html_sha)
    assert message == f"ideamine-dossier:v1:run:with:colons:{json_sha}:{html_sha}".encode()
    with pytest.raises(DossierError, match="json_sha256"):
        signature_message("r", "not-a-hash", html_sha)
    with pytest.raises(DossierError, match="html_sha256"):
        signature_message("r", json_sha, "")


def test_check_dossier_passes_when_hashes_match_and_finds_tampering(template: str):
    d = build()
    json_bytes = dossier_json_bytes(d)
    html_bytes = render_html(d, template).encode("utf-8")
    json_sha, html_sha = sha256_hex(json_bytes), sha256_hex(html_bytes)
    recorded = {
        "json_sha256": json_sha,
        "html_sha256": html_sha,
        "run_id": d["run_id"],
        "version": "1.2.0",
        "message": signature_message(d["run_id"], json_sha, html_sha),
    }
    assert check_dossier(json_bytes, html_bytes, recorded) == []
    assert check_dossier(json_bytes, html_bytes, {"hash": json_sha, "html_hash": html_sha}) == []

    tampered = json_bytes.replace(b"1.2.0", b"9.9.9")
    problems = check_dossier(tampered, html_bytes, recorded)
    assert any("json_sha256 mismatch" in p for p in problems)
    assert any("version is '9.9.9'" in p for p in problems)
    assert any("signed message" in p for p in problems)
    assert any("html_sha256 mismatch" in p for p in check_dossier(json_bytes, html_bytes + b" ", recorded))
    pretty = json.dumps(d, indent=2).encode()
    assert any("canonical" in p for p in check_dossier(pretty, html_bytes, recorded))
    assert any("does not parse" in p for p in check_dossier(b"{", html_bytes, recorded))
    assert check_dossier(json_bytes, html_bytes, {}) == [
        "nothing recorded for json_sha256",
        "nothing recorded for html_sha256",
    ]
