"""Guards that execute tools or read tool-produced reports: build, security, story-loop, qa, beta.

``GUARDS`` maps a guard type to ``fn(cfg, artifacts, repo) -> GuardReport``. The build guards
(compilation, test_coverage, lint) run the tools on ``repo`` themselves; the others judge the report
artifacts the tool agents produced. A guard that cannot judge (no repo, no report, a report that
says its tool was not available, a tool missing here) returns ``not_run`` with the reason: never a
pass. ``details["agents"]`` names the agents an auto-fix should re-run.

Scores (0..1): compilation 1/0; test_coverage the mean of min(1, coverage/min) and the pass rate;
lint the mean of the error and warning sub-scores (1 within the limit, else limit/actual); cve_count
1 when clean, 0 with any critical finding, else 1 - 0.25 per violation; secrets 1/0; sbom the
completeness; pass-rate guards the pass rate; performance the mean of min(1, max_latency/p95) and
min(1, rps/min_rps); accessibility 1/(1 + violations over the limit); deployment its health score;
monitoring the share of required metrics present; canary 1/0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ideamine.core.guards import GuardReport, Violation
from ideamine.errors import ToolError
from ideamine.tools import checks
from ideamine.tools.guard_judges import (
    accessibility,
    canary_validation,
    cve_count,
    deployment_health,
    monitoring,
    pass_rate_guard,
    performance,
    sbom_completeness,
    secrets_detected,
)
from ideamine.tools.guard_support import CODE_AGENTS, finish, not_run

GuardFn = Callable[[Any, dict[str, Any], Path | None], GuardReport]


def _run_on_repo(cfg: Any, repo: Path | None, agents: Sequence[str], check: Callable[[Path], Any]) -> Any:
    """``check(repo)``, or the not_run report explaining why it could not run."""
    if repo is None:
        return not_run(cfg, "no generated project to run the tools on (build has not written one)", agents)
    if not repo.is_dir():
        return not_run(cfg, f"the generated project '{repo}' does not exist", agents)
    try:
        return check(repo)
    except ToolError as exc:  # ToolNotAvailable included
        return not_run(cfg, f"{type(exc).__name__}: {exc}", agents)


def compilation_guard(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    result = _run_on_repo(cfg, repo, CODE_AGENTS, checks.compile_check)
    if isinstance(result, GuardReport):
        return result
    violations: list[Violation] = []
    if not result["ok"] and cfg.must_compile:
        first = "; ".join(result["errors"][:3]) or f"compileall exited {result['returncode']}"
        violations.append(Violation(type="compilation_failed", message=first[:500], severity="critical"))
    agents = _compile_agents(result["errors"]) if violations else CODE_AGENTS
    return finish(cfg, 1.0 if result["ok"] else 0.0, violations, {"compile": result}, agents)


def _compile_agents(errors: Iterable[str]) -> list[str]:
    text = "\n".join(errors)
    named = [a for a in CODE_AGENTS if a != "TestAgent"] if "app/" in text or "app\\" in text else []
    if "tests/" in text:
        named.append("TestAgent")
    return named or list(CODE_AGENTS)


def coverage_guard(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    agents = ["TestAgent", "BackendAgent"]
    result = _run_on_repo(cfg, repo, agents, checks.pytest_coverage)
    if isinstance(result, GuardReport):
        return result
    percent, rate = result["line_percent"], result["pass_rate"]
    ran = result["tests_passed"] + result["tests_failed"] + result["tests_errors"]
    violations: list[Violation] = []
    if percent < cfg.min_percent:
        violations.append(Violation.below_min("coverage", percent, cfg.min_percent, severity="high"))
    if ran == 0:
        violations.append(Violation(type="no_tests", message="no test ran", severity="high"))
    elif result["tests_failed"] or result["tests_errors"]:
        message = f"{result['tests_failed']} failed, {result['tests_errors']} errors: " + ", ".join(
            result["failures"][:5]
        )
        violations.append(Violation(type="tests_failed", message=message[:500], severity="high"))
    coverage_part = min(1.0, percent / cfg.min_percent) if cfg.min_percent else 1.0
    details = {"coverage_percent": percent, "pass_rate": rate, "report": result}
    return finish(cfg, 0.5 * coverage_part + 0.5 * rate, violations, details, agents)


def _sub_score(actual: int, limit: int) -> float:
    if actual <= limit:
        return 1.0
    return limit / actual if limit else 0.0


def lint_guard(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    result = _run_on_repo(cfg, repo, CODE_AGENTS, checks.ruff_check)
    if isinstance(result, GuardReport):
        return result
    violations: list[Violation] = []
    if result["errors"] > cfg.max_errors:
        violations.append(
            Violation.exceeded("lint_errors", result["errors"], cfg.max_errors, severity="high")
        )
    if result["warnings"] > cfg.max_warnings:
        violations.append(
            Violation.exceeded("lint_warnings", result["warnings"], cfg.max_warnings, severity="low")
        )
    score = 0.5 * _sub_score(result["errors"], cfg.max_errors) + 0.5 * _sub_score(
        result["warnings"], cfg.max_warnings
    )
    return finish(cfg, score, violations, {"lint": result}, CODE_AGENTS)


GUARDS: dict[str, GuardFn] = {
    "compilation": compilation_guard,
    "test_coverage": coverage_guard,
    "lint": lint_guard,
    "cve_count": cve_count,
    "secrets_detected": secrets_detected,
    "sbom_completeness": sbom_completeness,
    "acceptance_tests": pass_rate_guard,
    "test_pass_rate": pass_rate_guard,
    "performance": performance,
    "accessibility": accessibility,
    "deployment_health": deployment_health,
    "monitoring": monitoring,
    "canary_validation": canary_validation,
}
"""Guard type -> evaluator, for every guard that runs a tool or reads a tool's report."""
