"""Which model an agent talks to: resolved from an Airflow connection and the YAML ``llm`` blocks.

The connection (type ``pydanticai``, id ``ideamine_llm`` unless the YAML names another) holds the API key
in its password, an optional base URL in its host (any OpenAI-compatible server, e.g. Ollama or vLLM) and
the model in its extra: ``{"model": "openai:gpt-4o", "fallback_models": ["openai:gpt-4o-mini"]}``. The
YAML's ``model`` and ``fallback_models`` override the extra's. No connection means no model: the caller
runs the offline engine.

The connection is read from ``AIRFLOW_CONN_<ID>`` (URI or JSON) first, then from Airflow's secrets
backends through ``airflow.sdk.Connection.get``; Airflow is imported only when the environment has no
answer. Model objects are built per run (:func:`build_model`) so their HTTP clients never outlive the
event loop that used them.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ideamine.core.config import ProjectConfig
from ideamine.errors import AgentError

if TYPE_CHECKING:
    from pydantic_ai.models import Model

DEFAULT_CONN_ID = "ideamine_llm"
OPENAI_BASE_URL = "https://api.openai.com/v1"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"
OLLAMA_BASE_URL = "http://localhost:11434/v1"
PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "ollama")
"""Model prefixes this backend builds; ``openai`` also covers any OpenAI-compatible server (set a host)."""

_PREFIX_SHAPE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

Closer = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class LlmConnection:
    """The fields of an Airflow LLM connection this backend reads."""

    conn_id: str
    conn_type: str
    host: str | None
    api_key: str | None = field(repr=False)
    extra: dict[str, Any]
    port: int | None = None
    schema: str | None = None

    def base_url(self) -> str | None:
        """The host as a base URL. A bare host name gets ``http://`` and the port and schema, if any."""
        if not self.host:
            return None
        if "://" in self.host:
            return self.host.rstrip("/")
        url = f"http://{self.host}"
        if self.port:
            url += f":{self.port}"
        if self.schema:
            url += "/" + self.schema.strip("/")
        return url


@dataclass(frozen=True)
class ModelSpec:
    """One model to call: provider prefix, the provider's model name, where and with which key."""

    provider: str
    name: str
    base_url: str | None
    api_key: str | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        """``provider:name``, as written in the connection and in ``AgentOutput.model``."""
        return f"{self.provider}:{self.name}"

    def endpoint(self) -> str:
        """The base URL requests go to (the provider's public API when the connection names none)."""
        if self.base_url:
            return self.base_url
        return {"anthropic": ANTHROPIC_BASE_URL, "ollama": OLLAMA_BASE_URL}.get(
            self.provider, OPENAI_BASE_URL
        )


@dataclass(frozen=True)
class ModelChoice:
    """The model of one agent and its fallbacks, all from the connection ``conn_id``."""

    conn_id: str
    primary: ModelSpec
    fallbacks: tuple[ModelSpec, ...] = ()

    @property
    def model(self) -> str:
        return self.primary.id

    @property
    def candidates(self) -> tuple[ModelSpec, ...]:
        return (self.primary, *self.fallbacks)


# --- reading the connection -------------------------------------------------------------------------


def _extra_of(raw: object, where: str) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return dict(raw)
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise AgentError(f"{where}: the extra is not valid JSON: {exc}") from None
        if isinstance(value, dict):
            return value
    raise AgentError(f"{where}: the extra must be a JSON object")


def _port_of(value: object, where: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value))
    except ValueError:
        raise AgentError(f"{where}: port {value!r} is not a number") from None


