"""The release dossier: every artifact a release needs, in one canonical JSON document and one HTML page.

Sections are filled by artifact type (requirements §7): a section fed by one type holds that artifact's
body; a section fed by several holds ``{type: body}``. Every required type must be present — the error
names all that are missing at once — and the version is the semver of ReleaseNotes (or ReleaseDossier)
``version``; two different versions are an error. The dossier is built after beta, so the canary results
it cites already exist (§9.18); the commit SHA comes from the build's RepoManifest.

The JSON is canonical (``ideamine.core.canonical``) and the HTML comes from one Jinja2 template rendered
in an immutable sandbox with autoescaping and strict undefined variables. Everything shown — including
text that derives from the idea — is passed as data, never as template source, so ``{{ 7*7 }}`` or
``<script>`` in an artifact shows literally. Same inputs give byte-identical JSON and HTML, so their
SHA-256 hashes can be signed (:func:`signature_message`) and checked later (:func:`check_dossier`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, ConfigDict

from ideamine.core.canonical import canonical_bytes, canonical_json, sha256_hex
from ideamine.errors import DossierError

SCHEMA = "ideamine.dossier.v1"
SIGNATURE_PREFIX = b"ideamine-dossier:v1:"

REQUIRED_SECTIONS: dict[str, tuple[str, ...]] = {
    "prd": ("PRD",),
    "rtm": ("RTM",),
    "api_spec": ("OpenAPI",),
    "repository": ("RepoManifest",),
    "test_reports": ("TestReport", "AcceptanceTestResults"),
    "coverage_report": ("CoverageReport",),
    "security_pack": ("SecurityPack",),
    "sbom": ("SBOM",),
    "vulnerability_scans": ("VulnerabilityScan", "SecretsScanReport"),
    "perf_report": ("PerfReport",),
    "a11y_report": ("A11yAudit",),
    "release_notes": ("ReleaseNotes",),
    "deployment_plan": ("DeploymentPlan",),
    "rollback_plan": ("RollbackPlan",),
    "canary": ("CanaryResults",),
}
"""Section name -> the artifact types that fill it; all required."""

OPTIONAL_SECTIONS: dict[str, tuple[str, ...]] = {
    "deployment_report": ("DeploymentReport",),
    "beta_metrics": ("BetaMetrics",),
    "monitoring": ("MonitoringDashboard",),
    "documentation": ("Documentation",),
}
"""Included when present."""

SECTION_TITLES: dict[str, str] = {
    "prd": "Product requirements",
    "rtm": "Requirements traceability",
    "api_spec": "API specification",
    "repository": "Repository",
    "test_reports": "Test reports",
    "coverage_report": "Coverage",
    "security_pack": "Security pack",
    "sbom": "Software bill of materials",
    "vulnerability_scans": "Vulnerability and secrets scans",
    "perf_report": "Performance",
    "a11y_report": "Accessibility",
    "release_notes": "Release notes",
    "deployment_plan": "Deployment plan",
    "rollback_plan": "Rollback plan",
    "canary": "Canary results",
    "deployment_report": "Deployment report",
    "beta_metrics": "Beta metrics",
    "monitoring": "Monitoring",
    "documentation": "Documentation",
}

VERSION_SOURCES = ("ReleaseNotes", "ReleaseDossier")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ArtifactRecord(BaseModel):
    """One stored artifact: id, type, content hash and body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    type: str
    hash: str
    body: Any


def _plain(record: ArtifactRecord) -> Any:
    # A canonical round trip: proves the body is JSON and leaves no alias to the caller's objects.
    try:
        return json.loads(canonical_json(record.body))
    except (TypeError, ValueError) as exc:
        raise DossierError(f"artifact {record.type} ({record.id}) is not JSON: {exc}") from exc


