"""QA's compatibility matrix and the aesthetic phase: design system, style guide, visual assets.

The design values are the ones the build phase already put into the generated stylesheet and
logo (``ideamine.offline.design``), so the documents describe the shipped interface.
"""

from __future__ import annotations

from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.offline.common import AgentFn, doc, entities
from ideamine.offline.design import (
    BREAKPOINTS,
    EASING,
    MOTION_MS,
    RADII,
    SPACING,
    TEXT_PAIRS,
    TYPOGRAPHY,
    logo_svg,
    palette,
)
from ideamine.offline.naming import sentence


def _title(ctx: AgentContext) -> str:
    return str(doc(ctx, "IdeaSpec").get("title") or ctx.facts.title)


def compatibility_agent(ctx: AgentContext) -> dict[str, Any]:
    def row(
        target: str, kind: str, versions: list[str], basis: str, status: str = "supported"
    ) -> dict[str, Any]:
        return {"target": target, "kind": kind, "versions": versions, "status": status, "basis": basis}

    return {
        "CompatibilityMatrix": {
            "matrix": [
                row(
                    "CPython",
                    "runtime",
                    ["3.11", "3.12", "3.13"],
                    "Standard library only; tested on the build interpreter.",
                ),
                row("Linux", "os", ["any with CPython 3.11+"], "No native code or OS-specific calls."),
                row("macOS", "os", ["any with CPython 3.11+"], "No native code or OS-specific calls."),
                row("Windows", "os", ["10", "11"], "Not exercised by the pipeline.", "untested"),
                row(
                    "Firefox, Chrome, Edge, Safari",
                    "browser",
                    ["current", "current - 1"],
                    "Plain HTML, CSS custom properties and fetch; no build step.",
                    "untested",
                ),
                row(
                    "Phone, tablet, desktop",
                    "viewport",
                    [f"{b[0]} from {b[1]}px" for b in BREAKPOINTS],
                    "Media queries per breakpoint in styles.css.",
                ),
            ],
            "notes": [
                "Browser rows are declared from the features used, not measured.",
                "The accessibility audit in qa loads the page in one browser engine.",
            ],
        }
    }


def ui_polish_agent(ctx: AgentContext) -> dict[str, Any]:
    return {
        "DesignSystem": {
            "tokens": {
                "colors": palette(_title(ctx)),
                "typography": dict(TYPOGRAPHY),
                "spacing": dict(SPACING),
                "radii": dict(RADII),
            },
            "components": [
                {
                    "name": "Header",
                    "tokens": ["colors.primary", "colors.on_primary", "spacing.md"],
                    "states": ["default"],
                },
                {
                    "name": "Button",
                    "tokens": ["colors.primary", "colors.on_primary", "radii.sm", "spacing.sm"],
                    "states": ["default", "hover", "focus"],
                },
                {
                    "name": "Text field",
                    "tokens": ["colors.text", "colors.muted", "radii.sm", "spacing.sm"],
                    "states": ["default", "focus", "invalid"],
                },
                {
                    "name": "Resource card",
                    "tokens": ["colors.surface", "radii.md", "spacing.md"],
                    "states": ["default"],
                },
            ],
            "text_pairs": [{"foreground": fg, "background": bg} for fg, bg in TEXT_PAIRS],
        }
    }


def animation_agent(ctx: AgentContext) -> dict[str, Any]:
    return {
        "DesignSystem": {
            "motion": {
                "durations_ms": dict(MOTION_MS),
                "easing": dict(EASING),
                "reduced_motion_respected": True,
            }
        }
    }


def branding_agent(ctx: AgentContext) -> dict[str, Any]:
    title = _title(ctx)
    colors = palette(title)
    label = entities(ctx)[0].label
    return {
        "StyleGuide": {
            "brand": {
                "name": title,
                "tagline": sentence(f"Every {label}, in one place"),
                "voice": ["Plain words.", "Short sentences.", "Name the record, then the action."],
                "palette": {k: colors[k] for k in ("primary", "on_primary", "accent", "text")},
                "logo_asset": "logo",
            },
            "rules": [
                "Use the primary colour for the header and main actions only.",
                "Keep text on the background or surface colours for contrast.",
                "Show the logo with its full title as alternative text.",
            ],
        },
        "VisualAssets": {
            "assets": [
                {
                    "name": "logo",
                    "kind": "svg",
                    "path": "app/static/logo.svg",
                    "alt": f"{title} logo",
                    "content": logo_svg(title),
                },
            ]
        },
    }


def responsive_agent(ctx: AgentContext) -> dict[str, Any]:
    return {
        "StyleGuide": {
            "breakpoints": [
                {"name": name, "min_width": low, "max_width": high, "layout": layout}
                for name, low, high, layout in BREAKPOINTS
            ]
        }
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "CompatibilityAgent": (compatibility_agent, ("SourceCode",)),
    "UIPolishAgent": (ui_polish_agent, ("IdeaSpec", "SourceCode")),
    "AnimationAgent": (animation_agent, ("SourceCode",)),
    "BrandingAgent": (branding_agent, ("IdeaSpec", "IdeationResult")),
    "ResponsiveAgent": (responsive_agent, ("SourceCode",)),
}