def parse_connection(conn_id: str, raw: str) -> LlmConnection:
    """An ``AIRFLOW_CONN_<ID>`` value, in Airflow's JSON or URI form."""
    where = f"AIRFLOW_CONN_{conn_id.upper()}"
    raw = raw.strip()
    if raw.startswith("{"):
        try:
            fields = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise AgentError(f"{where} is neither a URI nor valid JSON: {exc}") from None
        if not isinstance(fields, dict):
            raise AgentError(f"{where}: the JSON form must be an object")
        return LlmConnection(
            conn_id=conn_id,
            conn_type=str(fields.get("conn_type") or ""),
            host=str(fields["host"]) if fields.get("host") else None,
            api_key=str(fields["password"]) if fields.get("password") else None,
            extra=_extra_of(fields.get("extra"), where),
            port=_port_of(fields.get("port"), where),
            schema=str(fields["schema"]) if fields.get("schema") else None,
        )
    parts = urlsplit(raw)
    if not parts.scheme:
        raise AgentError(f"{where} is neither a URI nor valid JSON")
    # Parse the netloc by hand: urlsplit lower-cases the host, and an Airflow URI may carry a whole
    # percent-encoded base URL there (pydanticai://:KEY@http%3A%2F%2Fhost%3A8000%2Fv1).
    userinfo, _, hostport = parts.netloc.rpartition("@")
    password = unquote(userinfo.partition(":")[2]) if userinfo else ""
    host, port = hostport, None
    match = re.match(r"^(.*):(\d+)$", hostport)
    if match and not hostport.endswith("]"):
        host, port = match.group(1), int(match.group(2))
    extra: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "__extra__":
            extra.update(_extra_of(value, where))
        else:
            extra[key] = value
    schema = unquote(parts.path.lstrip("/")) or None
    return LlmConnection(
        conn_id=conn_id,
        conn_type=parts.scheme.replace("-", "_"),
        host=unquote(host) or None,
        api_key=password or None,
        extra=extra,
        port=port,
        schema=schema,
    )


def read_connection(conn_id: str, *, use_airflow: bool = True) -> LlmConnection | None:
    """The connection ``conn_id``, or None when it is not defined anywhere."""
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if raw and raw.strip():
        return parse_connection(conn_id, raw)
    if not use_airflow:
        return None
    try:
        from airflow.sdk import Connection  # only when the environment cannot answer

        conn = Connection.get(conn_id)
    except Exception:  # noqa: BLE001 - not found, or no Airflow to ask: the connection is not configured
        return None
    where = f"Airflow connection {conn_id!r}"
    return LlmConnection(
        conn_id=conn_id,
        conn_type=str(conn.conn_type or ""),
        host=conn.host or None,
        api_key=conn.password or None,
        extra=_extra_of(conn.extra, where),
        port=_port_of(conn.port, where),
        schema=conn.schema or None,
    )


# --- resolving the model ----------------------------------------------------------------------------


def parse_model(text: str, *, where: str) -> tuple[str, str]:
    """``provider:name`` -> (provider, name). A name without a known prefix is an OpenAI-compatible model.

    Only the text before the first ``:`` is a prefix, so ``ollama:llama3.1:8b`` is (ollama, llama3.1:8b),
    and a bare ``llama3.1:8b`` is an OpenAI-compatible model of that name. A prefix shaped like a provider
    name that is not one (``antropic:...``) is an error rather than a model name sent to the wrong place.
    """
    text = text.strip()
    if not text:
        raise AgentError(f"{where}: empty model name")
    prefix, sep, rest = text.partition(":")
    if sep and prefix in PROVIDERS:
        if not rest.strip():
            raise AgentError(f"{where}: model {text!r} has no name after the provider prefix")
        return prefix, rest.strip()
    if sep and _PREFIX_SHAPE.match(prefix):
        raise AgentError(
            f"{where}: model {text!r} has the unknown provider prefix {prefix!r}; use one of "
            f"{', '.join(PROVIDERS)} (openai: also for any OpenAI-compatible server set as the host)"
        )
    return "openai", text


