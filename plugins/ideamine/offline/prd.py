"""PRD: the document (PRDWriterAgent), UX flows, NFRs, and the traceability matrix.

The phase is sequential, so each agent reads the stories StoryCutterAgent wrote in ``ctx.previous``.
"""

from __future__ import annotations

from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.core.doc_guards import conflicts
from ideamine.offline.common import (
    MIN_COVERAGE_PERCENT,
    MIN_THROUGHPUT_RPS,
    P95_LATENCY_MS,
    AgentFn,
    constraints,
    doc,
    entities,
    features,
    hinted,
    numbered,
    personas,
    stories,
    texts,
)
from ideamine.offline.naming import article, phrase_list, sentence

BASE_NFRS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "performance",
        f"The p95 latency of every API request must stay below {P95_LATENCY_MS} ms.",
        "p95_latency_ms",
        f"< {P95_LATENCY_MS}",
        "qa: performance guard",
    ),
    (
        "performance",
        f"One instance must sustain {MIN_THROUGHPUT_RPS} requests per second.",
        "throughput_rps",
        f">= {MIN_THROUGHPUT_RPS}",
        "qa: performance guard",
    ),
    (
        "accessibility",
        "Every page must meet WCAG 2.2 level AA with zero violations.",
        "wcag_violations",
        "0",
        "qa: accessibility guard",
    ),
    (
        "security",
        "A release must ship with zero critical vulnerabilities and zero secrets in the code.",
        "critical_findings",
        "0",
        "security: cve_count and secrets_detected guards",
    ),
    (
        "maintainability",
        f"Automated tests must cover at least {MIN_COVERAGE_PERCENT}% of the application lines.",
        "line_coverage_percent",
        f">= {MIN_COVERAGE_PERCENT}",
        "build: test_coverage guard",
    ),
    (
        "availability",
        "The health endpoint must answer 200 within one second while the service runs.",
        "health_check",
        "200 within 1 s",
        "beta: deployment_health guard",
    ),
)
EXTRA_NFRS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "privacy",
        "Personal data must stay inside the deployment.",
        "third_party_transfers",
        "0",
        "security: DAST and code review",
    ),
    (
        "operability",
        "Every release must have a rollback that completes within 15 minutes.",
        "rollback_minutes",
        "<= 15",
        "release: rollback plan",
    ),
    (
        "security",
        "Every response must carry the nosniff, frame-deny and content-security-policy headers.",
        "security_headers",
        "all responses",
        "security: DAST",
    ),
    (
        "availability",
        "The error rate in the beta canary must stay below 1%.",
        "canary_error_rate",
        "< 0.01",
        "beta: canary_validation guard",
    ),
)


def prd_writer_agent(ctx: AgentContext) -> dict[str, Any]:
    spec = doc(ctx, "IdeaSpec")
    people = personas(ctx)
    title = str(spec.get("title") or ctx.facts.title)
    story_rows = stories(ctx)
    return {
        "PRD": {
            "title": title,
            "overview": sentence(f"{title} lets {phrase_list(people)} {phrase_list(features(ctx)[:3])}"),
            "problem": str(
                spec.get("problem") or sentence(f"{people[0]}s lack one place to manage their records")
            ),
            "goals": texts(spec.get("goals")) or [sentence(f) for f in features(ctx)],
            "personas": people,
            "scope": {
                "in_scope": [f"{s['id']}: {s['title']}" for s in story_rows]
                or ["The JSON API and web interface."],
                "out_of_scope": texts(spec.get("out_of_scope")),
            },
            "release_criteria": [
                "Every story of priority 'must' passes its acceptance tests.",
                f"Line coverage of app/ is at least {MIN_COVERAGE_PERCENT}%.",
                "Security scans report no critical vulnerabilities and no secrets.",
                "The accessibility audit reports no WCAG 2.2 AA violations.",
            ],
        }
    }