def _version(by_type: Mapping[str, ArtifactRecord], problems: list[str]) -> str:
    found: dict[str, str] = {}
    invalid = False
    for artifact_type in VERSION_SOURCES:
        record = by_type.get(artifact_type)
        if record is None or not isinstance(record.body, Mapping) or "version" not in record.body:
            continue
        value = record.body["version"]
        if isinstance(value, str) and _SEMVER.match(value):
            found[artifact_type] = value
        else:
            invalid = True
            problems.append(f"{artifact_type} version {value!r} is not semver (MAJOR.MINOR.PATCH)")
    versions = sorted(set(found.values()))
    if not found and not invalid:
        problems.append("no version: neither ReleaseNotes nor ReleaseDossier has a 'version'")
    if len(versions) > 1:
        listed = ", ".join(f"{t} {v}" for t, v in sorted(found.items()))
        problems.append(f"conflicting versions: {listed}")
    return versions[0] if len(versions) == 1 else ""


def build_dossier(
    *,
    run_id: str,
    artifacts: Mapping[str, ArtifactRecord],
    engine: str,
    ledger_head: dict[str, Any],
    created_at: str,
) -> dict[str, Any]:
    """The dossier of ``run_id`` from its final artifacts (one per type; the mapping keys are ignored).

    Raises :class:`DossierError` listing every missing artifact type, and any version problem, at once.
    """
    by_type: dict[str, ArtifactRecord] = {}
    duplicates: set[str] = set()
    for record in artifacts.values():
        if record.type in by_type and by_type[record.type].id != record.id:
            duplicates.add(record.type)
        by_type[record.type] = record
    problems: list[str] = []
    if duplicates:
        problems.append("several artifacts of type " + ", ".join(sorted(duplicates)) + ": pass the final one")
    missing = sorted({t for types in REQUIRED_SECTIONS.values() for t in types if t not in by_type})
    if missing:
        problems.append("missing artifact types: " + ", ".join(missing))
    version = _version(by_type, problems)
    if problems:
        raise DossierError(f"cannot build the dossier of run {run_id}: " + "; ".join(problems))

    sections: dict[str, Any] = {}
    for name, types in {**REQUIRED_SECTIONS, **OPTIONAL_SECTIONS}.items():
        present = [t for t in types if t in by_type]
        if not present:
            continue
        if len(types) == 1:
            sections[name] = _plain(by_type[types[0]])
        else:
            sections[name] = {t: _plain(by_type[t]) for t in present}
    listing = sorted(
        ({"type": r.type, "id": r.id, "hash": r.hash} for r in by_type.values()),
        key=lambda item: (item["type"], item["id"]),
    )
    return {
        "schema": SCHEMA,
        "run_id": run_id,
        "version": version,
        "engine": engine,
        "created_at": created_at,
        "sections": sections,
        "artifacts": listing,
        "ledger_head": json.loads(canonical_json(ledger_head)),
    }


def dossier_json_bytes(d: Mapping[str, Any]) -> bytes:
    """The dossier's canonical JSON, the bytes that are hashed, signed and served."""
    return canonical_bytes(d)


# --- HTML ----------------------------------------------------------------------------------------


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _facts(body: Any) -> list[dict[str, str]]:
    """Top-level scalar fields (and list sizes) of a body, as rows for a summary table."""
    if not isinstance(body, Mapping):
        return [{"key": "value", "value": _show(body)}] if _scalar(body) else []
    rows: list[dict[str, str]] = []
    for key in sorted(body):
        value = body[key]
        if _scalar(value):
            rows.append({"key": str(key), "value": _show(value)})
        elif isinstance(value, list):
            rows.append({"key": str(key), "value": f"{len(value)} item(s)"})
    return rows


