"""StoryTesterAgent: write one story's acceptance test next to the project and run it.

The test comes from StoryImplementerAgent (``ImplementedStories``: story_id, test_file, test_source).
It is written to ``<workspace>/../acceptance/<story_id>/<test_file>``, outside the project's own
tree, and run with pytest under the sandbox with the project on ``PYTHONPATH``. Story id and file
name are checked as plain file names first: they come from generated content.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.errors import AgentError
from ideamine.tools.checks import run_pytest

SAFE_STORY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SAFE_TEST_FILE = re.compile(r"^test_[A-Za-z0-9_]{1,80}\.py$")


def story_test(ctx: AgentContext, repo: Path) -> dict[str, Any]:
    """Write and run one story's acceptance test: its AcceptanceTestResults item."""
    implemented = ctx.previous.get("ImplementedStories") or {}
    item = ctx.item or {}
    story_id = str(implemented.get("story_id") or item.get("id") or item.get("story_id") or "")
    test_file = str(implemented.get("test_file") or "")
    source = implemented.get("test_source")
    if not SAFE_STORY_ID.match(story_id) or ".." in story_id:
        raise AgentError(f"{ctx.agent}: unsafe or missing story id {story_id!r}")
    if not SAFE_TEST_FILE.match(test_file):
        raise AgentError(f"{ctx.agent}: unsafe or missing test file name {test_file!r}")
    result: dict[str, Any] = {"story_id": story_id, "test_file": test_file}
    if not isinstance(source, str) or not source.strip():
        return {"AcceptanceTestResults": {**result, "passed": 0, "failed": 0, "errors": 1, "duration_s": 0.0}}
    story_dir = repo.parent / "acceptance" / story_id
    target = story_dir / test_file
    if any(p.is_symlink() for p in (story_dir.parent, story_dir, target)):
        raise AgentError(f"{ctx.agent}: the acceptance test path of {story_id} goes through a symlink")
    story_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(source, encoding="utf-8")
    run = run_pytest(story_dir, [test_file], root=repo.parent, pythonpath=repo, own_config=False)
    result.update(
        passed=run["passed"],
        failed=run["failed"],
        errors=run["errors"],
        duration_s=run["duration_s"],
        skipped=run["skipped"],
        failures=run["failures"],
        path=f"acceptance/{story_id}/{test_file}",
    )
    return {"AcceptanceTestResults": result}
