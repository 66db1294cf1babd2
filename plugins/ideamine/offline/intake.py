"""Intake: the idea as an IdeaSpec (IntakeAgent), its constraints (ConstraintsAgent) and its goals,
features and entities (RequirementsAgent). The idea text is quoted verbatim in ``description``.
"""

from __future__ import annotations

from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.core.doc_guards import VAGUE_TERMS, vague_terms_in
from ideamine.offline.common import AgentFn, entities, features, hinted, numbered, personas
from ideamine.offline.naming import phrase_list, sentence

# Constraints every generated project honours; given constraints come first.
DEFAULT_CONSTRAINTS: tuple[tuple[str, str], ...] = (
    ("technical", "The service runs on the Python standard library alone, with no runtime dependencies."),
    ("technical", "The service must not call third-party network services at runtime."),
    ("legal", "Personal data must not leave the deployment."),
    ("user", "The web interface meets WCAG 2.2 level AA."),
    ("business", "The first release is built and run by one small team on one server."),
)
_CATEGORY_WORDS = {
    "legal": ("gdpr", "privacy", "legal", "law", "consent", "licence", "license", "personal"),
    "business": ("budget", "cost", "price", "revenue", "month", "deadline", "team"),
    "user": ("accessib", "mobile", "language", "user", "wcag"),
    "operational": ("uptime", "backup", "deploy", "support", "hosting"),
}


def _category(text: str) -> str:
    lowered = text.lower()
    for category, words in _CATEGORY_WORDS.items():
        if any(word in lowered for word in words):
            return category
    return "technical"


def intake_agent(ctx: AgentContext) -> dict[str, Any]:
    people = personas(ctx)
    feats = features(ctx)
    source = " ".join(x for x in (ctx.idea, ctx.constraints or "", ctx.target_users or "") if x)
    terms = sorted(set(vague_terms_in(source)))
    problem = sentence(f"{phrase_list(people)} lack one dependable place to {phrase_list(feats[:3])}")
    if hinted(ctx, "clarity_below_min"):
        # Plainer wording on a clarity re-run: one short sentence per need instead of one long list.
        problem = " ".join(sentence(f"{people[0]} needs to {f}") for f in feats[:3])
    spec: dict[str, Any] = {
        "title": ctx.facts.title,
        "description": ctx.idea if ctx.idea.strip() else ctx.facts.summary,
        "problem": problem,
        "target_users": people,
    }
    # The domain's own nouns first, then any vague words the idea used, with what they will mean here.
    glossary = [
        {"term": e.label, "meaning": sentence(f"a {e.label} kept by the product, with its own API resource")}
        for e in entities(ctx)
    ]
    spec["glossary"] = glossary + [{"term": t, "meaning": VAGUE_TERMS[t]} for t in terms]
    return {"IdeaSpec": spec}


def constraints_agent(ctx: AgentContext) -> dict[str, Any]:
    given = [(_category(c), c, "given") for c in ctx.facts.constraints if c.strip()]
    default = [(category, text, "default") for category, text in DEFAULT_CONSTRAINTS]
    rows = [
        {"id": numbered("C", i), "text": text, "category": category, "source": source}
        for i, (category, text, source) in enumerate(given + default, start=1)
    ]
    return {
        "IdeaSpec": {"constraints": [row["text"] for row in rows]},
        "ConstraintsList": {"constraints": rows},
    }


def requirements_agent(ctx: AgentContext) -> dict[str, Any]:
    ents = entities(ctx)
    people = personas(ctx)
    feats = features(ctx)
    goals = [sentence(f"{people[i % len(people)]}s can {f}") for i, f in enumerate(feats)]
    goals.append(sentence(f"Every {ents[0].label} record can be created, listed, changed and removed"))
    return {
        "IdeaSpec": {
            "goals": goals,
            "features": feats,
            "entities": [e.name for e in ents],
            "out_of_scope": [
                "Payments and invoicing in the first release.",
                "Native mobile apps; the web interface adapts to phones instead.",
                "Data import from other products.",
            ],
        }
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "IntakeAgent": (intake_agent, ()),
    "ConstraintsAgent": (constraints_agent, ()),
    "RequirementsAgent": (requirements_agent, ()),
}
