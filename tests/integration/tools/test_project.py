"""materialize: safe paths, reproducible commits, idempotent re-runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ideamine.core.reports import RepoManifest
from ideamine.errors import ToolError
from ideamine.tools.project import materialize

pytestmark = pytest.mark.integration


def _commits(repo: Path) -> int:
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--count", "HEAD"], capture_output=True, text=True
    )
    return int(out.stdout.strip())


def test_the_same_files_give_the_same_commit(tmp_path: Path, sample: dict[str, str]):
    first = materialize(tmp_path / "a" / "repo", sample)
    second = materialize(tmp_path / "b" / "repo", dict(reversed(list(sample.items()))))
    again = materialize(tmp_path / "a" / "repo", sample)
    assert first["commit_sha"] == second["commit_sha"] == again["commit_sha"]
    assert _commits(tmp_path / "a" / "repo") == 1
    RepoManifest.model_validate(first)
    assert first["branch"] == "main"
    assert [f["path"] for f in first["files"]] == sorted(sample)
    assert first["files"] == second["files"]


def test_a_changed_file_set_makes_one_new_commit(tmp_path: Path, sample: dict[str, str]):
    repo = tmp_path / "repo"
    before = materialize(repo, sample)
    changed = {k: v for k, v in sample.items() if k != "README.md"}
    changed["NOTES.md"] = "new\n"
    after = materialize(repo, changed)
    assert after["commit_sha"] != before["commit_sha"]
    assert _commits(repo) == 2
    assert not (repo / "README.md").exists()
    assert materialize(repo, changed)["commit_sha"] == after["commit_sha"]
    assert _commits(repo) == 2


@pytest.mark.parametrize(
    "bad",
    [
        "/etc/passwd",
        "../outside.txt",
        "app/../../outside.txt",
        "app\\x.py",
        "a\x00b",
        ".git/hooks/pre-commit",
        "",
        "a//b",
    ],
)
def test_paths_that_could_escape_are_refused(tmp_path: Path, bad: str):
    with pytest.raises(ToolError) as err:
        materialize(tmp_path / "repo", {"README.md": "x\n", bad: "boom\n"})
    assert repr(bad)[1:-1] in str(err.value) or bad in str(err.value)
    assert not (tmp_path / "outside.txt").exists()


def test_a_symlink_on_the_way_is_refused(tmp_path: Path):
    repo = tmp_path / "repo"
    materialize(repo, {"README.md": "x\n"})
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "app").symlink_to(outside)
    with pytest.raises(ToolError, match="symlink"):
        materialize(repo, {"README.md": "x\n", "app/evil.py": "boom\n"})
    assert list(outside.iterdir()) == []
