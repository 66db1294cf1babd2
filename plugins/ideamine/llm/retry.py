"""What the model backend does when a request fails: the error policy, one row per class of failure.

==========================================  ==========  ===============================================
What happened                               Class       What the backend does
==========================================  ==========  ===============================================
HTTP 429 (rate limited)                     transient   wait ``Retry-After`` (at least the backoff; an
                                                        ask above ``max_retry_after_s`` skips to the
                                                        next model), retry up to ``max_retries`` times
HTTP 5xx, 408, 409, 425                     transient   wait the backoff, retry up to ``max_retries``
connection refused or reset, client         transient   same as a 5xx
timeout (``LlmSettings.timeout_s``)
a model failed transiently                  exhausted   the next fallback model, in order, with its own
``1 + max_retries`` times                               retries; after the last, AgentError listing
                                                        every model's last error
HTTP 401/403 (credentials refused)          auth        AgentError at once naming the connection id and
                                                        how to fix it; no retry, no fallback
HTTP 402, quota or billing exhausted        quota       AgentError at once (waiting does not help)
HTTP 404 (model or endpoint unknown)        not_found   AgentError at once naming model and base URL
other 4xx (bad request, context window)     rejected    AgentError at once
answer not JSON or not matching the         output      sent back once with the validation errors; then
schema                                                  AgentError naming agent, model, first errors
``reserve(tokens)`` refused                 budget      BudgetError; the request is not sent
==========================================  ==========  ===============================================

Backoff after failed attempt ``n`` (0-based) is ``min(backoff_base_s * 2**n, backoff_max_s)``, without
jitter so a run's timing is reproducible. The SDK's own retries are off: this table is the only policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ErrorClass = Literal["transient", "auth", "quota", "not_found", "rejected"]

_TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 521, 522, 524, 529})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry transient failures of one model."""

    max_retries: int = 3
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if min(self.backoff_base_s, self.backoff_max_s, self.max_retry_after_s) < 0:
            raise ValueError("backoff times must be >= 0")

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt ``attempt`` (0-based) when the server named none."""
        return min(self.backoff_base_s * (2**attempt), self.backoff_max_s)

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retrying, or None when the server asks for longer than we will wait."""
        wait = self.backoff(attempt)
        if retry_after is None:
            return wait
        if retry_after > self.max_retry_after_s:
            return None
        return max(wait, retry_after)


def classify(exc: BaseException) -> ErrorClass | None:
    """The policy class of a pydantic-ai model error; None for an error that is not a model API error."""
    from pydantic_ai.exceptions import (
        ModelAPIError,
        ModelAuthenticationError,
        ModelConnectionError,
        ModelHTTPError,
        ModelNotFoundError,
        ModelQuotaExceededError,
        ModelRateLimitError,
        ModelRequestTimeout,
        ModelServerError,
        ModelUnavailableError,
    )

    if not isinstance(exc, ModelAPIError):
        return None
    # Categories first: the adapters already read the provider's error codes (e.g. insufficient_quota
    # arrives as a 429 but is a quota error).
    if isinstance(exc, ModelAuthenticationError):
        return "auth"
    if isinstance(exc, ModelQuotaExceededError):
        return "quota"
    if isinstance(exc, ModelNotFoundError):
        return "not_found"
    transient = (
        ModelRateLimitError,
        ModelUnavailableError,
        ModelServerError,
        ModelConnectionError,
        ModelRequestTimeout,
    )
    if isinstance(exc, transient):
        return "transient"
    if isinstance(exc, ModelHTTPError):
        if exc.status_code in (401, 403):
            return "auth"
        if exc.status_code == 402:
            return "quota"
        if exc.status_code == 404:
            return "not_found"
        if exc.status_code in _TRANSIENT_STATUS or exc.status_code >= 500:
            return "transient"
    return "rejected"
