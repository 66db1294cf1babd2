"""Design tokens, breakpoints, the logo and the stylesheet: one source for build and aesthetic.

The palette's hue comes from a hash of the title, so each idea gets its own colours; lightness is
searched until the text pairs reach WCAG AA contrast (4.5:1), which the design guard re-checks.
"""

from __future__ import annotations

import colorsys
import html

from ideamine.core.canonical import sha256_hex
from ideamine.core.doc_guards import contrast_ratio
from ideamine.offline.naming import words_of

BREAKPOINTS = (
    ("mobile", 0, 599, "One column; the form sits above the list."),
    ("tablet", 600, 1023, "Two columns of resource sections."),
    ("desktop", 1024, None, "Three columns, content width capped at 72rem."),
)
SPACING = {"xs": 4, "sm": 8, "md": 16, "lg": 24, "xl": 32}
RADII = {"sm": 4, "md": 8}
TYPOGRAPHY = {
    "font_family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "base_size": "1rem",
    "scale_ratio": "1.25",
    "line_height": "1.5",
}
MOTION_MS = {"fast": 120, "base": 200}
EASING = {"standard": "cubic-bezier(0.2, 0, 0, 1)"}
TEXT_PAIRS = (
    ("text", "background"),
    ("text", "surface"),
    ("on_primary", "primary"),
    ("primary", "background"),
    ("muted", "background"),
    ("error", "background"),
)


def _hex(hue: float, lightness: float, saturation: float) -> str:
    r, g, b = colorsys.hls_to_rgb(hue / 360, lightness, saturation)
    return "#" + "".join(f"{round(c * 255):02x}" for c in (r, g, b))


def _readable(hue: float, saturation: float, on: str) -> str:
    """The lightest colour of this hue that reaches 4.5:1 against ``on``."""
    for step in range(60, 0, -1):
        color = _hex(hue, step / 100, saturation)
        if contrast_ratio(color, on) >= 4.6:
            return color
    return "#000000"


def palette(title: str) -> dict[str, str]:
    hue = int(sha256_hex(title)[:8], 16) % 360
    return {
        "primary": _readable(hue, 0.65, "#ffffff"),
        "on_primary": "#ffffff",
        "accent": _readable((hue + 150) % 360, 0.55, "#ffffff"),
        "text": "#1f2933",
        "muted": "#52606d",
        "background": "#ffffff",
        "surface": "#f5f7fa",
        "error": "#b00020",
    }


def initials(title: str) -> str:
    letters = [w[0].upper() for w in words_of(title) if w[0].isalpha()]
    return "".join(letters[:2]) or "A"


def logo_svg(title: str) -> str:
    colors = palette(title)
    label = html.escape(f"{title} logo", quote=True)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 48 48" role="img" '
        f'aria-label="{label}">\n'
        f'  <rect width="48" height="48" rx="8" fill="{colors["primary"]}"/>\n'
        f'  <text x="24" y="31" text-anchor="middle" font-family="sans-serif" font-size="20" '
        'font-weight="700" '
        f'fill="{colors["on_primary"]}">{initials(title)}</text>\n'
        "</svg>\n"
    )


def stylesheet(title: str) -> str:
    """The responsive stylesheet: tokens as custom properties, one media query per breakpoint."""
    colors = palette(title)
    tokens = "\n".join(f"  --color-{k.replace('_', '-')}: {v};" for k, v in colors.items())
    tokens += "\n" + "\n".join(f"  --space-{k}: {v}px;" for k, v in SPACING.items())
    tokens += "\n" + "\n".join(f"  --radius-{k}: {v}px;" for k, v in RADII.items())
    mobile, tablet, desktop = BREAKPOINTS
    return f""":root {{
{tokens}
  --font-family: {TYPOGRAPHY["font_family"]};
  --motion-fast: {MOTION_MS["fast"]}ms;
  --easing: {EASING["standard"]};
}}

* {{ box-sizing: border-box; }}
body {{
  margin: 0;
  font-family: var(--font-family);
  line-height: {TYPOGRAPHY["line_height"]};
  color: var(--color-text);
  background: var(--color-background);
}}
.skip-link {{ position: absolute; left: -999px; }}
.skip-link:focus {{ left: var(--space-md); top: var(--space-md); background: var(--color-surface); }}
.site-header {{
  display: flex;
  align-items: center;
  gap: var(--space-md);
  padding: var(--space-md);
  background: var(--color-primary);
  color: var(--color-on-primary);
}}
.site-header h1 {{ margin: 0; font-size: 1.5rem; }}
main {{ display: grid; gap: var(--space-lg); padding: var(--space-md); margin: 0 auto; max-width: 72rem; }}
.lead {{ color: var(--color-muted); grid-column: 1 / -1; }}
nav {{ grid-column: 1 / -1; }}
section {{ background: var(--color-surface); border-radius: var(--radius-md); padding: var(--space-md); }}
.field {{ display: flex; flex-direction: column; gap: var(--space-xs); margin-bottom: var(--space-sm); }}
input, textarea {{ font: inherit; padding: var(--space-sm); border: 1px solid var(--color-muted);
  border-radius: var(--radius-sm); }}
button {{
  font: inherit;
  padding: var(--space-sm) var(--space-md);
  border: 0;
  border-radius: var(--radius-sm);
  background: var(--color-primary);
  color: var(--color-on-primary);
  transition: opacity var(--motion-fast) var(--easing);
}}
button:hover {{ opacity: 0.9; }}
a:focus, button:focus, input:focus, textarea:focus {{
  outline: 3px solid var(--color-accent);
  outline-offset: 2px;
}}
.form-status {{ color: var(--color-muted); min-height: 1.5em; }}

/* {mobile[0]}: {mobile[3]} */
@media (max-width: {mobile[2]}px) {{
  main {{ grid-template-columns: 1fr; padding: var(--space-sm); }}
  .site-header h1 {{ font-size: 1.25rem; }}
}}
/* {tablet[0]}: {tablet[3]} */
@media (min-width: {tablet[1]}px) and (max-width: {tablet[2]}px) {{
  main {{ grid-template-columns: repeat(2, 1fr); }}
}}
/* {desktop[0]}: {desktop[3]} */
@media (min-width: {desktop[1]}px) {{
  main {{ grid-template-columns: repeat(3, 1fr); }}
}}
@media (prefers-reduced-motion: reduce) {{
  * {{ transition: none !important; animation: none !important; }}
}}
"""