def _view(d: Mapping[str, Any]) -> dict[str, Any]:
    sections = d["sections"]
    parts: list[dict[str, Any]] = []
    for name in [*REQUIRED_SECTIONS, *OPTIONAL_SECTIONS]:
        if name not in sections:
            continue
        types = {**REQUIRED_SECTIONS, **OPTIONAL_SECTIONS}[name]
        body = sections[name]
        bodies = [(types[0], body)] if len(types) == 1 else [(t, body[t]) for t in types if t in body]
        parts.append(
            {
                "id": name,
                "title": SECTION_TITLES.get(name, name),
                "parts": [
                    {
                        "type": artifact_type,
                        "facts": _facts(part),
                        "json": json.dumps(part, indent=2, sort_keys=True, ensure_ascii=False),
                    }
                    for artifact_type, part in bodies
                ],
            }
        )
    repository = sections.get("repository", {})
    repository = repository if isinstance(repository, Mapping) else {}
    return {
        "run_id": str(d["run_id"]),
        "version": str(d["version"]),
        "engine": str(d["engine"]),
        "created_at": str(d["created_at"]),
        "schema": str(d["schema"]),
        "commit_sha": _show(repository.get("commit_sha", "")),
        "branch": _show(repository.get("branch", "")),
        "repository_path": _show(repository.get("path", "")),
        "artifacts": [{k: str(v) for k, v in a.items()} for a in d["artifacts"]],
        "ledger_head": [
            {"key": str(k), "value": _show(d["ledger_head"][k])} for k in sorted(d["ledger_head"])
        ],
        "sections": parts,
    }


def render_html(d: Mapping[str, Any], template_text: str) -> str:
    """The dossier as one self-contained HTML page, from ``template_text`` (the only template source)."""
    env = ImmutableSandboxedEnvironment(
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    try:
        template = env.from_string(template_text)
        return template.render(dossier=_view(d))
    except TemplateError as exc:  # syntax, undefined variable, sandbox violation
        raise DossierError(f"cannot render the dossier HTML: {type(exc).__name__}: {exc}") from exc


# --- signing and checking ------------------------------------------------------------------------


def signature_message(run_id: str, json_sha256: str, html_sha256: str) -> bytes:
    """What gets signed: ``ideamine-dossier:v1:<run>:<json sha256>:<html sha256>``.

    The hashes are fixed-length hex at the end, so a run id containing ':' stays unambiguous.
    """
    for name, value in (("json_sha256", json_sha256), ("html_sha256", html_sha256)):
        if not _SHA256.match(value):
            raise DossierError(f"{name} must be 64 lower-case hex characters")
    return SIGNATURE_PREFIX + f"{run_id}:{json_sha256}:{html_sha256}".encode()


def check_dossier(json_bytes: bytes, html_bytes: bytes, recorded: Mapping[str, Any]) -> list[str]:
    """Problems with a stored dossier against what was recorded when it was signed; empty when it checks.

    ``recorded`` holds ``json_sha256`` (alias ``hash``) and ``html_sha256`` (alias ``html_hash``), and
    optionally ``run_id``, ``version`` and ``message`` (the signed message, which must match these bytes).
    """
    problems: list[str] = []
    json_sha, html_sha = sha256_hex(json_bytes), sha256_hex(html_bytes)
    for name, alias, actual in (("json_sha256", "hash", json_sha), ("html_sha256", "html_hash", html_sha)):
        expected = recorded.get(name, recorded.get(alias))
        if expected is None:
            problems.append(f"nothing recorded for {name}")
        elif expected != actual:
            problems.append(f"{name} mismatch: recorded {expected}, computed {actual}")
    try:
        document = json.loads(json_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        problems.append(f"the JSON does not parse: {exc}")
        return problems
    if not isinstance(document, dict):
        problems.append("the JSON is not an object")
        return problems
    try:
        canonical = canonical_bytes(document)
    except ValueError:  # NaN or infinity: parseable, but never canonical
        canonical = b""
    if canonical != json_bytes:
        problems.append("the JSON is not in canonical form")
    if document.get("schema") != SCHEMA:
        problems.append(f"schema is {document.get('schema')!r}, expected {SCHEMA!r}")
    for key in ("run_id", "version"):
        if key in recorded and document.get(key) != recorded[key]:
            problems.append(f"{key} is {document.get(key)!r}, recorded {recorded[key]!r}")
    if "message" in recorded:
        message = recorded["message"]
        message = message.encode() if isinstance(message, str) else message
        run_id = str(recorded.get("run_id", document.get("run_id", "")))
        if message != SIGNATURE_PREFIX + f"{run_id}:{json_sha}:{html_sha}".encode():
            problems.append("the signed message does not match these bytes")
    return problems
