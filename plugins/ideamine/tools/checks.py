"""Build checks on a generated project: it compiles, it lints, its tests pass and cover the code.

Each check runs a real tool from IdeaMine's venv through the sandbox (no network) and returns a plain
JSON-able dict. Report files the tools write (junit XML, coverage data and JSON) go to a private
scratch folder, never into the project's work tree.

Lint rule: ruff runs with its default rule set (``--isolated``, so the project's own config cannot
switch rules off). A finding is an *error* when its code starts with ``F`` (pyflakes: undefined
names, unused imports...) or ``E9`` (syntax and I/O errors), or when it is a syntax error (ruff's
``invalid-syntax``, which is not a rule code); every other finding is a *warning*.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from ideamine.errors import ToolError
from ideamine.tools.sandbox import python_tool, run_tool, scratch_dir

COMPILE_TIMEOUT_S = 60.0
LINT_TIMEOUT_S = 60.0
TEST_TIMEOUT_S = 300.0
MAX_LISTED = 50


def _tool_version(distribution: str) -> str:
    return version(distribution)


def compile_check(repo: Path) -> dict[str, Any]:
    """``python -m compileall -q app tests``: ``ok`` and the error lines when it fails."""
    targets = [name for name in ("app", "tests") if (repo / name).is_dir()]
    if not targets:
        return {"ok": False, "returncode": None, "errors": ["no app/ or tests/ folder"], "targets": []}
    run = run_tool(python_tool("compileall", "-q", *targets), cwd=repo, timeout_s=COMPILE_TIMEOUT_S)
    lines = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    ok = run.returncode == 0 and not run.timed_out
    return {
        "ok": ok,
        "returncode": run.returncode,
        "timed_out": run.timed_out,
        "targets": targets,
        "errors": [] if ok else lines[:MAX_LISTED],
        "duration_s": run.duration_s,
    }


def is_lint_error(code: str | None) -> bool:
    """The documented rule: F-codes, E9-codes and syntax errors (no rule code) are errors."""
    if code is None or not re.fullmatch(r"[A-Z]+[0-9]+", code):
        return True  # ruff reports unparsable code as "invalid-syntax" (older versions: no code)
    return code.startswith(("F", "E9"))


def ruff_check(repo: Path) -> dict[str, Any]:
    """ruff's default rules over the project: error/warning counts, counts per rule code, findings."""
    flags = ("--isolated", "--no-cache", "--exit-zero", "--output-format", "json")
    argv = python_tool("ruff", "check", *flags, ".")
    run = run_tool(argv, cwd=repo, timeout_s=LINT_TIMEOUT_S)
    if run.timed_out or run.returncode != 0:
        raise ToolError(f"ruff failed ({run.returncode}): {run.stderr.strip()[:500]}")
    try:
        raw = json.loads(run.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise ToolError(f"ruff printed no JSON: {exc}") from exc
    root = repo.resolve()
    findings = []
    for item in raw:
        filename = Path(item.get("filename") or "")
        try:
            rel = filename.resolve().relative_to(root).as_posix()
        except ValueError:
            rel = filename.name
        code = item.get("code")
        location = item.get("location") or {}
        findings.append(
            {
                "code": code or "invalid-syntax",
                "severity": "error" if is_lint_error(code) else "warning",
                "file": rel,
                "line": int(location.get("row") or 0),
                "message": str(item.get("message") or ""),
            }
        )
    findings.sort(key=lambda f: (f["file"], f["line"], f["code"]))
    by_code: dict[str, int] = {}
    for finding in findings:
        by_code[finding["code"]] = by_code.get(finding["code"], 0) + 1
    errors = sum(1 for f in findings if f["severity"] == "error")
    return {
        "tool": f"ruff {_tool_version('ruff')}",
        "rule": "errors: F*, E9* and invalid-syntax; warnings: every other code (ruff default rules)",
        "errors": errors,
        "warnings": len(findings) - errors,
        "by_code": dict(sorted(by_code.items())),
        "findings": findings[:MAX_LISTED],
    }


def junit_counts(xml_path: Path) -> dict[str, Any]:
    """passed/failed/errors/skipped and the failing test ids from a pytest junit XML file."""
    if not xml_path.is_file():
        return {"total": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0, "failures": []}
    root = ElementTree.parse(xml_path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = failed = errors = skipped = 0
    failures: list[str] = []
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0))
        errors += int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
        for case in suite.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failures.append(f"{case.get('classname', '')}::{case.get('name', '')}")
    passed = max(0, total - failed - errors - skipped)
    return {
        "total": total,
        "passed": passed,
        "failed": failed,
        "errors": errors,
        "skipped": skipped,
        "failures": sorted(failures)[:MAX_LISTED],
    }


