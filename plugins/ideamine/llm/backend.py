"""The model-backed engine: one agent, one structured answer, validated, cached, budgeted and priced.

:func:`run_llm_agent` is the LLM twin of ``ideamine.offline.engine.run_agent``: it turns an
``AgentContext`` into an ``AgentOutput`` (sections plus real token counts and the model that answered).
Its steps:

1. the output schema of the agent's types (``ideamine.llm.output``), its prompt (``ideamine.llm.prompts``);
2. the response cache: a hit is returned as stored, with no request and no budget reservation;
3. a pydantic-ai agent whose output is the schema (an output tool call with JSON arguments); every answer is
   validated with the artifact models, and an invalid one is sent back once with its errors;
4. every HTTP request first asks ``reserve(estimated_tokens)``; a refusal raises ``BudgetError`` unsent;
5. failures follow the policy table of ``ideamine.llm.retry`` (transient: backoff, then fallback models;
   credentials: fail at once naming the connection);
6. the validated sections, usage and price; the answer is stored in the cache.

pydantic-ai is imported when a request is about to be made, never at module import.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ideamine.core.agent_io import AgentContext, AgentOutput
from ideamine.core.budget import estimate_tokens, usd_cost
from ideamine.core.canonical import canonical_json
from ideamine.core.config import ModelPrice
from ideamine.errors import AgentError, BudgetError
from ideamine.llm.cache import CachedResponse, ResponseCache, cache_key
from ideamine.llm.models import Closer, ModelChoice, ModelSpec, build_model, check_hosts
from ideamine.llm.output import output_schema, validate_sections
from ideamine.llm.prompts import DEFAULT_INPUT_BUDGET_CHARS, render_prompt
from ideamine.llm.retry import RetryPolicy, classify

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage, ModelResponse
    from pydantic_ai.models import Model, ModelRequestParameters
    from pydantic_ai.settings import ModelSettings

OUTPUT_RETRIES = 1
"""How many times an invalid answer is sent back with its errors before the agent fails."""

Reserve = Callable[[int], bool]
"""``reserve(estimated_tokens) -> bool``: may this request spend about that many tokens? (atomic, caller's)"""

PriceTable = Mapping[str, ModelPrice | Mapping[str, float]]
"""Model name -> USD per million tokens (``pipeline.yaml``'s ``pricing``)."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class LlmSettings:
    """Request settings. Those that change an answer (temperature, output limit) are part of the cache key."""

    timeout_s: float = 120.0
    temperature: float | None = 0.0
    max_output_tokens: int = 8192
    input_budget_chars: int = DEFAULT_INPUT_BUDGET_CHARS
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def request_settings(self) -> dict[str, Any]:
        """pydantic-ai ``ModelSettings``; the SDK's own retries are off, our policy retries."""
        settings: dict[str, Any] = {
            "max_tokens": self.max_output_tokens,
            "timeout": self.timeout_s,
            "max_retries": 0,
        }
        if self.temperature is not None:
            settings["temperature"] = self.temperature
        return settings

    def cache_settings(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "max_output_tokens": self.max_output_tokens,
            "output_retries": OUTPUT_RETRIES,
        }


@dataclass(frozen=True)
class LlmResult:
    """An agent's output and how it was obtained.

    ``cached``: served from the response cache (no request, no tokens spent now; ``output`` carries the
    token counts of the original answer). ``requests``: HTTP requests sent, failed ones included.
    ``usd``: what this call cost (0 when cached). ``notes``: things worth a log line (missing price, ...).
    """

    output: AgentOutput
    cached: bool
    requests: int
    usd: float = 0.0
    notes: tuple[str, ...] = ()


def price_for(model: str, table: PriceTable) -> tuple[float, float] | None:
    """(input, output) USD per million tokens for ``provider:name``, looked up by full id, then by name."""
    _, _, name = model.partition(":")
    for key in (model, name):
        entry = table.get(key) if key else None
        if isinstance(entry, ModelPrice):
            return entry.input_per_mtok, entry.output_per_mtok
        if isinstance(entry, Mapping):
            try:
                return float(entry["input_per_mtok"]), float(entry["output_per_mtok"])
            except (KeyError, TypeError, ValueError):
                return None
    return None


def _cost(model: str, tokens_in: int, tokens_out: int, table: PriceTable) -> tuple[float, tuple[str, ...]]:
    price = price_for(model, table)
    if price is None:
        return 0.0, (f"no price for model {model!r} in the pricing table; its cost is recorded as 0 USD",)
    return usd_cost(tokens_in, tokens_out, price[0], price[1]), ()


def default_reads(agent: str) -> tuple[str, ...] | None:
    """The input artifact types ``agent`` reads (the offline engine's contract), or None for all inputs."""
    from ideamine.offline.engine import AGENTS

    entry = AGENTS.get(agent)
    return None if entry is None else entry[1]


def _run(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion from sync code, also when the caller already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _describe(exc: BaseException, timeout_s: float) -> str:
    from pydantic_ai.exceptions import ModelHTTPError, ModelRequestTimeout, ModelTimeoutError

    if isinstance(exc, ModelTimeoutError | ModelRequestTimeout):
        return f"timed out after {timeout_s:g} s"
    if isinstance(exc, ModelHTTPError):
        return f"HTTP {exc.status_code}"
    return f"{type(exc).__name__}: {exc}"


def _request_error(kind: str, exc: BaseException, spec: ModelSpec, conn_id: str, label: str) -> AgentError:
    from pydantic_ai.exceptions import ModelHTTPError

    status = f"HTTP {exc.status_code}" if isinstance(exc, ModelHTTPError) else type(exc).__name__
    where = f"{label}: model {spec.id} at {spec.endpoint()}"
    if kind == "auth":
        return AgentError(
            f"{where} refused the credentials of LLM connection {conn_id!r} ({status}). Fix the API key in "
            f"that connection's password (Airflow UI: Admin > Connections > {conn_id}, or the "
            f"AIRFLOW_CONN_{conn_id.upper()} variable) and check that the key may use model {spec.name!r}."
        )
    if kind == "quota":
        return AgentError(
            f"{where}: the account behind LLM connection {conn_id!r} is out of quota or credit ({status}); "
            f"top it up or point the connection at another account."
        )
    if kind == "not_found":
        return AgentError(
            f"{where} was not found ({status}): check the model name (connection {conn_id!r} extra "
            f"'model', or llm.model in the YAML) and the base URL in the connection's host."
        )
    return AgentError(f"{where} rejected the request ({status}): {exc}")


def _message_text(messages: Sequence[ModelMessage]) -> str:
    """The text a request sends (message contents and tool arguments), for the budget estimate."""
    texts: list[str] = []
    for message in messages:
        for part in message.parts:
            for name in ("content", "args"):
                value = getattr(part, name, None)
                if isinstance(value, str):
                    texts.append(value)
                elif value is not None:
                    texts.append(json.dumps(value, default=str))
    return "\n".join(texts)


def _guarded_model(
    models: list[tuple[ModelSpec, Model]],
    *,
    conn_id: str,
    label: str,
    policy: RetryPolicy,
    reserve: Reserve,
    schema_text: str,
    output_tokens: int,
    timeout_s: float,
    sleep: Callable[[float], Awaitable[None]],
) -> Any:
    """A pydantic-ai model that reserves budget, retries and falls back around the real models."""
    from pydantic_ai.exceptions import ModelAPIError
    from pydantic_ai.models.wrapper import WrapperModel

    class GuardedModel(WrapperModel):
        def __init__(self) -> None:
            super().__init__(models[0][1])
            self.index = 0
            self.requests = 0
            self.answered_by: ModelSpec | None = None
            self.failures: list[str] = []

        async def request(
            self,
            messages: list[ModelMessage],
            model_settings: ModelSettings | None,
            model_request_parameters: ModelRequestParameters,
        ) -> ModelResponse:
            while True:
                spec, model = models[self.index]
                last: BaseException | None = None
                attempts = 0
                for attempt in range(policy.max_retries + 1):
                    # What is sent (messages and the output tool's schema) plus the most it may write.
                    estimate = estimate_tokens(schema_text + _message_text(messages)) + output_tokens
                    if not reserve(estimate):
                        raise BudgetError(
                            f"{label}: the token budget cannot cover another request to {spec.id} "
                            f"(about {estimate} tokens); no request was sent"
                        )
                    self.requests += 1
                    attempts += 1
                    try:
                        response = await model.request(messages, model_settings, model_request_parameters)
                    except ModelAPIError as exc:
                        kind = classify(exc)
                        if kind != "transient":
                            raise _request_error(str(kind), exc, spec, conn_id, label) from exc
                        last = exc
                        wait = policy.delay(attempt, exc.retry_after)
                        if attempt >= policy.max_retries or wait is None:
                            break
                        await sleep(wait)
                        continue
                    self.answered_by = spec
                    return response
                reason = _describe(last, timeout_s) if last is not None else "failed"
                self.failures.append(f"{spec.id}: {reason} ({attempts} attempt{'s' * (attempts != 1)})")
                if self.index + 1 >= len(models):
                    raise AgentError(
                        f"{label}: every model of LLM connection {conn_id!r} failed: "
                        + "; ".join(self.failures)
                    ) from last
                self.index += 1
                self.wrapped = models[self.index][1]

    return GuardedModel()


def _final_errors(messages: Sequence[ModelMessage], output_types: Sequence[str], per_item: bool) -> list[str]:
    """What was wrong with the model's last answer, for the error message after the output retry."""
    from pydantic_ai.messages import ModelResponse, ToolCallPart

    for message in reversed(messages):
        if not isinstance(message, ModelResponse):
            continue
        calls = [part for part in message.parts if isinstance(part, ToolCallPart)]
        if not calls:
            return ["the model answered with text instead of calling the final_result output tool"]
        try:
            answer = calls[-1].args_as_dict(raise_if_invalid=True)
        except (ValueError, AssertionError) as exc:
            return [f"the answer is not valid JSON: {exc}"]
        return validate_sections(answer, output_types, per_item=per_item)[1] or ["the answer was refused"]
    return ["the model gave no answer"]


def _retry_message(errors: Sequence[str]) -> str:
    lines = "\n".join(f"- {e}" for e in errors)
    return (
        "Your answer does not match the required JSON schema. Fix these errors and give the complete "
        f"JSON object again:\n{lines}"
    )


def run_llm_agent(
    ctx: AgentContext,
    choice: ModelChoice,
    *,
    output_types: Sequence[str],
    cache: ResponseCache | None,
    reserve: Reserve,
    price: PriceTable,
    settings: LlmSettings | None = None,
    reads: Sequence[str] | None = None,
    prompts_dir: Path | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> LlmResult:
    """Run agent ``ctx.agent`` on ``choice``'s model; its sections cover exactly ``output_types``.

    ``reads``: the input artifact types shown in the prompt (default: the agent's offline contract).
    Raises ``AgentError`` (bad answer twice, credentials refused, every model failing, remote host
    blocked) or ``BudgetError`` (``reserve`` refused; nothing was sent).
    """
    settings = settings or LlmSettings()
    label = f"{ctx.phase}/{ctx.agent}"
    per_item = ctx.item is not None
    schema = output_schema(output_types, per_item=per_item)
    types = sorted(output_types)
    system, user = render_prompt(
        ctx.agent,
        ctx,
        output_types=types,
        schema=canonical_json(schema),
        reads=reads if reads is not None else default_reads(ctx.agent),
        budget_chars=settings.input_budget_chars,
        directory=prompts_dir,
    )
    key = cache_key(
        model=choice.model, system=system, user=user, schema=schema, settings=settings.cache_settings()
    )
    notes: list[str] = []
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            try:
                sections = json.loads(hit.response)
            except json.JSONDecodeError:
                sections = None
                notes.append(f"cache entry {key[:12]} is not JSON; asking the model again")
            if isinstance(sections, dict):
                output = AgentOutput(
                    sections=sections,
                    tokens_in=hit.tokens_in,
                    tokens_out=hit.tokens_out,
                    tokens_estimated=False,
                    model=hit.model,
                )
                return LlmResult(
                    output=output, cached=True, requests=0, usd=0.0, notes=("served from cache",)
                )
    check_hosts(choice)
    from pydantic_ai import models as pai_models

    if not pai_models.ALLOW_MODEL_REQUESTS:
        raise AgentError(
            f"{label}: model requests are blocked (pydantic_ai.models.ALLOW_MODEL_REQUESTS is False)"
        )

    async def run() -> tuple[dict[str, Any], int, int, ModelSpec, int]:
        import pydantic_ai
        from pydantic_ai import Agent, ModelRetry, StructuredDict, capture_run_messages
        from pydantic_ai.exceptions import UnexpectedModelBehavior

        pydantic_ai.BANNER_ENABLED = False  # a task log is not a terminal
        closers: list[Closer] = []
        try:
            built: list[tuple[ModelSpec, Model]] = []
            for spec in choice.candidates:
                model, close = build_model(spec, timeout_s=settings.timeout_s)
                built.append((spec, model))
                closers.append(close)
            guarded = _guarded_model(
                built,
                conn_id=choice.conn_id,
                label=label,
                policy=settings.retry,
                reserve=reserve,
                schema_text=canonical_json(schema),
                output_tokens=settings.max_output_tokens,
                timeout_s=settings.timeout_s,
                sleep=sleep or asyncio.sleep,
            )
            agent: Agent[None, dict[str, Any]] = Agent(
                guarded,
                output_type=StructuredDict(schema),
                system_prompt=system,
                name=ctx.agent,
                retries={"output": OUTPUT_RETRIES, "tools": 0},
                model_settings=settings.request_settings(),  # type: ignore[arg-type]
            )

            @agent.output_validator
            def _check(answer: dict[str, Any]) -> dict[str, Any]:
                sections, errors = validate_sections(answer, types, per_item=per_item)
                if errors:
                    raise ModelRetry(_retry_message(errors))
                return sections

            with capture_run_messages() as messages:
                try:
                    result = await agent.run(user)
                except UnexpectedModelBehavior as exc:
                    errors = _final_errors(messages, types, per_item)
                    model_id = guarded.answered_by.id if guarded.answered_by else choice.model
                    raise AgentError(
                        f"{label}: model {model_id} gave no valid answer, also after {OUTPUT_RETRIES} "
                        f"retry with the errors fed back ({exc}); first errors: " + "; ".join(errors[:5])
                    ) from None
            usage = result.usage
            answered = guarded.answered_by or choice.primary
            return (
                dict(result.output),
                int(usage.input_tokens),
                int(usage.output_tokens),
                answered,
                guarded.requests,
            )
        finally:
            for close in closers:
                await close()

    sections, tokens_in, tokens_out, answered, requests = _run(run)
    usd, price_notes = _cost(answered.id, tokens_in, tokens_out, price)
    notes.extend(price_notes)
    if answered.id != choice.model:
        notes.append(f"answered by fallback model {answered.id}")
    output = AgentOutput(
        sections=sections,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        tokens_estimated=False,
        model=answered.id,
    )
    if cache is not None:
        cache.put(
            key,
            CachedResponse(
                model=answered.id,
                response=canonical_json(sections),
                tokens_in=tokens_in,
                tokens_out=tokens_out,
            ),
        )
    return LlmResult(output=output, cached=False, requests=requests, usd=usd, notes=tuple(notes))
