"""An agent's prompt: its Jinja2 template (``config/prompts/<Agent>.j2``) rendered with the run's data.

Templates run in an immutable sandbox with strict undefined variables and no autoescape (the output is
plain text). They are loaded from the prompts directory only. Everything that comes from a run (the
idea, constraints, target users, earlier artifacts, the mapped item, hints) is passed as a *variable*, so
``{{ 7*7 }}`` in an idea is printed as those characters and never evaluated.

One template gives both messages: it is rendered with ``part="system"`` and with ``part="user"``.
Inputs are canonical JSON (sorted keys), each truncated to its share of a character budget, so the same
run always gives the same prompt text (and the same response-cache key).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ideamine.core.agent_io import AgentContext
from ideamine.core.canonical import canonical_json
from ideamine.core.reports import REPORT_MODELS
from ideamine.errors import AgentError

PROMPTS_DIR_ENV = "IDEAMINE_PROMPTS_DIR"
DEFAULT_INPUT_BUDGET_CHARS = 48_000
_AGENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TRUNCATED = "\n... [truncated: {n} more characters]"
# plugins/ideamine/llm/prompts.py -> the repository root
_REPO_ROOT = Path(__file__).resolve().parents[3]


def prompts_dir() -> Path:
    """``$IDEAMINE_PROMPTS_DIR``, else the repository's ``config/prompts``, else ``./config/prompts``."""
    override = os.environ.get(PROMPTS_DIR_ENV)
    if override:
        return Path(override).resolve()
    in_repo = _REPO_ROOT / "config" / "prompts"
    return in_repo if in_repo.is_dir() else Path.cwd() / "config" / "prompts"


@lru_cache(maxsize=8)
def environment(directory: str) -> ImmutableSandboxedEnvironment:
    """The sandboxed Jinja2 environment over one prompts directory (cached per directory)."""
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        autoescape=False,  # plain-text prompts, never HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with a marker saying how much was left out."""
    if len(text) <= limit:
        return text
    keep = max(0, limit)
    return text[:keep] + _TRUNCATED.format(n=len(text) - keep)


def _json_text(value: Any) -> str:
    try:
        return canonical_json(value)
    except (TypeError, ValueError) as exc:
        raise AgentError(f"prompt data is not JSON: {exc}") from None


def budgeted_inputs(inputs: dict[str, Any], reads: Sequence[str] | None, budget: int) -> dict[str, str]:
    """Earlier artifacts as JSON text by type (sorted), sharing ``budget`` characters fairly.

    ``reads`` picks the types (None: all). Small artifacts keep their full text; what they leave unused
    goes to the larger ones, which are truncated to equal shares of the rest.
    """
    names = sorted(t for t in inputs if reads is None or t in reads)
    texts = {name: _json_text(inputs[name]) for name in names}
    result: dict[str, str] = {}
    remaining, pending = budget, sorted(names, key=lambda n: (len(texts[n]), n))
    while pending:
        share = remaining // len(pending)
        name = pending.pop(0)
        result[name] = truncate(texts[name], share)
        remaining -= min(len(texts[name]), share)
    return {name: result[name] for name in names}


def render_prompt(
    agent: str,
    ctx: AgentContext,
    *,
    output_types: Sequence[str],
    schema: str,
    reads: Sequence[str] | None = None,
    budget_chars: int = DEFAULT_INPUT_BUDGET_CHARS,
    directory: Path | None = None,
) -> tuple[str, str]:
    """(system, user) messages for ``agent`` from its template.

    ``schema`` is the output JSON schema as text; ``reads`` the input artifact types to show (None: all
    of ``ctx.inputs``); ``budget_chars`` bounds the inputs, previous sections and item together.
    """
    if not _AGENT_NAME.match(agent):
        raise AgentError(f"agent name {agent!r} cannot name a prompt template")
    folder = (directory or prompts_dir()).resolve()
    env = environment(str(folder))
    try:
        template = env.get_template(f"{agent}.j2")
    except TemplateNotFound:
        raise AgentError(f"{ctx.phase}/{agent}: no prompt template {folder / (agent + '.j2')}") from None
    except TemplateError as exc:
        raise AgentError(f"{ctx.phase}/{agent}: prompt template does not parse: {exc}") from None
    # Measured reports (test runs, probes) in the previous sections are shown only to an agent that
    # reads them: they change from run to run and would otherwise defeat the response cache.
    shown = {k: v for k, v in ctx.previous.items() if k not in REPORT_MODELS or reads is None or k in reads}
    previous = _json_text(shown) if shown else ""
    item = _json_text(ctx.item) if ctx.item is not None else ""
    # The item and previous sections get their own shares first: an agent works on them directly.
    item = truncate(item, budget_chars // 4)
    previous = truncate(previous, budget_chars // 4)
    inputs_budget = max(0, budget_chars - len(item) - len(previous))
    variables: dict[str, Any] = {
        "agent": agent,
        "phase": ctx.phase,
        "idea": ctx.idea,
        "constraints": ctx.constraints or "",
        "target_users": ctx.target_users or "",
        "facts": ctx.facts.model_dump(mode="json"),
        "facts_json": _json_text(ctx.facts.model_dump(mode="json")),
        "inputs": budgeted_inputs(ctx.inputs, reads, inputs_budget),
        "previous": previous,
        "item": item,
        "hints": list(ctx.hints),
        "strict": ctx.strict,
        "output_types": sorted(output_types),
        "schema": schema,
    }
    try:
        system = template.render(part="system", **variables).strip()
        user = template.render(part="user", **variables).strip()
    except TemplateError as exc:
        raise AgentError(f"{ctx.phase}/{agent}: prompt template failed: {exc}") from None
    return system, user
