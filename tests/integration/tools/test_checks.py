"""compile, ruff and pytest+coverage on real projects give real numbers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ideamine.core.reports import CoverageReport
from ideamine.tools import checks

pytestmark = pytest.mark.integration


def test_the_good_project_compiles(good_repo: Path):
    result = checks.compile_check(good_repo)
    assert result["ok"] is True
    assert result["targets"] == ["app", "tests"]
    assert not list(good_repo.rglob("__pycache__"))  # bytecode went to the tool's private home


def test_a_syntax_error_fails_compilation(make_repo: Callable[..., Path]):
    repo = make_repo("syntax", {"app/broken.py": "def broken(:\n    pass\n"})
    result = checks.compile_check(repo)
    assert result["ok"] is False
    assert any("broken.py" in line for line in result["errors"])


def test_ruff_counts_errors_and_warnings_by_the_documented_rule(
    good_repo: Path, make_repo: Callable[..., Path]
):
    clean = checks.ruff_check(good_repo)
    assert (clean["errors"], clean["warnings"]) == (0, 0)
    assert clean["tool"].startswith("ruff ")
    # Unsorted imports (I001, a warning) and an unused import (F401, an error).
    messy = make_repo("lint", {"app/messy.py": "import sys\nimport os\nimport json\n\nprint(os, sys)\n"})
    result = checks.ruff_check(messy)
    assert result["by_code"] == {"F401": 1, "I001": 1}
    assert (result["errors"], result["warnings"]) == (1, 1)
    assert {f["file"] for f in result["findings"]} == {"app/messy.py"}


def test_pytest_under_coverage_reports_real_numbers(good_repo: Path):
    report = checks.pytest_coverage(good_repo)
    CoverageReport.model_validate(report)
    assert report["tool"].startswith("coverage.py ")
    assert report["tests_passed"] == 5
    assert (report["tests_failed"], report["tests_errors"]) == (0, 0)
    assert report["pass_rate"] == 1.0
    assert 70 <= report["line_percent"] < 100
    assert "app/__main__.py" not in {f["path"] for f in report["files"]}
    assert not (good_repo / ".coverage").exists()


def test_failing_and_uncovered_code_shows_in_the_numbers(
    make_repo: Callable[..., Path], sample: dict[str, str]
):
    failing = (
        sample["tests/test_api.py"] + "\n\ndef test_wrong():\n    assert call('GET', '/health')[0] == 500\n"
    )
    uncovered = "".join(
        f"def f{i}(x):\n    if x:\n        return {i}\n    return -{i}\n\n\n" for i in range(60)
    )
    repo = make_repo("failing", {"tests/test_api.py": failing, "app/extra.py": uncovered})
    report = checks.pytest_coverage(repo)
    assert (report["tests_passed"], report["tests_failed"]) == (5, 1)
    assert report["pass_rate"] == round(5 / 6, 4)
    assert report["line_percent"] < 70
    assert any("test_wrong" in name for name in report["failures"])
