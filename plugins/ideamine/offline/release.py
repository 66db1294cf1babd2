"""Release: notes and changelog, deployment and rollback plans, documentation, and the manifest of
what the signed release dossier will hold (ReleaseDossier).
"""

from __future__ import annotations

import re
from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.offline.common import (
    MIN_COVERAGE_PERCENT,
    P95_LATENCY_MS,
    RELEASE_VERSION,
    AgentFn,
    doc,
    items,
    stories,
)

# Dossier section -> (artifact type, phase that makes it). Beta's results arrive after release.
DOSSIER_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("prd", "PRD", "prd"),
    ("rtm", "RTM", "prd"),
    ("api_spec", "OpenAPI", "architecture"),
    ("repository", "RepoManifest", "build"),
    ("coverage_report", "CoverageReport", "build"),
    ("security_pack", "SecurityPack", "security"),
    ("sbom", "SBOM", "security"),
    ("vulnerability_scans", "VulnerabilityScan", "security"),
    ("acceptance_tests", "AcceptanceTestResults", "story-loop"),
    ("test_reports", "TestReport", "qa"),
    ("perf_report", "PerfReport", "qa"),
    ("a11y_report", "A11yAudit", "qa"),
    ("release_notes", "ReleaseNotes", "release"),
    ("deployment_plan", "DeploymentPlan", "release"),
    ("rollback_plan", "RollbackPlan", "release"),
    ("canary_rules", "DeploymentPlan", "release"),
    ("canary_results", "CanaryResults", "beta"),
    ("beta_metrics", "BetaMetrics", "beta"),
)


def _done_ids(ctx: AgentContext) -> list[str]:
    progress = items(ctx, "StoryProgress", "items")
    if progress:
        return [str(p["story_id"]) for p in progress if p.get("status") == "done"]
    return [str(s["id"]) for s in stories(ctx)]


def release_notes_agent(ctx: AgentContext) -> dict[str, Any]:
    rows = {str(s.get("id")): s for s in stories(ctx)}
    done = [i for i in _done_ids(ctx) if i in rows] or list(rows)
    failed = [p for p in items(ctx, "StoryProgress", "items") if p.get("status") != "done"]
    title = str(doc(ctx, "IdeaSpec").get("title") or ctx.facts.title)
    return {
        "ReleaseNotes": {
            "version": RELEASE_VERSION,
            "release_notes": {
                "summary": f"{title} {RELEASE_VERSION}: the first release, with {len(done)} user stories.",
                "highlights": [f"{i}: {rows[i].get('title')}" for i in done[:12]]
                or ["JSON API and web interface for every resource."],
                "story_ids": done,
                "known_issues": ["Records are kept in memory and are lost when the process restarts."]
                + [f"{p.get('story_id')}: {p.get('reason')}" for p in failed],
            },
        }
    }


def deployment_agent(ctx: AgentContext) -> dict[str, Any]:
    run = " ".join(str(x) for x in doc(ctx, "SourceCode").get("run_command", [])) or "python -m app"
    return {
        "DeploymentPlan": {
            "deployment_plan": {
                "strategy": "Canary: start the new version beside the old one, then switch the proxy",
                "prerequisites": ["Python 3.11 or later on the host", "Security and qa gates passed"],
                "steps": [
                    "Check out the release commit into a new directory.",
                    f"Start the new process: {run} (on a free port).",
                    "Wait until GET /health answers 200.",
                    "Send the canary share of traffic to the new process and watch the canary rules.",
                    "Switch all traffic, then stop the old process with SIGTERM.",
                ],
                "health_checks": ["GET /health returns 200 within 1 s", "GET / returns the web page"],
                "canary_rules": {
                    "duration_minutes": 15,
                    "max_error_rate": 0.01,
                    "max_p95_latency_ms": P95_LATENCY_MS,
                },
            }
        },
        "RollbackPlan": {
            "rollback_plan": {
                "triggers": [
                    "A canary rule is broken",
                    "GET /health fails twice in a row",
                    "Error rate above 1%",
                ],
                "steps": [
                    "Send all traffic back to the previous process.",
                    "Stop the new process with SIGTERM.",
                    "Record the failure and the failing checks in the run ledger.",
                ],
                "data_recovery": "None needed: records live in memory; the previous process keeps its own.",
                "max_minutes": 15,
            }
        },
    }


def documentation_agent(ctx: AgentContext) -> dict[str, Any]:
    api: list[dict[str, str]] = []
    for path, operations in sorted((doc(ctx, "OpenAPI").get("paths") or {}).items()):
        for method in ("get", "post", "put", "delete", "patch"):
            operation = operations.get(method) if isinstance(operations, dict) else None
            if isinstance(operation, dict):
                api.append(
                    {"method": method.upper(), "path": path, "summary": str(operation.get("summary", path))}
                )
    readme = str((doc(ctx, "SourceCode").get("files") or {}).get("README.md") or "")
    return {
        "Documentation": {
            "documentation": {
                "readme": readme or "Run the service with python -m app; see the API reference.",
                "api_reference": api or [{"method": "GET", "path": "/health", "summary": "Liveness check"}],
                "runbook": [
                    "Start: python -m app --host 127.0.0.1 --port 8000.",
                    "Stop: send SIGTERM; the server finishes and exits.",
                    "Check: GET /health answers 200 with status ok.",
                    f"Test: python -m coverage run -m pytest -q; keep coverage >= {MIN_COVERAGE_PERCENT}%.",
                ],
                "user_guide": [
                    "Open the home page; every record type has its own section.",
                    "Fill in the form of a section and press its Add button to save a record.",
                    "Saved records appear in the list below the form.",
                ],
            }
        }
    }


def changelog_agent(ctx: AgentContext) -> dict[str, Any]:
    done = _done_ids(ctx)
    available = set(ctx.inputs) | set(ctx.previous)
    sha = str(doc(ctx, "RepoManifest").get("commit_sha") or "")
    title = str(doc(ctx, "IdeaSpec").get("title") or ctx.facts.title)
    return {
        "ReleaseNotes": {
            "changelog": [
                {
                    "version": RELEASE_VERSION,
                    "changes": [f"Added {i}." for i in done[:20]] or ["First release."],
                }
            ]
        },
        "ReleaseDossier": {
            "name": f"{title} {RELEASE_VERSION}",
            "version": RELEASE_VERSION,
            "contents": [
                {
                    "section": section,
                    "artifact_type": type_,
                    "phase": phase,
                    "status": "available" if type_ in available else "pending",
                }
                for section, type_, phase in DOSSIER_SECTIONS
            ],
            "formats": ["json", "html", "pdf"],
            "commit_sha": sha if re.fullmatch(r"[0-9a-f]{40}", sha) else None,
        },
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "ReleaseNotesAgent": (release_notes_agent, ("IdeaSpec", "UserStories", "StoryProgress")),
    "DeploymentAgent": (deployment_agent, ("SourceCode", "InfrastructureSpec")),
    "DocumentationAgent": (documentation_agent, ("OpenAPI", "SourceCode")),
    "ChangelogAgent": (changelog_agent, ("IdeaSpec", "StoryProgress", "UserStories", "RepoManifest")),
}