def pass_rate(passed: int, failed: int, errors: int) -> float:
    ran = passed + failed + errors
    return round(passed / ran, 4) if ran else 0.0


def run_pytest(
    cwd: Path,
    targets: list[str],
    *,
    root: Path | None = None,
    pythonpath: Path | None = None,
    own_config: bool = True,
) -> dict[str, Any]:
    """pytest on ``targets`` from ``cwd``: junit counts, failing test ids, duration and exit code.

    ``own_config=False`` ignores any pytest configuration around ``cwd`` (for tests written outside
    the project); ``pythonpath`` makes the project importable from there.
    """
    with scratch_dir() as home:
        junit = home / "junit.xml"
        args = ["-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        if not own_config:
            (home / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
            args += ["-c", str(home / "pytest.ini"), "--rootdir", str(cwd)]
        env = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        if pythonpath is not None:
            env["PYTHONPATH"] = str(pythonpath)
        run = run_tool(
            python_tool("pytest", *args, *targets),
            cwd=cwd,
            root=root,
            timeout_s=TEST_TIMEOUT_S,
            env=env,
            home=home,
        )
        counts = junit_counts(junit)
    _count_broken_run(counts, run)
    counts["exit_code"] = run.returncode
    counts["duration_s"] = run.duration_s
    counts["pass_rate"] = pass_rate(counts["passed"], counts["failed"], counts["errors"])
    counts["tool"] = f"pytest {_tool_version('pytest')}"
    return counts


def _count_broken_run(counts: dict[str, Any], run: Any) -> None:
    """A timed-out pytest, or one that died before writing results (an import or usage error), is an error."""
    if run.timed_out:
        counts["errors"] += 1
        counts["failures"].append("pytest timed out")
    elif counts["total"] == 0 and run.returncode not in (0, 5):
        counts["errors"] += 1


def pytest_coverage(repo: Path) -> dict[str, Any]:
    """``coverage run --source=app -m pytest`` then ``coverage json``: a CoverageReport body."""
    with scratch_dir() as home:
        junit = home / "junit.xml"
        env = {"COVERAGE_FILE": str(home / ".coverage"), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        omit = "--omit=app/__main__.py"
        test_args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        if (repo / "tests").is_dir():
            test_args.append("tests")
        run = run_tool(
            python_tool("coverage", "run", "--source=app", omit, *test_args),
            cwd=repo,
            timeout_s=TEST_TIMEOUT_S,
            env=env,
            home=home,
        )
        counts = junit_counts(junit)
        _count_broken_run(counts, run)
        report_json = home / "coverage.json"
        # -i: a file that does not parse has no measurable lines; the compilation guard reports it.
        json_run = run_tool(
            python_tool("coverage", "json", "-q", "-i", omit, "-o", str(report_json)),
            cwd=repo,
            timeout_s=LINT_TIMEOUT_S,
            env=env,
            home=home,
        )
        files: list[dict[str, Any]] = []
        statements = missing = 0
        percent = 0.0
        if json_run.returncode == 0 and report_json.is_file():
            data = json.loads(report_json.read_text(encoding="utf-8"))
            totals = data.get("totals", {})
            percent = float(totals.get("percent_covered", 0.0))
            statements = int(totals.get("num_statements", 0))
            missing = int(totals.get("missing_lines", 0))
            for name, info in sorted(data.get("files", {}).items()):
                summary = info.get("summary", {})
                files.append(
                    {
                        "path": Path(name).as_posix(),
                        "statements": int(summary.get("num_statements", 0)),
                        "missing": int(summary.get("missing_lines", 0)),
                        "percent": round(float(summary.get("percent_covered", 0.0)), 2),
                    }
                )
    return {
        "tool": f"coverage.py {_tool_version('coverage')}",
        "line_percent": round(percent, 2),
        "statements": statements,
        "missing_lines": missing,
        "files": files,
        "tests_total": counts["total"],
        "tests_passed": counts["passed"],
        "tests_failed": counts["failed"],
        "tests_errors": counts["errors"],
        "tests_skipped": counts["skipped"],
        "pass_rate": pass_rate(counts["passed"], counts["failed"], counts["errors"]),
        "failures": counts["failures"],
        "pytest_exit_code": run.returncode,
    }
