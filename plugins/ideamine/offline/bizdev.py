"""BizDev: business model and unit economics, pricing, go-to-market and success metrics.

The numbers are planning assumptions derived from the idea's size (labelled as such), not market
data: a paid tier priced by the number of resources, a fixed churn, and the LTV/CAC that follow.
"""

from __future__ import annotations

from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.offline.common import P95_LATENCY_MS, AgentFn, entities, features, personas
from ideamine.offline.naming import phrase_list, sentence

GROSS_MARGIN = 0.8
MONTHLY_CHURN = 0.05


def pro_price(ctx: AgentContext) -> float:
    """The paid tier's monthly price: one dollar per resource on top of a base of eight."""
    return float(8 + len(entities(ctx)))


def _economics(ctx: AgentContext) -> dict[str, Any]:
    price = pro_price(ctx)
    cac = float(30 + 2 * len(entities(ctx)))
    ltv = round(price * GROSS_MARGIN / MONTHLY_CHURN, 2)
    return {
        "cac_usd": cac,
        "ltv_usd": ltv,
        "ltv_to_cac": round(ltv / cac, 2),
        "payback_months": round(cac / (price * GROSS_MARGIN), 1),
        "gross_margin": GROSS_MARGIN,
        "assumptions": [
            f"Monthly churn of paying accounts is {MONTHLY_CHURN:.0%}.",
            f"Gross margin is {GROSS_MARGIN:.0%}: one small server serves many accounts.",
            "Acquisition is mostly community and referral channels, so CAC stays low.",
        ],
    }


def business_model_agent(ctx: AgentContext) -> dict[str, Any]:
    people = personas(ctx)
    return {
        "BusinessPlan": {
            "business_model": {
                "type": "Freemium software as a service, with a self-hosted option",
                "value_proposition": sentence(
                    f"{ctx.facts.title} lets {phrase_list(people)} "
                    f"{phrase_list(features(ctx)[:2])} in one place"
                ),
                "customer_segments": [f"{p}s" for p in people] + ["Small organisations that serve them"],
                "revenue_streams": ["Pro subscriptions", "Team subscriptions"],
                "cost_structure": ["Hosting", "Support", "Development"],
                "key_partners": ["Community groups of the target users"],
            },
            "unit_economics": _economics(ctx),
        }
    }


def pricing_agent(ctx: AgentContext) -> dict[str, Any]:
    price = pro_price(ctx)
    label = entities(ctx)[0].label
    return {
        "PricingModel": {
            "pricing_strategy": {
                "model": "freemium",
                "rationale": "A free tier drives adoption; groups that rely on it pay for more capacity.",
                "currency": "USD",
            },
            "tiers": [
                {
                    "name": "Free",
                    "monthly_price": 0.0,
                    "features": [f"Up to 50 {label} records"],
                    "limits": ["One user"],
                },
                {
                    "name": "Pro",
                    "monthly_price": price,
                    "features": [f"Unlimited {label} records", "Export"],
                    "limits": ["Five users"],
                },
                {
                    "name": "Team",
                    "monthly_price": price * 3,
                    "features": ["Everything in Pro", "Priority support"],
                    "limits": ["Twenty-five users"],
                },
            ],
        }
    }


def gtm_agent(ctx: AgentContext) -> dict[str, Any]:
    people = personas(ctx)
    return {
        "GTMStrategy": {
            "gtm_plan": {
                "positioning": sentence(f"The focused tool for {people[0].lower()}s, owned by its users"),
                "channels": [
                    {
                        "name": "Community groups",
                        "audience": f"{people[0]}s",
                        "tactic": "Demos in existing groups",
                        "metric": "sign-ups per demo",
                    },
                    {
                        "name": "Referral",
                        "audience": "Active users",
                        "tactic": "Invite links with a free month",
                        "metric": "invites accepted",
                    },
                    {
                        "name": "Content",
                        "audience": f"{people[-1]}s",
                        "tactic": "How-to guides for each feature",
                        "metric": "guide-to-sign-up rate",
                    },
                ],
                "launch_phases": [
                    "Private beta with 20 users",
                    "Public beta",
                    "General availability (1.0.0)",
                ],
                "messaging": [
                    sentence(f"{f.capitalize()} in under three minutes") for f in features(ctx)[:3]
                ],
            }
        }
    }


def metrics_agent(ctx: AgentContext) -> dict[str, Any]:
    people, feats = personas(ctx), features(ctx)
    return {
        "BusinessPlan": {
            "success_metrics": [
                {
                    "name": f"Weekly active {people[0].lower()}s who {feats[0]}",
                    "kind": "north_star",
                    "target": "100",
                    "timeframe": "3 months after launch",
                },
                {
                    "name": "Sign-up to first record",
                    "kind": "activation",
                    "target": "60%",
                    "timeframe": "first day",
                },
                {
                    "name": "Four-week retention",
                    "kind": "retention",
                    "target": "40%",
                    "timeframe": "per cohort",
                },
                {
                    "name": "Free to paid conversion",
                    "kind": "revenue",
                    "target": "4%",
                    "timeframe": "6 months",
                },
                {
                    "name": "p95 API latency",
                    "kind": "quality",
                    "target": f"< {P95_LATENCY_MS} ms",
                    "timeframe": "always",
                },
            ]
        }
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "BusinessModelAgent": (business_model_agent, ("IdeaSpec", "IdeationResult", "PRD")),
    "PricingAgent": (pricing_agent, ("IdeaSpec", "IdeationResult")),
    "GTMAgent": (gtm_agent, ("IdeaSpec", "IdeationResult", "CompetitiveAnalysis")),
    "MetricsAgent": (metrics_agent, ("IdeaSpec", "PRD")),
}
