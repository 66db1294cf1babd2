"""The typed report every guard returns (the guards themselves live elsewhere).

A report carries a 0–1 score for the rubric it feeds, whether its failure blocks the gate (``hard``)
and the violations found. A guard that could not run says why and scores 0: ``not_run`` is never a
pass, so a broken scanner cannot let a phase through.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Severity = Literal["critical", "high", "medium", "low"]
GuardStatus = Literal["passed", "failed", "not_run"]

_Text = Annotated[str, StringConstraints(min_length=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Violation(_Frozen):
    """One finding, e.g. ``contradictions_max_exceeded``, ``critical_cve`` or ``budget_exceeded``."""

    type: _Text
    message: _Text
    severity: Severity

    @classmethod
    def exceeded(cls, limit_name: str, actual: float, limit: float, *, severity: Severity) -> Violation:
        """``<limit_name>_exceeded`` with the message ``<limit_name> exceeded: <actual> > <limit>``."""
        return cls(
            type=f"{limit_name}_exceeded",
            message=f"{limit_name} exceeded: {actual:g} > {limit:g}",
            severity=severity,
        )

    @classmethod
    def below_min(cls, name: str, actual: float, minimum: float, *, severity: Severity) -> Violation:
        """``<name>_below_min`` with the message ``<name> below min: <actual> < <minimum>``."""
        return cls(
            type=f"{name}_below_min",
            message=f"{name} below min: {actual:g} < {minimum:g}",
            severity=severity,
        )


class GuardReport(_Frozen):
    """The outcome of one guard. ``guard`` is the guard type from the phase config (``cve_count``...).

    ``details`` is free-form JSON for the evidence pack; ``details["agents"]`` (a list of agent names)
    narrows which agents the auto-fix re-runs.
    """

    guard: _Text
    status: GuardStatus
    score: Annotated[float, Field(ge=0, le=1)]
    hard: bool
    violations: list[Violation] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> GuardReport:
        if self.status == "not_run":
            if not self.reason:
                raise ValueError("a not_run guard report needs a reason")
            if self.score != 0:
                raise ValueError("a not_run guard report scores 0")
        if self.status == "failed" and not self.violations:
            raise ValueError("a failed guard report names at least one violation")
        return self

    @property
    def passed(self) -> bool:
        return self.status == "passed"
