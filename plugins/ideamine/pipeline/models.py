"""Which engine runs a document agent, and a model call held inside the phase's token budget.

An agent runs on a model when its effective ``llm`` settings name an Airflow connection that exists
(default ``ideamine_llm``); otherwise on the offline engine. Tool agents always run their tools, and
two document agents stay offline because their output is measurements, which a model could invent:
the story validator (judges acceptance-test results) and beta's analytics agent (reads KPIs off the
measured reports).

Before every request the call reserves its estimated tokens in Postgres with one conditional UPDATE,
so parallel agents and retries cannot overrun the phase budget together; a refused reservation means
the request is not sent. The run's USD cap (conf ``budget_usd``, else ``pipeline.yaml``) is checked
against what the run has spent before each request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ideamine.core.agent_io import AgentContext, AgentOutput
from ideamine.core.config import LlmConfig
from ideamine.llm import DEFAULT_CONN_ID, ModelChoice, read_connection, run_llm_agent
from ideamine.llm.models import choice_from
from ideamine.pipeline.runtime import Runtime
from ideamine.pipeline.spec import PhaseSpec
from ideamine.store.llm_cache import LlmCacheStore

log = logging.getLogger(__name__)

OFFLINE_ONLY = frozenset({"StoryValidatorAgent", "AnalyticsAgent"})


@dataclass(frozen=True)
class ModelRun:
    output: AgentOutput
    cached: bool
    usd: float
    requests: int


def model_for(spec: PhaseSpec, agent: str) -> ModelChoice | None:
    """The model ``agent`` runs on, or None for the offline engine (or its tools)."""
    from ideamine.offline.engine import DOCUMENT_AGENTS

    if agent not in DOCUMENT_AGENTS or agent in OFFLINE_ONLY:
        return None
    cfg = spec.llm.get(agent) or LlmConfig()
    conn = read_connection(cfg.conn_id or DEFAULT_CONN_ID)
    if conn is None:
        return None
    return choice_from(conn, model=cfg.model, fallback_models=list(cfg.fallback_models) or None)


def engine_of(spec: PhaseSpec) -> str:
    """``llm:<model>`` when any agent of the phase runs on a model, else ``offline``."""
    models = sorted({choice.model for a in spec.agents if (choice := model_for(spec, a)) is not None})
    return "llm:" + ",".join(models) if models else "offline"


def run_on_model(
    rt: Runtime, spec: PhaseSpec, ctx: AgentContext, choice: ModelChoice, *, cap_usd: float | None
) -> ModelRun:
    from ideamine.offline.engine import run_agent as offline_run

    # The sections an agent owns are those the offline engine writes for the same context.
    output_types = tuple(sorted(offline_run(ctx).sections))
    held = 0

    def reserve(tokens: int) -> bool:
        nonlocal held
        if cap_usd is not None and rt.phases.run_usd(ctx.run_id) >= cap_usd:
            return False
        if not rt.phases.reserve_tokens(ctx.run_id, ctx.phase, tokens, limit=spec.phase.budgets.tokens):
            return False
        held += tokens
        return True

    try:
        result = run_llm_agent(
            ctx,
            choice,
            output_types=output_types,
            cache=LlmCacheStore(rt.conn),
            reserve=reserve,
            price=spec.pricing,
        )
    finally:
        if held:
            rt.phases.release_tokens(ctx.run_id, ctx.phase, held)
    for note in result.notes:
        log.info("%s/%s: %s", ctx.phase, ctx.agent, note)
    log.info(
        "%s/%s on %s: %s, %d request(s), %d+%d tokens, $%.6f",
        ctx.phase,
        ctx.agent,
        choice.model,
        "from the response cache" if result.cached else "answered",
        result.requests,
        result.output.tokens_in,
        result.output.tokens_out,
        result.usd,
    )
    return ModelRun(result.output, result.cached, result.usd, result.requests)
