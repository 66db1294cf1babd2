"""The project the offline build phase writes really runs: its tests pass with >= 70 % coverage, ruff
is clean, every story's acceptance test passes, and ``python -m app`` serves /health."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ideamine.core.artifacts import assemble, validate_artifact
from ideamine.core.doc_guards import GUARDS
from ideamine.core.fanin import concat
from ideamine.offline import run_agent

from tests.unit.offline.pipeline import HOSTILE_IDEA, IDEAS, Run, project, run_pipeline

pytestmark = pytest.mark.integration

CASES = {**IDEAS, "hostile": HOSTILE_IDEA}
BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    # The generated project runs as a developer would run it, not inside this suite's settings.
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_", "PYTHONPATH"))}


def _run(args: list[str], cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**_env(), **env}
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=environ, check=False
    )


@pytest.fixture(scope="module", params=sorted(CASES))
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    run = run_pipeline(CASES[request.param], stop_after="story-loop")
    root = tmp_path_factory.mktemp(f"project-{request.param}")
    files = {**run.artifacts["SourceCode"]["files"], **run.artifacts["TestSuite"]["files"]}
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    return run, root


def test_tests_pass_with_coverage(generated: tuple[Run, Path]) -> None:
    run, root = generated
    tests = _run([sys.executable, "-m", "coverage", "run", "--source=app", "-m", "pytest", "-q"], root)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout
    report = _run([sys.executable, "-m", "coverage", "report"], root)
    assert report.returncode == 0, report.stdout + report.stderr  # fail_under = 70 in pyproject.toml
    _run([sys.executable, "-m", "coverage", "json", "-o", "coverage.json"], root)
    data = json.loads((root / "coverage.json").read_text())
    assert data["totals"]["percent_covered"] >= 70
    assert "app/__main__.py" not in data["files"]
    assert run.artifacts["TestSuite"]["min_coverage_percent"] == 70


def test_ruff_clean_and_compiles(generated: tuple[Run, Path]) -> None:
    _, root = generated
    for args in (["check", "--isolated", "."], ["check", "."]):  # ruff's defaults, and the project's config
        lint = _run([str(BIN / "ruff"), *args], root)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    compiled = _run([sys.executable, "-m", "compileall", "-q", "app", "tests"], root)
    assert compiled.returncode == 0, compiled.stdout


def test_bandit_clean_when_installed(generated: tuple[Run, Path]) -> None:
    _, root = generated
    if _run([sys.executable, "-c", "import bandit"], root).returncode != 0:
        pytest.skip("bandit is not installed in this interpreter")
    scan = _run([sys.executable, "-m", "bandit", "-r", "app", "-ll", "-q"], root)
    assert scan.returncode == 0, scan.stdout + scan.stderr


def _junit_counts(xml_file: Path) -> dict[str, dict[str, Any]]:
    counts: dict[str, dict[str, Any]] = {}
    for case in ET.parse(xml_file).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1] + ".py"
        entry = counts.setdefault(module, {"passed": 0, "failed": 0, "errors": 0, "duration_s": 0.0})
        entry["duration_s"] += float(case.get("time", 0))
        if case.find("failure") is not None:
            entry["failed"] += 1
        elif case.find("error") is not None:
            entry["errors"] += 1
        elif case.find("skipped") is None:
            entry["passed"] += 1
    return counts


def test_every_story_passes_its_acceptance_test(generated: tuple[Run, Path]) -> None:
    run, root = generated
    implemented = run.artifacts["ImplementedStories"]["items"]
    # As StoryTesterAgent runs them: outside the project's tree, with the project on PYTHONPATH.
    outside = root.parent / f"{root.name}-acceptance"
    story_files = []
    for item in implemented:
        target = outside / item["story_id"] / item["test_file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item["test_source"], encoding="utf-8")
        story_files.append(str(target.relative_to(outside)))
    pytest_args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml=stories.xml", *story_files]
    result = _run([sys.executable, *pytest_args], outside, PYTHONPATH=str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    counts = _junit_counts(outside / "stories.xml")

    per_story = []
    for story, item in zip(run.artifacts["UserStories"]["user_stories"], implemented, strict=True):
        results = {"story_id": story["id"], "test_file": item["test_file"], **counts[item["test_file"]]}
        previous = {"ImplementedStories": item, "AcceptanceTestResults": results}
        ctx = run.context("story-loop", "StoryValidatorAgent", item=story, previous=previous)
        per_story.append({**previous, **run_agent(ctx).sections})
    declared = [a.type for a in project().phase("story-loop").artifacts]
    artifacts = {
        t: validate_artifact(t, body) for t, body in assemble("concat", concat(per_story), declared).items()
    }
    assert all(p["status"] == "done" for p in artifacts["StoryProgress"]["items"])
    guard = next(g for g in project().phase("story-loop").guards if g.type == "story_completion")
    report = GUARDS["story_completion"](guard, {**run.artifacts, **artifacts}, None)
    assert report.status == "passed", report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(generated: tuple[Run, Path]) -> Iterator[str]:
    _, root = generated
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=root,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/health", timeout=1):
                    break
            except OSError:
                assert process.poll() is None, process.communicate()
                time.sleep(0.1)
        yield base
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_service_serves_health_page_and_api(server: str, generated: tuple[Run, Path]) -> None:
    run, _ = generated
    with urllib.request.urlopen(server + "/health", timeout=5) as answer:
        assert answer.status == 200
        assert json.loads(answer.read())["status"] == "ok"
    with urllib.request.urlopen(server + "/", timeout=5) as answer:
        page = answer.read().decode("utf-8")
        assert '<html lang="en">' in page
        assert answer.headers["X-Frame-Options"] == "DENY"
    collection = run.artifacts["SourceCode"]["resources"][0]["path"]
    request = urllib.request.Request(
        server + collection,
        data=json.dumps({"name": "From the network"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 201
        assert json.loads(answer.read())["name"] == "From the network"
