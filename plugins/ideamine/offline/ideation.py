"""Ideation: strategy and personas (IdeationResult), competitor categories and the tech stack.

The offline engine has no market data, so competitors are named as *categories* of alternatives
(``kind: "category"``), never as invented companies.
"""

from __future__ import annotations

from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.offline.common import (
    MIN_THROUGHPUT_RPS,
    P95_LATENCY_MS,
    AgentFn,
    entities,
    features,
    personas,
)
from ideamine.offline.naming import phrase_list, sentence


def strategy_agent(ctx: AgentContext) -> dict[str, Any]:
    people, feats, ents = personas(ctx), features(ctx), entities(ctx)
    title = ctx.facts.title
    return {
        "IdeationResult": {
            "strategy": {
                "vision": sentence(
                    f"{title} gives {phrase_list(people)} one place to {phrase_list(feats[:3])}"
                ),
                "positioning": sentence(
                    f"For {people[0].lower()}s who juggle notes, chats and spreadsheets, {title} keeps each "
                    f"{ents[0].label} in one shared, searchable list"
                ),
                "differentiators": [
                    sentence(
                        f"Built around {phrase_list([e.label for e in ents[:3]])} records, not generic lists"
                    ),
                    "Runs on one small server with no third-party services, so data stays with its owner.",
                    "Works in any current browser, on phones and desktops, and meets WCAG 2.2 AA.",
                ],
                "objectives": [
                    f"Reach 100 weekly active {people[0].lower()}s within 3 months of launch.",
                    f"Ship all {len(feats)} core features in release 1.0.0.",
                    f"Keep p95 API latency under {P95_LATENCY_MS} ms at {MIN_THROUGHPUT_RPS} requests/s.",
                    "Convert 4% of active accounts to a paid tier within 6 months.",
                ],
            }
        }
    }


def persona_agent(ctx: AgentContext) -> dict[str, Any]:
    feats, ents = features(ctx), entities(ctx)
    rows = []
    for i, name in enumerate(personas(ctx)):
        own = feats[i % len(feats) :] + feats[: i % len(feats)]
        rows.append(
            {
                "name": name,
                "role": sentence(f"{name} who wants to {own[0]}"),
                "goals": [sentence(f"{f}") for f in own[:3]],
                "pain_points": [
                    sentence(f"{ents[0].label.capitalize()} details are scattered across messages and notes"),
                    "Nobody can see at a glance what changed and when.",
                ],
                "needs": [
                    sentence(f"A single list of {ents[0].path.replace('-', ' ')} that everyone sees"),
                    "Pages that work on a phone and with a screen reader.",
                ],
            }
        )
    return {"IdeationResult": {"personas": rows}}


def competitive_agent(ctx: AgentContext) -> dict[str, Any]:
    ents, people = entities(ctx), personas(ctx)
    label = ents[0].label
    return {
        "CompetitiveAnalysis": {
            "competitors": [
                {
                    "name": "Spreadsheets and shared documents",
                    "kind": "category",
                    "description": sentence(f"{people[0]}s track each {label} in a shared spreadsheet"),
                    "strengths": ["Free and already familiar.", "Flexible columns."],
                    "weaknesses": ["No validation of entries.", "Poor on phones.", "No API for other tools."],
                    "our_edge": sentence(f"Validated {label} records, an API and a phone-ready interface"),
                },
                {
                    "name": "General-purpose messaging groups",
                    "kind": "category",
                    "description": sentence(f"{people[0]}s coordinate each {label} in group chats"),
                    "strengths": ["Instant and social.", "Everyone already has it."],
                    "weaknesses": ["Information gets lost in the stream.", "No structure or search."],
                    "our_edge": sentence(f"Every {label} is a record with a status that can be found later"),
                },
                {
                    "name": "Large all-in-one platforms",
                    "kind": "category",
                    "description": "Broad suites that cover this need among many others.",
                    "strengths": ["Many integrations.", "Established vendors."],
                    "weaknesses": ["Costly for small groups.", "Long set-up.", "Data held by the vendor."],
                    "our_edge": "Focused on one job, self-hostable, and running on one small server.",
                },
            ],
            "market_gaps": [
                sentence(
                    f"No focused, self-hostable tool for {people[0].lower()}s to manage {label} records"
                ),
                "Existing options fail accessibility checks on phones.",
            ],
        }
    }


def tech_stack_agent(ctx: AgentContext) -> dict[str, Any]:
    def choice(layer: str, pick: str, why: str) -> dict[str, str]:
        return {"layer": layer, "choice": pick, "rationale": why, "maturity": "proven"}

    return {
        "TechStackProposal": {
            "tech_stack": [
                choice("language", "Python 3.11", "Widely known; the standard library covers HTTP and JSON."),
                choice(
                    "web",
                    "WSGI on the standard library (wsgiref)",
                    "No runtime dependency to patch or audit.",
                ),
                choice(
                    "storage", "In-memory store behind a small store interface", "Swappable for a database."
                ),
                choice(
                    "frontend",
                    "Semantic HTML, CSS and a small script",
                    "Accessible and fast without a build.",
                ),
                choice("testing", "pytest and coverage.py", "The de-facto Python test and coverage tools."),
                choice(
                    "deployment",
                    "One process behind a reverse proxy",
                    "Simple to run, observe and roll back.",
                ),
            ],
            "runtime_dependencies": [],
            "notes": [
                sentence(f"{len(entities(ctx))} resources map one-to-one to JSON endpoints under /api"),
                "A database replaces the in-memory store once data must survive restarts.",
            ],
        }
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "StrategyAgent": (strategy_agent, ("IdeaSpec",)),
    "PersonaAgent": (persona_agent, ("IdeaSpec",)),
    "CompetitiveAgent": (competitive_agent, ("IdeaSpec",)),
    "TechStackAgent": (tech_stack_agent, ("IdeaSpec", "ConstraintsList")),
}
