"""Budget arithmetic: how much of a phase's budget is spent, and what that costs.

A phase has three limits (tokens, tool minutes, wall-clock minutes, from its YAML ``budgets``). Usage is
compared dimension by dimension; utilisation is the largest of the ratios, so the tightest dimension
decides. Over 80 % the phase throttles (requirements §2); over 100 % in any dimension the gate is blocked
by a ``budget_exceeded`` violation. A limit of 0 (``tool_minutes: 0``) forbids the dimension: any use
exceeds it, and its ratio is reported as ``1 + used`` so the status stays finite JSON.

The run-level cap is in USD (``run.budget_usd`` or the trigger's cap); reaching it exactly is allowed,
spending past it stops the run. Counters live in Postgres (parallel tasks add atomically); this module
only does the arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ideamine.core.config import Budgets
from ideamine.core.guards import Violation
from ideamine.errors import BudgetError

THROTTLE_AT = 0.8
"""Utilisation above which a phase throttles."""

DIMENSIONS: tuple[str, ...] = ("tokens", "tool_minutes", "wallclock_minutes")

_NonNeg = Annotated[float, Field(ge=0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class BudgetLimits(_Frozen):
    tokens: Annotated[int, Field(ge=0)]
    tool_minutes: _NonNeg
    wallclock_minutes: _NonNeg

    @classmethod
    def from_config(cls, budgets: Budgets) -> BudgetLimits:
        return cls(
            tokens=budgets.tokens,
            tool_minutes=budgets.tool_minutes,
            wallclock_minutes=budgets.wallclock_minutes,
        )


class Usage(_Frozen):
    """What a phase (or a task) has used so far. Tool and wall time in seconds, as measured."""

    tokens: Annotated[int, Field(ge=0)] = 0
    tool_seconds: _NonNeg = 0.0
    wall_seconds: _NonNeg = 0.0
    usd: _NonNeg = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            tokens=self.tokens + other.tokens,
            tool_seconds=self.tool_seconds + other.tool_seconds,
            wall_seconds=self.wall_seconds + other.wall_seconds,
            usd=self.usd + other.usd,
        )


def total_usage(usages: Iterable[Usage]) -> Usage:
    """The sum of several usages (e.g. one per agent task)."""
    total = Usage()
    for usage in usages:
        total = total + usage
    return total


class BudgetStatus(_Frozen):
    limits: BudgetLimits
    usage: Usage
    ratios: dict[str, float]  # dimension -> used / limit
    utilisation: Annotated[float, Field(ge=0)]  # the largest ratio; above 1 means exceeded
    exceeded: tuple[str, ...]  # dimensions over their limit, in DIMENSIONS order
    throttle: bool  # utilisation > THROTTLE_AT

    def used(self, dimension: str) -> float:
        """Usage in the unit of the limit (tokens, minutes)."""
        return _used(self.usage, dimension)

    def limit(self, dimension: str) -> float:
        return float(getattr(self.limits, dimension))


def _used(usage: Usage, dimension: str) -> float:
    if dimension == "tokens":
        return float(usage.tokens)
    if dimension == "tool_minutes":
        return usage.tool_seconds / 60.0
    if dimension == "wallclock_minutes":
        return usage.wall_seconds / 60.0
    raise ValueError(f"unknown budget dimension {dimension!r}; expected one of {DIMENSIONS}")


def _ratio(used: float, limit: float) -> float:
    if limit > 0:
        return round(used / limit, 6)
    return 0.0 if used == 0 else round(1.0 + used, 6)


def budget_status(limits: BudgetLimits, usage: Usage) -> BudgetStatus:
    """Compare ``usage`` with ``limits`` in every dimension."""
    ratios: dict[str, float] = {}
    exceeded: list[str] = []
    for dimension in DIMENSIONS:
        used = _used(usage, dimension)
        limit = float(getattr(limits, dimension))
        ratios[dimension] = _ratio(used, limit)
        if used > limit:
            exceeded.append(dimension)
    utilisation = max(ratios.values())
    return BudgetStatus(
        limits=limits,
        usage=usage,
        ratios=ratios,
        utilisation=utilisation,
        exceeded=tuple(exceeded),
        throttle=utilisation > THROTTLE_AT,
    )


def violations(status: BudgetStatus) -> list[Violation]:
    """One ``budget_exceeded`` violation per exceeded dimension, naming it and the numbers."""
    found: list[Violation] = []
    for dimension in status.exceeded:
        used, limit = status.used(dimension), status.limit(dimension)
        found.append(
            Violation(
                type="budget_exceeded",
                message=f"budget exceeded: {dimension} {used:g} > {limit:g}",
                severity="high",
            )
        )
    return found


def raise_if_exceeded(status: BudgetStatus, *, phase: str) -> None:
    """Raise :class:`BudgetError` naming every exceeded dimension of ``phase``'s budget."""
    if status.exceeded:
        details = "; ".join(v.message for v in violations(status))
        raise BudgetError(f"phase '{phase}': {details}")


def split_tokens(total: int, n: int) -> list[int]:
    """``total`` tokens in ``n`` shares that differ by at most one and sum exactly to ``total``.

    The first ``total % n`` shares get the extra token, so the split is the same every time.
    """
    if n < 1:
        raise ValueError(f"cannot split tokens into {n} shares")
    if total < 0:
        raise ValueError(f"cannot split a negative token budget ({total})")
    base, extra = divmod(total, n)
    return [base + 1 if i < extra else base for i in range(n)]


def estimate_tokens(text: str) -> int:
    """A rough token count for models that report none: four characters per token, at least one."""
    return max(1, len(text) // 4)


def usd_cost(tokens_in: int, tokens_out: int, price_in_per_mtok: float, price_out_per_mtok: float) -> float:
    """USD for a call, from per-million-token prices; rounded to 1e-8 USD so ledgers stay exact."""
    for name, value in (
        ("tokens_in", tokens_in),
        ("tokens_out", tokens_out),
        ("price_in_per_mtok", price_in_per_mtok),
        ("price_out_per_mtok", price_out_per_mtok),
    ):
        if value < 0 or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number >= 0 (got {value!r})")
    cost = (tokens_in * price_in_per_mtok + tokens_out * price_out_per_mtok) / 1_000_000
    return round(cost, 8)


def run_budget_exceeded(spent_usd: float, cap_usd: float | None) -> bool:
    """Whether a run has spent past its USD cap; no cap (None) never stops a run."""
    if cap_usd is None:
        return False
    return spent_usd > cap_usd
