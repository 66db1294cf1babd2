"""Critique: findings and counterfactuals, a risk register, and the idea's assumptions challenged."""

from __future__ import annotations

from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.offline.common import (
    MIN_THROUGHPUT_RPS,
    AgentFn,
    entities,
    features,
    hinted,
    numbered,
    personas,
)
from ideamine.offline.naming import sentence


def critique_agent(ctx: AgentContext) -> dict[str, Any]:
    ents, feats, people = entities(ctx), features(ctx), personas(ctx)
    label = ents[0].label
    findings = [
        (
            "scope",
            "medium",
            f"The idea names {len(feats)} features and {len(ents)} kinds of record.",
            "Ship the features as user stories one by one and cut any that fail acceptance tests.",
        ),
        (
            "data",
            "medium",
            "An in-memory store loses every record on restart.",
            "Document it for the beta and plan a database behind the same store interface.",
        ),
        (
            "adoption",
            "high",
            f"{people[0]}s already use spreadsheets and chats for each {label}.",
            "Measure weekly active use in beta and stop if it stays below target.",
        ),
        (
            "accessibility",
            "medium",
            "Phone users and screen-reader users are part of the audience.",
            "Audit every page against WCAG 2.2 AA before release.",
        ),
    ]
    return {
        "CritiqueReport": {
            "summary": sentence(
                f"{ctx.facts.title} is feasible as a focused tool; its main risk is adoption, not technology"
            ),
            "findings": [
                {"id": numbered("F", i), "area": a, "severity": s, "finding": f, "recommendation": r}
                for i, (a, s, f, r) in enumerate(findings, start=1)
            ],
            "counterfactuals": [
                sentence(
                    f"If {people[0].lower()}s keep using spreadsheets, usage stays below the beta target"
                ),
                sentence(f"If each {label} needs approval by a second person, a review step is needed"),
                "If data must survive restarts in beta, a database has to come before release.",
                "If most visits come from phones, the mobile layout becomes the primary design.",
                "If nobody pays for the paid tier, the product runs as a free community tool.",
            ],
            "confidence": 0.75,
        }
    }


def risk_agent(ctx: AgentContext) -> dict[str, Any]:
    ents, people = entities(ctx), personas(ctx)
    label = ents[0].label
    risks = [
        (
            "technical",
            "Records are lost when the process restarts (in-memory store).",
            "medium",
            "high",
            "Add a database behind the store interface before data must persist.",
        ),
        (
            "technical",
            "One process may not sustain peak load.",
            "low",
            "medium",
            "Load-test in qa; the app tier is stateless, so more processes can run behind a proxy.",
        ),
        (
            "business",
            f"{people[0]}s may not pay for a paid tier.",
            "medium",
            "high",
            "Validate willingness to pay in beta before building paid features.",
        ),
        (
            "user",
            f"{people[0]}s may not switch from their current way of handling each {label}.",
            "medium",
            "high",
            "Make the first task take under three minutes and measure activation.",
        ),
        (
            "legal",
            "Records may contain personal data.",
            "medium",
            "medium",
            "Keep data inside the deployment and document deletion on request.",
        ),
    ]
    if hinted(ctx, "risks_below_min", "risk_categories_missing"):
        risks += [
            (
                "operational",
                "A single maintainer is a bus factor of one.",
                "medium",
                "medium",
                "Document the runbook and the rollback plan in the release.",
            ),
            (
                "user",
                "Users with assistive technology may be unable to finish a task.",
                "low",
                "high",
                "Run the accessibility audit in qa and fix every violation.",
            ),
            (
                "business",
                "Larger platforms may copy the feature set.",
                "low",
                "medium",
                "Stay focused on one job and self-hosting.",
            ),
        ]
        risks += [
            (
                "technical",
                f"Invalid {e.label} data could enter the store.",
                "low",
                "medium",
                f"Validate every {e.label} field on create and update.",
            )
            for e in ents
        ]
    return {
        "RiskRegister": {
            "risks": [
                {
                    "id": numbered("R", i),
                    "category": c,
                    "description": d,
                    "likelihood": lk,
                    "impact": im,
                    "mitigation": m,
                    "owner": "product team" if c in ("business", "user") else "engineering",
                }
                for i, (c, d, lk, im, m) in enumerate(risks, start=1)
            ]
        }
    }


def assumption_agent(ctx: AgentContext) -> dict[str, Any]:
    ents, feats, people = entities(ctx), features(ctx), personas(ctx)
    rows: list[tuple[str, str, str, str | None]] = [
        (
            sentence(f"{people[0]}s want to {f}"),
            f"Is '{f}' a task done often enough to need a tool?",
            "challenged",
            None,
        )
        for f in feats
    ]
    rows += [
        (
            "One server handles the first release's load.",
            "What peak load does beta show?",
            "revised",
            f"One server handles {MIN_THROUGHPUT_RPS} requests per second; more run behind a proxy.",
        ),
        (
            "All data fits in memory for the beta.",
            "How many records will beta users create?",
            "revised",
            "Beta data fits in memory; a database comes before general availability.",
        ),
        (
            sentence(f"{people[0]}s will pay for extra features"),
            "Would they pay, and how much?",
            "challenged",
            None,
        ),
        (
            "Users reach the service with a current web browser.",
            "Do some users only have old phones?",
            "validated",
            None,
        ),
    ]
    if hinted(ctx, "assumptions_challenged_below_min"):
        rows += [
            (
                sentence(f"A {e.label} needs only a name, a description and a status"),
                f"Which other {e.label} fields do users ask for in beta?",
                "challenged",
                None,
            )
            for e in ents
        ]
    return {
        "RevisedAssumptions": {
            "assumptions": [
                {
                    "id": numbered("A", i),
                    "statement": s,
                    "challenge": c,
                    "status": st,
                    "revised_statement": r,
                    "evidence": "Derived from the idea text; to be checked against beta metrics.",
                }
                for i, (s, c, st, r) in enumerate(rows, start=1)
            ]
        }
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "CritiqueAgent": (critique_agent, ("IdeaSpec", "IdeationResult")),
    "RiskAnalysisAgent": (risk_agent, ("IdeaSpec", "IdeationResult", "TechStackProposal")),
    "AssumptionChallengerAgent": (assumption_agent, ("IdeaSpec", "IdeationResult")),
}
