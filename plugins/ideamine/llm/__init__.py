"""The LLM backend: agents answered by a model from the Airflow connection ``ideamine_llm``.

``resolve`` picks the model (None: no connection, run the offline engine); ``run_llm_agent`` runs one
agent on it with a sandboxed prompt, schema-validated output, the retry policy of ``ideamine.llm.retry``,
budget reservations, pricing and the response cache.

``ALLOW_REMOTE_HOSTS`` (from ``IDEAMINE_ALLOW_REMOTE_MODELS``, default on) is the global switch for model
hosts other than this machine: off, any request to a non-loopback base URL is refused with an
``AgentError`` before it is sent. Tests switch it off.
"""

from __future__ import annotations

import os

from ideamine.llm.backend import LlmResult, LlmSettings, Reserve, default_reads, price_for, run_llm_agent
from ideamine.llm.cache import CachedResponse, MemoryCache, ResponseCache, cache_key
from ideamine.llm.models import DEFAULT_CONN_ID, ModelChoice, ModelSpec, read_connection, resolve
from ideamine.llm.output import output_schema, validate_sections
from ideamine.llm.prompts import render_prompt
from ideamine.llm.retry import RetryPolicy

ALLOW_REMOTE_MODELS_ENV = "IDEAMINE_ALLOW_REMOTE_MODELS"


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


ALLOW_REMOTE_HOSTS: bool = _env_flag(ALLOW_REMOTE_MODELS_ENV, True)

__all__ = [
    "ALLOW_REMOTE_HOSTS",
    "ALLOW_REMOTE_MODELS_ENV",
    "DEFAULT_CONN_ID",
    "CachedResponse",
    "LlmResult",
    "LlmSettings",
    "MemoryCache",
    "ModelChoice",
    "ModelSpec",
    "Reserve",
    "ResponseCache",
    "RetryPolicy",
    "cache_key",
    "default_reads",
    "output_schema",
    "price_for",
    "read_connection",
    "render_prompt",
    "resolve",
    "run_llm_agent",
    "validate_sections",
]
