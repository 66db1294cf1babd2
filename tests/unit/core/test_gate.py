"""Gate scoring, blocking, waivers and the auto-fix plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ideamine.config_files import default_config_dir, load_project
from ideamine.core.budget import BudgetLimits, Usage, budget_status
from ideamine.core.canonical import canonical_json
from ideamine.core.gate import (
    RUBRIC_SOURCES,
    GateDecision,
    Waiver,
    criterion_scores,
    decision_payload,
    evaluate_gate,
    plan_fix,
    score_percent,
)
from ideamine.core.guards import GuardReport, Violation
from pydantic import ValidationError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PRD_AGENTS = ("StoryCutterAgent", "PRDWriterAgent", "UXFlowAgent", "NFRsAgent", "TraceMatrixAgent")
PRD_RUBRIC = {"completeness": 0.25, "consistency": 0.25, "grounding": 0.30, "coverage": 0.20}
SECURITY_AGENTS = ("SASTAgent", "DASTAgent", "DependencyAgent", "SecretsAgent", "SBOMAgent")
SECURITY_RUBRIC = {"vulnerabilities": 0.40, "secrets": 0.30, "sbom": 0.15, "grounding": 0.15}


def report(
    guard: str,
    score: float = 1.0,
    *,
    hard: bool = False,
    failed: list[Violation] | None = None,
    not_run: str | None = None,
    details: dict[str, Any] | None = None,
) -> GuardReport:
    if not_run:
        return GuardReport(guard=guard, status="not_run", score=0, hard=hard, reason=not_run)
    return GuardReport(
        guard=guard,
        status="failed" if failed else "passed",
        score=score,
        hard=hard,
        violations=failed or [],
        details=details or {},
    )


def contradictions_failed(count: int = 5) -> GuardReport:
    violation = Violation.exceeded("contradictions_max", count, 0, severity="high")
    return report(
        "contradictions", 0.9, hard=True, failed=[violation], details={"agents": ["PRDWriterAgent"]}
    )


def gate(**overrides: Any) -> GateDecision:
    args: dict[str, Any] = {
        "phase": "prd",
        "rubric": PRD_RUBRIC,
        "pass_threshold": 0.80,
        "reports": [report("completeness"), report("contradictions", hard=True), report("coverage")],
        "grounding": 0.9,
        "budget": None,
        "attempt": 1,
        "max_attempts": 5,
        "agents": PRD_AGENTS,
        "waivers": [],
        "now": NOW,
    }
    args.update(overrides)
    return evaluate_gate(**args)


def waiver(
    violation_type: str, *, phase: str = "prd", expires: timedelta = timedelta(days=1), id_: str = "w1"
):
    return Waiver(
        id=id_,
        phase=phase,
        violation_type=violation_type,
        owner="release-manager",
        expires_at=NOW + expires,
        compensating_control="manual review before deploy",
    )


# --- scoring -------------------------------------------------------------------------------------


def test_clean_phase_passes_with_weighted_score():
    decision = gate()
    assert decision.passed
    assert decision.score == pytest.approx(0.25 + 0.25 + 0.30 * 0.9 + 0.20)
    assert decision.criteria == {"completeness": 1.0, "consistency": 1.0, "grounding": 0.9, "coverage": 1.0}
    assert decision.blocking == ()
    assert decision.fix is None
    assert not decision.exhausted
    assert decision.reasons[-1] == "score 0.97 >= threshold 0.80"


def test_criterion_with_several_sources_is_their_mean_and_not_run_scores_zero():
    reports = [
        report("release_completeness", 0.8),
        report("version_validation", not_run="no version found"),
    ]
    criteria, _ = criterion_scores({"completeness": 0.4, "documentation": 0.6}, reports, None)
    assert criteria == {"completeness": 0.8, "documentation": 0.4}


def test_tests_criterion_reads_the_pass_rate_detail():
    reports = [report("test_coverage", 0.9, details={"pass_rate": 0.5}), report("compilation", hard=True)]
    criteria, notes = criterion_scores({"tests": 0.5, "coverage": 0.5}, reports, None)
    assert criteria == {"tests": 0.5, "coverage": 0.9}
    assert notes == []
    percent, _ = criterion_scores({"tests": 1.0}, [report("test_coverage", details={"pass_rate": 95})], None)
    assert percent == {"tests": 0.95}
    missing, notes = criterion_scores({"tests": 1.0}, [report("test_coverage", 0.9)], None)
    assert missing == {"tests": 0.0}
    assert "pass_rate" in notes[0]


def test_criterion_without_a_reporting_guard_falls_back_to_the_phase_mean():
    reports = [report("clarity", 0.6), report("completeness", 1.0)]
    criteria, notes = criterion_scores({"feasibility": 1.0}, reports, None)
    assert criteria == {"feasibility": 0.8}
    assert "feasibility" in notes[0]
    empty, _ = criterion_scores({"feasibility": 1.0}, [], None)
    assert empty == {"feasibility": 0.0}


def test_missing_grounding_scores_zero_and_says_why():
    decision = gate(grounding=None)
    assert decision.criteria["grounding"] == 0.0
    assert not decision.passed
    assert any("Q/A/V did not run" in reason for reason in decision.reasons)


def test_every_configured_rubric_criterion_has_a_guard_of_its_phase_or_is_grounding():
    project = load_project(default_config_dir())
    for phase in project.phases:
        guard_types = {guard.type for guard in phase.guards}
        for criterion in phase.gate.rubric:
            assert criterion in RUBRIC_SOURCES
            if criterion != "grounding":
                assert guard_types & set(RUBRIC_SOURCES[criterion]), (phase.id, criterion)


def test_score_percent_and_payload():
    assert score_percent(0.71234) == 71.23
    assert score_percent(1.0) == 100.0
    payload = decision_payload(gate())
    assert payload["score_percent"] == 97.0
    canonical_json(payload)  # plain JSON


def test_rounding_does_not_fail_a_score_that_meets_the_threshold():
    rubric = {"completeness": 0.3, "clarity": 0.4, "grounding": 0.3}
    decision = gate(
        rubric=rubric,
        pass_threshold=0.75,
        reports=[report("completeness", 0.75), report("clarity", 0.75)],
        grounding=0.75,
    )
    assert decision.passed, decision.reasons


def test_a_near_miss_prints_enough_digits_to_differ():
    reports = [report("completeness", 0.98), report("contradictions"), report("coverage")]
    decision = gate(reports=reports, grounding=0.3485)
    assert 0.7995 <= decision.score < 0.80
    assert not decision.passed
    assert decision.reasons[-1].startswith("score 0.799")
    assert decision.reasons[-1].endswith("< threshold 0.8000")
    plain = gate(reports=reports, grounding=0.33)
    assert plain.reasons[-1] == "score 0.79 < threshold 0.80"


# --- blocking ------------------------------------------------------------------------------------


def test_hard_guard_failing_at_high_score_blocks_and_the_reason_names_it():
    reports = [report("completeness"), contradictions_failed(5), report("coverage")]
    decision = gate(reports=reports, grounding=1.0)
    assert decision.score >= 0.80
    assert not decision.passed
    assert decision.blocking == ("contradictions_max_exceeded",)
    assert any(
        "contradictions (hard) failed" in r and "contradictions_max exceeded: 5 > 0" in r
        for r in decision.reasons
    )


def test_test_16_5_contradictions_five_fail_with_reason_and_low_score():
    zero = Violation.exceeded("contradictions_max", 5, 0, severity="high")
    reports = [
        report("completeness", 0.5, failed=[Violation.below_min("stories", 2, 5, severity="medium")]),
        report("contradictions", 0.0, hard=True, failed=[zero]),
        report("coverage", 0.4, failed=[Violation.below_min("nfrs", 1, 3, severity="medium")]),
    ]
    decision = gate(reports=reports, grounding=0.6)
    assert not decision.passed
    assert decision.score < 0.7
    assert any("contradictions_max exceeded" in r for r in decision.reasons)


def test_soft_guard_failure_only_lowers_the_score():
    soft = report("coverage", 0.5, failed=[Violation.below_min("stories", 3, 5, severity="medium")])
    decision = gate(
        reports=[report("completeness"), report("contradictions", hard=True), soft], grounding=1.0
    )
    assert decision.passed
    assert decision.blocking == ()
    assert decision.criteria["coverage"] == 0.5
    assert any("coverage (soft) failed" in r for r in decision.reasons)


def test_hard_guard_not_run_blocks():
    reports = [
        report("cve_count", hard=True, not_run="no vulnerability database"),
        report("secrets_detected", hard=True),
        report("sbom_completeness"),
    ]
    decision = gate(
        phase="security", rubric=SECURITY_RUBRIC, pass_threshold=0.5, reports=reports, agents=SECURITY_AGENTS
    )
    assert not decision.passed
    assert decision.blocking == ("cve_count_not_run",)
    assert decision.criteria["vulnerabilities"] == 0.0
    assert any("cve_count (hard) did not run: no vulnerability database" in r for r in decision.reasons)


def test_budget_exceeded_blocks_even_a_perfect_score():
    budget = budget_status(BudgetLimits(tokens=1000, tool_minutes=1, wallclock_minutes=1), Usage(tokens=1500))
    decision = gate(grounding=1.0, budget=budget)
    assert decision.score == 1.0
    assert not decision.passed
    assert decision.blocking == ("budget_exceeded",)
    assert "budget exceeded: tokens 1500 > 1000" in decision.reasons


def test_budget_throttle_is_reported_but_does_not_block():
    budget = budget_status(BudgetLimits(tokens=1000, tool_minutes=1, wallclock_minutes=1), Usage(tokens=900))
    decision = gate(budget=budget)
    assert decision.passed
    assert any("throttling" in r for r in decision.reasons)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="count from 1"):
        gate(attempt=0)
    with pytest.raises(ValueError, match="timezone"):
        gate(now=datetime(2026, 3, 1))  # naive on purpose
    with pytest.raises(ValidationError):
        Waiver(
            id="w",
            phase="prd",
            violation_type="x",
            owner="o",
            expires_at=datetime(2026, 3, 2),  # naive on purpose
            compensating_control="c",
        )


# --- waivers -------------------------------------------------------------------------------------


def failing_prd() -> list[GuardReport]:
    return [report("completeness"), contradictions_failed(), report("coverage")]


def test_waiver_is_ignored_before_the_last_attempt():
    decision = gate(reports=failing_prd(), attempt=4, waivers=[waiver("contradictions_max_exceeded")])
    assert not decision.passed
    assert not decision.exhausted
    assert decision.waived == ()
    assert decision.fix is not None


def test_waiver_applies_at_the_last_attempt():
    decision = gate(reports=failing_prd(), attempt=5, waivers=[waiver("contradictions_max_exceeded")])
    assert decision.passed
    assert decision.exhausted
    assert decision.waived == ("w1",)
    assert decision.fix is None
    assert any("waived contradictions_max_exceeded by waiver w1" in r for r in decision.reasons)


def test_expired_waiver_or_one_of_another_phase_does_not_apply():
    expired = waiver("contradictions_max_exceeded", expires=timedelta(seconds=0))
    elsewhere = waiver("contradictions_max_exceeded", phase="bizdev", id_="w2")
    decision = gate(reports=failing_prd(), attempt=5, waivers=[expired, elsewhere])
    assert not decision.passed
    assert decision.exhausted
    assert decision.waived == ()
    assert any("no unexpired waiver for contradictions_max_exceeded" in r for r in decision.reasons)
    assert any("gate failed after 5 of 5 attempts" in r for r in decision.reasons)


@pytest.mark.parametrize(
    ("guard", "violation"),
    [
        ("cve_count", Violation(type="critical_cve", message="CVE-2026-0001 in libfoo", severity="critical")),
        (
            "secrets_detected",
            Violation(type="secrets_detected", message="AWS key in app/config.py", severity="high"),
        ),
        ("cve_count", Violation(type="critical_sast", message="SQL injection in app/db.py", severity="high")),
        ("secrets_detected", Violation.exceeded("secrets", 1, 0, severity="high")),
        ("cve_count", Violation.exceeded("cve_critical", 1, 0, severity="critical")),
    ],
)
def test_never_waivable_findings_stay_blocking(guard: str, violation: Violation):
    failing = report(guard, 0.0, hard=True, failed=[violation])
    others = [
        report(g, hard=g != "sbom_completeness")
        for g in ("cve_count", "secrets_detected", "sbom_completeness")
        if g != guard
    ]
    decision = gate(
        phase="security",
        rubric=SECURITY_RUBRIC,
        pass_threshold=0.1,
        reports=[failing, *others],
        agents=SECURITY_AGENTS,
        attempt=5,
        waivers=[waiver(violation.type, phase="security")],
        grounding=1.0,
    )
    assert not decision.passed
    assert decision.waived == ()
    assert any(f"{violation.type} is never waivable" in r for r in decision.reasons)


def test_a_scanner_that_did_not_run_can_be_waived_explicitly():
    reports = [
        report("cve_count", hard=True, not_run="offline: no vulnerability database"),
        report("secrets_detected", hard=True),
        report("sbom_completeness"),
    ]
    decision = gate(
        phase="security",
        rubric=SECURITY_RUBRIC,
        pass_threshold=0.5,
        reports=reports,
        agents=SECURITY_AGENTS,
        attempt=5,
        waivers=[waiver("cve_count_not_run", phase="security")],
        grounding=1.0,
    )
    assert decision.passed
    assert decision.waived == ("w1",)


def test_score_shortfall_needs_its_own_waiver():
    low = [report("completeness", 0.2), report("contradictions", hard=True), report("coverage", 0.2)]
    without = gate(reports=low, grounding=0.2, attempt=5)
    assert not without.passed
    assert "score_below_threshold" in [v.type for v in without.violations]
    wrong = gate(reports=low, grounding=0.2, attempt=5, waivers=[waiver("contradictions_max_exceeded")])
    assert not wrong.passed
    waived = gate(reports=low, grounding=0.2, attempt=5, waivers=[waiver("score_below_threshold", id_="w9")])
    assert waived.passed
    assert waived.waived == ("w9",)


def test_every_failing_item_must_be_waived():
    low_and_blocked = [report("completeness", 0.2), contradictions_failed(), report("coverage", 0.2)]
    only_one = gate(
        reports=low_and_blocked, grounding=0.2, attempt=5, waivers=[waiver("score_below_threshold")]
    )
    assert not only_one.passed
    both = gate(
        reports=low_and_blocked,
        grounding=0.2,
        attempt=5,
        waivers=[waiver("score_below_threshold", id_="wa"), waiver("contradictions_max_exceeded", id_="wb")],
    )
    assert both.passed
    assert both.waived == ("wb", "wa")


# --- fix plan ------------------------------------------------------------------------------------


def test_fix_plan_names_the_agents_from_the_failing_reports_in_phase_order():
    reports = [
        report(
            "completeness",
            0.5,
            failed=[Violation.below_min("fields", 2, 4, severity="medium")],
            details={"agents": ["TraceMatrixAgent", "NotInThisPhase"]},
        ),
        contradictions_failed(),
        report("coverage", details={"agents": ["StoryCutterAgent"]}),  # passed: not a reason to re-run
    ]
    decision = gate(reports=reports)
    assert decision.fix is not None
    assert decision.fix.agents == ("PRDWriterAgent", "TraceMatrixAgent")
    assert decision.fix.strict_qav  # contradictions
    assert not decision.fix.rescan
    assert "contradictions_max_exceeded" in decision.fix.reasons


def test_fix_plan_reruns_every_agent_when_none_is_named():
    low = [
        report("completeness", 0.3, failed=[Violation.below_min("fields", 1, 4, severity="medium")]),
        report("contradictions", hard=True),
        report("coverage"),
    ]
    plan = plan_fix(gate(reports=low).violations, low, PRD_AGENTS, grounding_failed=False)
    assert plan.agents == PRD_AGENTS
    assert not plan.strict_qav


def test_low_grounding_asks_for_strict_qav():
    decision = gate(grounding=0.2, min_grounding=0.85)
    assert not decision.passed
    assert decision.fix is not None
    assert decision.fix.strict_qav
    assert "grounding_below_min" in decision.fix.reasons
    fine = plan_fix([], [], PRD_AGENTS, grounding_failed=False)
    assert not fine.strict_qav


def test_security_failures_and_not_run_guards_ask_for_a_rescan():
    sbom = report(
        "sbom_completeness",
        0.5,
        failed=[Violation.below_min("sbom", 0.5, 0.95, severity="medium")],
        details={"agents": ["SBOMAgent"]},
    )
    plan = plan_fix(list(sbom.violations), [sbom], SECURITY_AGENTS, grounding_failed=False)
    assert plan.rescan
    assert plan.agents == ("SBOMAgent",)
    perf = report("performance", not_run="the app did not start")
    assert plan_fix([], [perf], ("PerformanceAgent",), grounding_failed=False).rescan
    lint = report("lint", 0.5, failed=[Violation.exceeded("lint_errors", 3, 0, severity="medium")])
    assert not plan_fix(list(lint.violations), [lint], ("TestAgent",), grounding_failed=False).rescan


def test_same_inputs_give_the_same_decision_bytes():
    first = gate(reports=failing_prd(), attempt=5, waivers=[waiver("contradictions_max_exceeded")])
    second = gate(reports=failing_prd(), attempt=5, waivers=[waiver("contradictions_max_exceeded")])
    assert canonical_json(decision_payload(first)) == canonical_json(decision_payload(second))