def ux_flow_agent(ctx: AgentContext) -> dict[str, Any]:
    rows = stories(ctx)
    ents = entities(ctx)
    flows: list[dict[str, Any]] = []
    first = ents[0]
    for person in personas(ctx):
        flows.append(
            {
                "name": f"First visit of {article(person)} {person.lower()}",
                "persona": person,
                "steps": [
                    "Open the home page.",
                    sentence(f"Read the list of {first.path.replace('-', ' ')}"),
                    sentence(f"Add {article(first.label)} {first.label} with the form"),
                    "See the new record at the top of the list.",
                ],
                "story_ids": [
                    s["id"]
                    for s in rows
                    if s.get("entity") == first.name and s.get("operation") in ("create", "list")
                ],
                "screens": [
                    "Home page",
                    f"{first.label.capitalize()} list",
                    f"{first.label.capitalize()} form",
                ],
            }
        )
    for entity in ents:
        own = [s for s in rows if s.get("entity") == entity.name]
        if not own:
            continue
        flows.append(
            {
                "name": f"Manage {entity.path.replace('-', ' ')}",
                "persona": str(own[0].get("persona") or personas(ctx)[0]),
                "steps": [sentence(str(s.get("want", "")).removeprefix("to ")) for s in own],
                "story_ids": [s["id"] for s in own],
                "screens": [f"{entity.label.capitalize()} list", f"{entity.label.capitalize()} form"],
            }
        )
    return {"PRD": {"ux_flows": [{"id": numbered("UX", i), **f} for i, f in enumerate(flows, start=1)]}}


def nfrs_agent(ctx: AgentContext) -> dict[str, Any]:
    chosen = list(BASE_NFRS)
    if hinted(ctx, "nfrs_below_min"):
        chosen += EXTRA_NFRS
    rules = constraints(ctx)
    rows = [
        {"category": c, "statement": s, "metric": m, "target": t, "verified_by": v}
        for c, s, m, t, v in chosen
        if not conflicts(s, rules)
    ]
    return {"PRD": {"nfrs": [{"id": numbered("NFR", i), **row} for i, row in enumerate(rows, start=1)]}}


def trace_matrix_agent(ctx: AgentContext) -> dict[str, Any]:
    rows = stories(ctx)
    nfrs = [n for n in doc(ctx, "PRD").get("nfrs", []) if isinstance(n, dict)]
    table: list[dict[str, Any]] = []
    feature_list = texts(doc(ctx, "IdeaSpec").get("features")) or features(ctx)
    for feature in feature_list:
        own = [s for s in rows if s.get("feature") == feature]
        if own:
            table.append(_row(sentence(feature), "feature", own))
    for story in rows:
        if story.get("feature") not in feature_list:
            table.append(_row(sentence(str(story.get("title", ""))), "crud", [story]))
    for nfr in nfrs:
        table.append(
            {
                "requirement": str(nfr.get("statement")),
                "kind": "nfr",
                "story_ids": [],
                "nfr_ids": [nfr.get("id")],
                "acceptance_tests": [str(nfr.get("verified_by"))],
            }
        )
    traced = {i for row in table for i in row["story_ids"]}
    return {
        "RTM": {
            "traceability_matrix": [
                {"requirement_id": numbered("REQ", i), **r} for i, r in enumerate(table, start=1)
            ],
            "untraced_story_ids": [s["id"] for s in rows if s["id"] not in traced],
        }
    }


def _row(requirement: str, kind: str, own: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "requirement": requirement,
        "kind": kind,
        "story_ids": [s["id"] for s in own],
        "nfr_ids": [],
        "acceptance_tests": [f"tests/test_{str(s['id']).lower().replace('-', '_')}.py" for s in own],
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "PRDWriterAgent": (prd_writer_agent, ("IdeaSpec", "IdeationResult", "RevisedAssumptions")),
    "UXFlowAgent": (ux_flow_agent, ("IdeaSpec", "IdeationResult")),
    "NFRsAgent": (nfrs_agent, ("IdeaSpec", "ConstraintsList", "TechStackProposal")),
    "TraceMatrixAgent": (trace_matrix_agent, ("IdeaSpec",)),
}