def _models_list(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AgentError(f"{where}: fallback_models must be a list of model names")
    return [v for v in value if v.strip()]


def choice_from(
    conn: LlmConnection, *, model: str | None = None, fallback_models: list[str] | None = None
) -> ModelChoice:
    """The model choice a connection gives, with the YAML's ``model`` and ``fallback_models`` on top."""
    where = f"LLM connection {conn.conn_id!r}"
    if conn.conn_type and not conn.conn_type.startswith("pydanticai"):
        raise AgentError(
            f"{where} has type {conn.conn_type!r}; an LLM connection has type 'pydanticai' "
            f"(API key as password, base URL as host, model in the extra)"
        )
    name = model or conn.extra.get("model")
    if not isinstance(name, str) or not name.strip():
        raise AgentError(
            f'{where} names no model: set its extra to {{"model": "openai:gpt-4o"}} '
            f"(or anthropic:..., ollama:...) or set llm.model in the YAML"
        )
    fallbacks = fallback_models or _models_list(conn.extra.get("fallback_models"), where)
    base_url = conn.base_url()

    def spec(text: str) -> ModelSpec:
        provider, model_name = parse_model(text, where=where)
        return ModelSpec(provider, model_name, base_url, conn.api_key)

    primary = spec(name)
    # A fallback of another provider cannot share this connection's host and key: it uses its provider's
    # public endpoint and the key from that provider's standard environment variable.
    rest = []
    for text in fallbacks:
        candidate = spec(text)
        if candidate.provider != primary.provider:
            candidate = ModelSpec(candidate.provider, candidate.name, None, None)
        if candidate.id != primary.id and candidate not in rest:
            rest.append(candidate)
    return ModelChoice(conn_id=conn.conn_id, primary=primary, fallbacks=tuple(rest))


def resolve(
    project: ProjectConfig, phase_id: str, agent: str, *, use_airflow: bool = True
) -> ModelChoice | None:
    """The model for ``agent`` of ``phase_id``, or None when its connection is not defined (offline)."""
    llm = project.effective_llm(phase_id, agent)
    conn_id = llm.conn_id or DEFAULT_CONN_ID
    conn = read_connection(conn_id, use_airflow=use_airflow)
    if conn is None:
        return None
    return choice_from(conn, model=llm.model, fallback_models=list(llm.fallback_models) or None)


# --- hosts and model objects ------------------------------------------------------------------------


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def remote_hosts_allowed() -> bool:
    import ideamine.llm  # the package attribute, read at call time so tests and callers can switch it

    return bool(ideamine.llm.ALLOW_REMOTE_HOSTS)


def check_hosts(choice: ModelChoice) -> None:
    """Raise AgentError when remote hosts are switched off and a candidate model is not on loopback."""
    if remote_hosts_allowed():
        return
    for spec in choice.candidates:
        url = spec.endpoint()
        if not is_loopback(url):
            raise AgentError(
                f"model {spec.id} of connection {choice.conn_id!r} is at {url}, which is not this machine, "
                f"and remote model hosts are switched off (IDEAMINE_ALLOW_REMOTE_MODELS=0)"
            )


def build_model(spec: ModelSpec, *, timeout_s: float) -> tuple[Model, Closer]:
    """A pydantic-ai model for ``spec`` and a coroutine function that closes its HTTP client.

    The SDK's own retries are off (``max_retries=0``): ``ideamine.llm.retry`` is the only retry policy.
    """
    if spec.provider in ("openai", "ollama"):
        from openai import AsyncOpenAI
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        public = spec.provider == "openai" and not spec.base_url
        api_key = spec.api_key or (os.environ.get("OPENAI_API_KEY") if public else None)
        if not api_key:
            if public:
                raise AgentError(
                    f"model {spec.id}: no API key in the connection's password or OPENAI_API_KEY"
                )
            api_key = "not-needed"  # local OpenAI-compatible servers often take none, the SDK wants one
        client = AsyncOpenAI(base_url=spec.endpoint(), api_key=api_key, max_retries=0, timeout=timeout_s)
        model = OpenAIChatModel(spec.name, provider=OpenAIProvider(openai_client=client))
        return model, client.close
    if spec.provider == "anthropic":
        try:
            from anthropic import AsyncAnthropic
            from pydantic_ai.models.anthropic import AnthropicModel
            from pydantic_ai.providers.anthropic import AnthropicProvider
        except ImportError as exc:
            raise AgentError(
                f"model {spec.id} needs the 'anthropic' package, which is not installed "
                f"(pip install anthropic), or choose an openai: model ({exc})"
            ) from None
        key = spec.api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise AgentError(f"model {spec.id}: no API key in the connection's password or ANTHROPIC_API_KEY")
        anthropic_client = AsyncAnthropic(
            api_key=key, base_url=spec.endpoint(), max_retries=0, timeout=timeout_s
        )
        model = AnthropicModel(spec.name, provider=AnthropicProvider(anthropic_client=anthropic_client))
        return model, anthropic_client.close
    raise AgentError(f"model {spec.id}: unsupported provider {spec.provider!r}")
