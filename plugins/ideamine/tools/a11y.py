"""Static accessibility checks of an HTML page, a subset of WCAG 2.2 that needs no browser.

Checked (rule -> WCAG success criterion, level):

- ``html_lang``: ``<html lang>`` is set (3.1.1, A);
- ``document_title``: a non-empty ``<title>`` (2.4.2, A);
- ``img_alt``: every ``<img>`` has an ``alt`` attribute (1.1.1, A);
- ``form_label``: every form field (input other than hidden/submit/button/reset/image, select,
  textarea) has a ``<label for>``, a wrapping ``<label>``, ``aria-label`` or ``aria-labelledby``
  (1.3.1 and 4.1.2, A);
- ``heading_order``: heading levels never skip downwards (h2 -> h4) (1.3.1, A);
- ``single_h1``: exactly one ``<h1>`` (2.4.6, AA);
- ``link_text``: every link has text, ``aria-label`` or an image with alt text, and not a bare
  "click here"/"here"/"more" (2.4.4, A);
- ``viewport``: a viewport meta tag that does not disable zoom (1.4.4 and 1.4.10, AA).

What needs rendering (contrast, focus order, reflow at 320 px) is not checked here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

STANDARD = "WCAG 2.2 (static subset)"
CHECKS = (
    "html_lang",
    "document_title",
    "img_alt",
    "form_label",
    "heading_order",
    "single_h1",
    "link_text",
    "viewport",
)
_RULES = {
    "html_lang": ("3.1.1", "A"),
    "document_title": ("2.4.2", "A"),
    "img_alt": ("1.1.1", "A"),
    "form_label": ("1.3.1", "A"),
    "heading_order": ("1.3.1", "A"),
    "single_h1": ("2.4.6", "AA"),
    "link_text": ("2.4.4", "A"),
    "viewport": ("1.4.4", "AA"),
}
_UNLABELLED_INPUTS = frozenset({"hidden", "submit", "button", "reset", "image"})
_VAGUE_LINKS = frozenset({"click here", "here", "more", "read more", "link"})
_LEVELS = {"A": 1, "AA": 2, "AAA": 3}


@dataclass
class _Link:
    label: str
    text: list[str] = field(default_factory=list)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.title: list[str] = []
        self.in_title = False
        self.viewport: str | None = None
        self.images_without_alt = 0
        self.fields: list[tuple[str, dict[str, str], bool]] = []  # (tag, attrs, inside a label)
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.headings: list[int] = []
        self.links: list[_Link] = []
        self.open_link: _Link | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {key: (value or "") for key, value in attrs_list}
        if tag == "html" and self.lang is None:
            self.lang = attrs.get("lang", "").strip()
        elif tag == "title":
            self.in_title = True
        elif tag == "meta" and attrs.get("name", "").lower() == "viewport":
            self.viewport = attrs.get("content", "")
        elif tag == "img":
            if "alt" not in attrs:
                self.images_without_alt += 1
            if self.open_link is not None and attrs.get("alt", "").strip():
                self.open_link.text.append(attrs["alt"])
        elif tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if tag != "input" or attrs.get("type", "text").lower() not in _UNLABELLED_INPUTS:
                self.fields.append((tag, attrs, self.label_depth > 0))
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.headings.append(int(tag[1]))
        elif tag == "a" and "href" in attrs:
            self.open_link = _Link(label=attrs.get("aria-label", "").strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag == "label":
            self.label_depth = max(0, self.label_depth - 1)
        elif tag == "a" and self.open_link is not None:
            self.links.append(self.open_link)
            self.open_link = None

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        if self.open_link is not None:
            self.open_link.text.append(data)


def _violations(page: _Page) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if not page.lang:
        found.append(("html_lang", "the <html> element has no lang attribute"))
    if not "".join(page.title).strip():
        found.append(("document_title", "the page has no non-empty <title>"))
    if page.images_without_alt:
        found.append(("img_alt", f"{page.images_without_alt} <img> without an alt attribute"))
    for tag, attrs, wrapped in page.fields:
        named = attrs.get("aria-label", "").strip() or attrs.get("aria-labelledby", "").strip()
        labelled_by_id = bool(attrs.get("id")) and attrs.get("id") in page.label_for
        if not (wrapped or named or labelled_by_id):
            found.append(("form_label", f"<{tag} name='{attrs.get('name', '')[:40]}'> has no label"))
    previous = 0
    for level in page.headings:
        if previous and level > previous + 1:
            found.append(("heading_order", f"heading level jumps from h{previous} to h{level}"))
        previous = level
    h1_count = page.headings.count(1)
    if h1_count != 1:
        found.append(("single_h1", f"{h1_count} <h1> elements (expected exactly one)"))
    for link in page.links:
        text = " ".join(" ".join(link.text).split()).lower()
        if not (link.label or text):
            found.append(("link_text", "a link has no text or aria-label"))
        elif not link.label and text in _VAGUE_LINKS:
            found.append(("link_text", f"link text '{text}' does not say where it goes"))
    if page.viewport is None:
        found.append(("viewport", "no <meta name='viewport'>"))
    elif _blocks_zoom(page.viewport):
        found.append(("viewport", "the viewport meta tag disables or caps zoom"))
    return found


def _blocks_zoom(content: str) -> bool:
    settings = {}
    for pair in content.replace(";", ",").split(","):
        key, _, value = pair.partition("=")
        settings[key.strip().lower()] = value.strip().lower()
    if settings.get("user-scalable") in ("no", "0"):
        return True
    try:
        return float(settings.get("maximum-scale", "10")) < 2
    except ValueError:
        return False


def a11y_level_at_most(level: str, ceiling: str) -> bool:
    """Whether a rule of WCAG ``level`` counts when auditing at ``ceiling`` (A < AA < AAA)."""
    return _LEVELS.get(level, 1) <= _LEVELS.get(ceiling, 2)


def a11y_audit(html: str, level: str = "AA") -> dict[str, Any]:
    """Audit ``html``; violations of rules at ``level`` or below (A < AA < AAA). An A11yAudit body."""
    page = _Page()
    page.feed(html)
    page.close()
    violations = []
    for rule, message in _violations(page):
        wcag, rule_level = _RULES[rule]
        if a11y_level_at_most(rule_level, level):
            violations.append({"rule": rule, "wcag": wcag, "level": rule_level, "message": message})
    return {
        "standard": STANDARD,
        "level": level,
        "checks": list(CHECKS),
        "violations": violations,
        "violation_count": len(violations),
    }
