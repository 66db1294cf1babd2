"""Gate scoring: guard reports and Q/A/V grounding in, a pass/fail decision with reasons out.

Score. Each rubric criterion gets a 0–1 score and the gate score is the weighted sum (weights normalised
by their total, then rounded to 6 places so 0.7999999 does not fail a 0.80 threshold). A criterion scores
as the mean of the reports of the guard types feeding it (:data:`RUBRIC_SOURCES`); a ``not_run`` report
scores 0. Sources:

    criterion           guard types (report score unless noted)
    completeness        completeness, release_completeness
    clarity             clarity
    grounding           -- the Q/A/V grounding score (None: Q/A/V did not run -> 0)
    feasibility         feasibility
    risk_coverage       risk_coverage
    assumption_quality  assumption_validation
    consistency         contradictions, design_consistency
    coverage            coverage, test_coverage (its score is the line-coverage part)
    viability           financial_viability
    scalability         scalability
    security            security (architecture controls)
    compilation         compilation, lint (builds and is clean)
    tests               test_coverage, reading details["pass_rate"] (0–1; above 1 is read as a percent)
    vulnerabilities     cve_count
    secrets             secrets_detected
    sbom                sbom_completeness
    story_completion    story_completion
    acceptance_tests    acceptance_tests
    test_pass_rate      test_pass_rate
    performance         performance
    accessibility       accessibility
    responsiveness      responsive_design
    branding            brand_compliance
    documentation       release_completeness, version_validation
    deployment_health   deployment_health
    monitoring          monitoring
    canary              canary_validation

A criterion none of whose guards reported in this phase scores as the mean of all the phase's guard
reports (0 when there are none), and a reason says so.

Pass. The gate passes iff score >= threshold and nothing blocks. Blocking: a hard guard that failed
(each of its violation types) or did not run (``<guard>_not_run``), and ``budget_exceeded``. Soft guard
failures only lower their criterion. Reasons name the guard, the violation and the numbers, and always
end with ``score S < threshold T`` (or ``>=``).

Attempts and waivers. ``attempt`` counts from 1. A failing gate with attempts left returns a
:class:`FixPlan`. At the last attempt (``attempt >= max_attempts``) the decision is ``exhausted`` and
waivers are considered: every blocking violation type, and ``score_below_threshold`` for a shortfall,
needs a waiver for the same phase and violation type that has not expired at ``now``. Critical CVEs,
secrets and critical SAST findings are never waivable: the types ``critical_cve``, ``secrets_detected``
and ``critical_sast``, any violation of a failed ``secrets_detected`` guard, and any critical-severity
violation of a ``cve_count`` guard. A scanner that did not run (``cve_count_not_run``) is not a finding;
it can be waived explicitly. If every failing item is waived the decision passes, listing the waiver ids.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from ideamine.core import budget as budget_mod
from ideamine.core.budget import BudgetStatus
from ideamine.core.guards import GuardReport, Violation

__all__ = [
    "NEVER_WAIVABLE",
    "RUBRIC_DETAIL",
    "RUBRIC_SOURCES",
    "SECURITY_GUARDS",
    "BudgetStatus",
    "FixPlan",
    "GateDecision",
    "Waiver",
    "criterion_scores",
    "decision_payload",
    "evaluate_gate",
    "is_waivable",
    "plan_fix",
    "score_percent",
]

RUBRIC_SOURCES: dict[str, tuple[str, ...]] = {
    "completeness": ("completeness", "release_completeness"),
    "clarity": ("clarity",),
    "grounding": (),
    "feasibility": ("feasibility",),
    "risk_coverage": ("risk_coverage",),
    "assumption_quality": ("assumption_validation",),
    "consistency": ("contradictions", "design_consistency"),
    "coverage": ("coverage", "test_coverage"),
    "viability": ("financial_viability",),
    "scalability": ("scalability",),
    "security": ("security",),
    "compilation": ("compilation", "lint"),
    "tests": ("test_coverage",),
    "vulnerabilities": ("cve_count",),
    "secrets": ("secrets_detected",),
    "sbom": ("sbom_completeness",),
    "story_completion": ("story_completion",),
    "acceptance_tests": ("acceptance_tests",),
    "test_pass_rate": ("test_pass_rate",),
    "performance": ("performance",),
    "accessibility": ("accessibility",),
    "responsiveness": ("responsive_design",),
    "branding": ("brand_compliance",),
    "documentation": ("release_completeness", "version_validation"),
    "deployment_health": ("deployment_health",),
    "monitoring": ("monitoring",),
    "canary": ("canary_validation",),
}
"""Rubric criterion -> the guard types whose reports it averages (see the module docstring)."""

RUBRIC_DETAIL: dict[str, str] = {"tests": "pass_rate"}
"""Criteria that read a number from the reports' ``details`` instead of the report score."""

