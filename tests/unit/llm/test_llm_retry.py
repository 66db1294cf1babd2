"""The error policy: every class of model failure maps to one action, and the backoff arithmetic."""

from __future__ import annotations

import pytest
from ideamine.llm.retry import RetryPolicy, classify
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelContextWindowExceededError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelOverloadedError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestTimeout,
    ModelServerError,
    ModelTimeoutError,
    ModelUnavailableError,
    UnexpectedModelBehavior,
)


def http(status: int, category: type | None = None) -> ModelHTTPError:
    return ModelHTTPError.for_category(category, status_code=status, model_name="m")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (http(429, ModelRateLimitError), "transient"),
        (http(500, ModelServerError), "transient"),
        (http(503, ModelUnavailableError), "transient"),
        (http(529, ModelOverloadedError), "transient"),
        (ModelTimeoutError("m", "timed out"), "transient"),
        (ModelConnectionError("m", "connection refused", phase="connect"), "transient"),
        (ModelRequestTimeout("m", 3.0), "transient"),
        (http(502), "transient"),  # uncategorised statuses are read from the code
        (http(408), "transient"),
        (http(401, ModelAuthenticationError), "auth"),
        (http(403, ModelAuthenticationError), "auth"),
        (http(401), "auth"),
        (http(429, ModelQuotaExceededError), "quota"),  # insufficient_quota arrives as a 429
        (http(402), "quota"),
        (http(404, ModelNotFoundError), "not_found"),
        (http(400, ModelContextWindowExceededError), "rejected"),
        (http(422), "rejected"),
        (ModelAPIError("m", "something else"), "rejected"),
    ],
)
def test_classes(exc: BaseException, expected: str) -> None:
    assert classify(exc) == expected


@pytest.mark.parametrize("exc", [ValueError("x"), UnexpectedModelBehavior("bad output"), RuntimeError("x")])
def test_other_errors_are_not_model_api_errors(exc: BaseException) -> None:
    assert classify(exc) is None


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(max_retries=5, backoff_base_s=0.5, backoff_max_s=3.0)
    assert [policy.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_retry_after_is_honoured_within_its_cap() -> None:
    policy = RetryPolicy(backoff_base_s=1.0, backoff_max_s=8.0, max_retry_after_s=10.0)
    assert policy.delay(0, None) == 1.0
    assert policy.delay(0, 4.0) == 4.0  # the server's ask wins when longer
    assert policy.delay(3, 2.0) == 8.0  # our backoff wins when longer
    assert policy.delay(0, 60.0) is None  # asks for too long: go to the next model instead


@pytest.mark.parametrize(
    "kwargs", [{"max_retries": -1}, {"backoff_base_s": -0.1}, {"max_retry_after_s": -1.0}]
)
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