NEVER_WAIVABLE = frozenset({"critical_cve", "secrets_detected", "critical_sast"})
SECURITY_GUARDS = frozenset({"cve_count", "secrets_detected", "sbom_completeness"})
SCORE_SHORTFALL = "score_below_threshold"
BUDGET_EXCEEDED = "budget_exceeded"
GROUNDING_BELOW_MIN = "grounding_below_min"

_Text = Annotated[str, StringConstraints(min_length=1)]
_Unit = Annotated[float, Field(ge=0, le=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Waiver(_Frozen):
    """A declared exception: who owns it, until when, and what compensates for it."""

    id: _Text
    phase: _Text
    violation_type: _Text
    owner: _Text
    expires_at: AwareDatetime
    compensating_control: _Text

    def active_at(self, now: datetime) -> bool:
        return now < self.expires_at


class FixPlan(_Frozen):
    """What the auto-fix does before the next attempt. ``reasons`` are violation types (agent hints)."""

    agents: tuple[str, ...]
    strict_qav: bool
    rescan: bool
    reasons: tuple[str, ...]


class GateDecision(_Frozen):
    passed: bool
    score: _Unit
    criteria: dict[str, float]
    reasons: tuple[str, ...]
    violations: tuple[Violation, ...]
    blocking: tuple[str, ...]  # violation types that block whatever the score
    waived: tuple[str, ...]  # ids of the waivers that let the gate pass
    exhausted: bool  # failed at the last attempt (a waived pass is still exhausted)
    fix: FixPlan | None

    @property
    def score_percent(self) -> float:
        return score_percent(self.score)


def score_percent(score: float) -> float:
    """A 0–1 score as the 0–100 number phase events carry, to 2 decimal places."""
    return round(score * 100, 2)


# --- scoring -------------------------------------------------------------------------------------


def _detail_score(report: GuardReport, key: str) -> float | None:
    if report.status == "not_run":
        return 0.0
    value = report.details.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    fraction = value / 100 if value > 1 else value
    return min(1.0, max(0.0, float(fraction)))


def criterion_scores(
    rubric: Mapping[str, float], reports: Sequence[GuardReport], grounding: float | None
) -> tuple[dict[str, float], list[str]]:
    """Each rubric criterion's 0–1 score, and notes on how unusual ones were scored."""
    notes: list[str] = []
    phase_mean = _mean([r.score for r in reports])
    scores: dict[str, float] = {}
    for criterion in rubric:
        if criterion == "grounding":
            if grounding is None:
                notes.append("grounding: Q/A/V did not run, scored 0")
            scores[criterion] = 0.0 if grounding is None else min(1.0, max(0.0, grounding))
            continue
        sources = RUBRIC_SOURCES.get(criterion, ())
        feeding = [r for r in reports if r.guard in sources]
        if not feeding:
            notes.append(
                f"{criterion}: no guard of {list(sources)} reported, scored as the mean of the phase's "
                f"{len(reports)} guard report(s)"
            )
            scores[criterion] = phase_mean
            continue
        detail = RUBRIC_DETAIL.get(criterion)
        if detail is None:
            scores[criterion] = _mean([r.score for r in feeding])
            continue
        values: list[float] = []
        for report in feeding:
            value = _detail_score(report, detail)
            if value is None:
                notes.append(f"{criterion}: {report.guard} has no numeric details['{detail}'], scored 0")
                value = 0.0
            values.append(value)
        scores[criterion] = _mean(values)
    return {name: round(value, 6) for name, value in scores.items()}, notes


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def _weighted(rubric: Mapping[str, float], criteria: Mapping[str, float]) -> float:
    total = math.fsum(rubric.values())
    if total <= 0:
        return 0.0
    score = math.fsum(weight * criteria[name] for name, weight in rubric.items()) / total
    return round(min(1.0, max(0.0, score)), 6)


def _fmt_pair(score: float, threshold: float) -> tuple[str, str]:
    # Two places unless that would print a failing 0.795 as "0.80 < 0.80".
    for places in (2, 4, 6):
        left, right = f"{score:.{places}f}", f"{threshold:.{places}f}"
        if (left == right) == (score == threshold):
            return left, right
    return repr(score), repr(threshold)


# --- violations ----------------------------------------------------------------------------------


def _not_run_violation(report: GuardReport) -> Violation:
    return Violation(
        type=f"{report.guard}_not_run",
        message=f"{report.guard} did not run: {report.reason}",
        severity="high" if report.hard else "medium",
    )


def is_waivable(violation: Violation, guard: str | None = None) -> bool:
    """False for critical CVEs, secrets and critical SAST findings, whatever a waiver says."""
    if violation.type in NEVER_WAIVABLE:
        return False
    if guard == "secrets_detected" and not violation.type.endswith("_not_run"):
        return False
    return not (guard == "cve_count" and violation.severity == "critical")


def _report_reason(report: GuardReport) -> list[str]:
    kind = "hard" if report.hard else "soft"
    if report.status == "not_run":
        return [f"{report.guard} ({kind}) did not run: {report.reason} (score 0)"]
    return [
        f"{report.guard} ({kind}) failed: {v.message} [{v.type}] (score {report.score:.2f})"
        for v in report.violations
    ]


# --- fix plan ------------------------------------------------------------------------------------


def plan_fix(
    violations: Sequence[Violation],
    reports: Sequence[GuardReport],
    agents: Sequence[str],
    grounding_failed: bool,
) -> FixPlan:
    """Which agents to re-run, and whether to run Q/A/V strictly and re-scan, for the next attempt.

    Agents: those named in the failing reports' ``details["agents"]``, in the phase's order and only
    agents of this phase; every agent when no failing report names one. Strict Q/A/V when grounding is
    below its minimum or contradictions were found. Re-scan when a security guard (cve_count,
    secrets_detected, sbom_completeness) failed or any guard did not run.
    """
    failing = [r for r in reports if r.status != "passed"]
    named: set[str] = set()
    for report in failing:
        listed = report.details.get("agents")
        if isinstance(listed, list | tuple):
            named.update(name for name in listed if isinstance(name, str))
    chosen = tuple(name for name in agents if name in named) or tuple(agents)
    contradictions = any(r.guard == "contradictions" for r in failing) or any(
        v.type.startswith("contradictions") for v in violations
    )
    rescan = (
        any(r.guard in SECURITY_GUARDS or r.status == "not_run" for r in failing)
        or any(v.type in NEVER_WAIVABLE for v in violations)
        or any(v.type.endswith("_not_run") for v in violations)
    )
    reasons = list(dict.fromkeys(v.type for v in violations))
    if grounding_failed and GROUNDING_BELOW_MIN not in reasons:
        reasons.append(GROUNDING_BELOW_MIN)
    return FixPlan(
        agents=chosen,
        strict_qav=grounding_failed or contradictions,
        rescan=rescan,
        reasons=tuple(reasons),
    )


# --- the gate ------------------------------------------------------------------------------------


def _pick_waiver(waivers: Sequence[Waiver], phase: str, vtype: str, now: datetime) -> Waiver | None:
    matching = sorted(
        (w for w in waivers if w.phase == phase and w.violation_type == vtype and w.active_at(now)),
        key=lambda w: w.id,
    )
    return matching[0] if matching else None


def evaluate_gate(
    *,
    phase: str,
    rubric: Mapping[str, float],
    pass_threshold: float,
    reports: Sequence[GuardReport],
    grounding: float | None,
    budget: BudgetStatus | None,
    attempt: int,
    max_attempts: int,
    agents: Sequence[str],
    waivers: Sequence[Waiver],
    now: datetime,
    min_grounding: float | None = None,
) -> GateDecision:
    """Score the phase and decide. ``min_grounding`` (the phase's Q/A/V minimum; defaults to the
    threshold) only decides whether the fix plan asks for strict Q/A/V."""
    if attempt < 1 or max_attempts < 1:
        raise ValueError(f"attempt ({attempt}) and max_attempts ({max_attempts}) count from 1")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not rubric:
        raise ValueError("the rubric is empty")

    criteria, notes = criterion_scores(rubric, reports, grounding)
    score = _weighted(rubric, criteria)

    reasons: list[str] = []
    found: list[tuple[Violation, str | None]] = []  # (violation, the guard that reported it)
    blocking: list[tuple[Violation, str | None]] = []
    for report in reports:
        if report.status == "passed":
            continue
        reasons.extend(_report_reason(report))
        own = [_not_run_violation(report)] if report.status == "not_run" else list(report.violations)
        found.extend((v, report.guard) for v in own)
        if report.hard:
            blocking.extend((v, report.guard) for v in own)
    if budget is not None:
        for violation in budget_mod.violations(budget):
            reasons.append(violation.message)
            found.append((violation, None))
            blocking.append((violation, None))
        if budget.throttle and not budget.exceeded:
            reasons.append(f"budget at {budget.utilisation:.0%} of its tightest limit: throttling")
    reasons.extend(notes)

    left, right = _fmt_pair(score, pass_threshold)
    shortfall = score < pass_threshold
    message = f"score {left} {'<' if shortfall else '>='} threshold {right}"
    shortfall_item = (Violation(type=SCORE_SHORTFALL, message=message, severity="high"), None)
    if shortfall:
        found.append(shortfall_item)

    passed = not shortfall and not blocking
    exhausted = not passed and attempt >= max_attempts
    waived: list[str] = []
    fix: FixPlan | None = None
    if exhausted:
        needed = list(blocking)
        if shortfall:
            needed.append(shortfall_item)
        unwaived = 0
        for violation, guard in needed:
            if not is_waivable(violation, guard):
                unwaived += 1
                reasons.append(f"{violation.type} is never waivable")
                continue
            waiver = _pick_waiver(waivers, phase, violation.type, now)
            if waiver is None:
                unwaived += 1
                reasons.append(f"no unexpired waiver for {violation.type} in phase '{phase}'")
                continue
            if waiver.id not in waived:
                waived.append(waiver.id)
            reasons.append(
                f"waived {violation.type} by waiver {waiver.id} (owner {waiver.owner}, expires "
                f"{waiver.expires_at.isoformat()}, control: {waiver.compensating_control})"
            )
        if unwaived == 0:
            passed = True
        else:
            waived = []
            reasons.append(f"gate failed after {attempt} of {max_attempts} attempts")
    elif not passed:
        floor = pass_threshold if min_grounding is None else min_grounding
        grounding_failed = "grounding" in rubric and (grounding is None or grounding < floor)
        fix = plan_fix([v for v, _ in found], reports, agents, grounding_failed)

    reasons.append(message)
    return GateDecision(
        passed=passed,
        score=score,
        criteria=criteria,
        reasons=tuple(reasons),
        violations=tuple(v for v, _ in found),
        blocking=tuple(dict.fromkeys(v.type for v, _ in blocking)),
        waived=tuple(waived),
        exhausted=exhausted,
        fix=fix,
    )


def decision_payload(decision: GateDecision) -> dict[str, Any]:
    """The decision as JSON for ledger entries and events, with the score also as 0–100."""
    data = decision.model_dump(mode="json")
    data["score_percent"] = score_percent(decision.score)
    return data
