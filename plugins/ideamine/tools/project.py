"""Write a generated project into its workspace and commit it with git, reproducibly.

The same files always give the same commit SHA: author, committer, dates and message are fixed, file
modes are 0644, and git runs with no system/global config, no hooks and no templates. Re-running with
the same files makes no second commit; a changed file set makes one new commit on ``main``.

File paths come from generated (untrusted) content, so each one is checked before anything is
written: relative POSIX paths only, no ``..``, no backslash, no NUL, nothing under ``.git``, and no
symlink anywhere on the way (a symlinked folder could point outside the workspace).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ideamine.errors import ToolError
from ideamine.tools.sandbox import ToolRun, run_tool, scratch_dir

BRANCH = "main"
COMMIT_MESSAGE = "Generated project\n\nWritten by the IdeaMine build phase."
FIXED_DATE = "2000-01-01T00:00:00+0000"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "IdeaMine Build",
    "GIT_AUTHOR_EMAIL": "build@ideamine.invalid",
    "GIT_COMMITTER_NAME": "IdeaMine Build",
    "GIT_COMMITTER_EMAIL": "build@ideamine.invalid",
    "GIT_AUTHOR_DATE": FIXED_DATE,
    "GIT_COMMITTER_DATE": FIXED_DATE,
}
_GIT_ISOLATION = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_LITERAL_PATHSPECS": "1",
}
_GIT_OPTIONS = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "commit.gpgSign=false",
    "-c",
    "core.autocrlf=false",
    "-c",
    "core.fileMode=true",
)
_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_FILES = 5000


def check_relative_path(path: object) -> PurePosixPath:
    """``path`` as a safe relative POSIX path, or ``ToolError`` naming it."""
    if not isinstance(path, str) or not path:
        raise ToolError(f"refusing file path {path!r}: not a non-empty string")
    if "\x00" in path or "\\" in path:
        raise ToolError(f"refusing file path {path!r}: NUL or backslash")
    if path.startswith("/") or _DRIVE.match(path):
        raise ToolError(f"refusing file path {path!r}: absolute")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ToolError(f"refusing file path {path!r}: empty, '.' or '..' component")
    if any(part.lower() == ".git" for part in parts):
        raise ToolError(f"refusing file path {path!r}: inside .git")
    return PurePosixPath(path)


def _target(workspace: Path, relative: PurePosixPath) -> Path:
    current = workspace
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise ToolError(f"refusing file path '{relative}': '{current}' is a symlink")
    resolved = current.resolve()
    if workspace not in resolved.parents:
        raise ToolError(f"refusing file path '{relative}': it escapes the workspace")
    if resolved.exists() and not resolved.is_file():
        raise ToolError(f"refusing file path '{relative}': a directory is in the way")
    return resolved


def _git(workspace: Path, *args: str, home: Path) -> ToolRun:
    env = {**_GIT_ISOLATION, **GIT_IDENTITY}
    run = run_tool(["git", *_GIT_OPTIONS, *args], cwd=workspace, timeout_s=60, env=env, home=home)
    if run.returncode != 0 or run.timed_out:
        raise ToolError(f"git {args[0]} failed ({run.returncode}): {run.stderr.strip()[:500]}")
    return run


def _write(target: Path, data: bytes) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
        target.chmod(0o644)
    except OSError as exc:
        raise ToolError(f"cannot write '{target}': {exc}") from exc


def materialize(workspace: Path, files: Mapping[str, str]) -> dict[str, Any]:
    """Write ``files`` (relative path -> text) into ``workspace`` and commit; returns a RepoManifest body.

    Tracked files that are no longer in ``files`` are removed. Untracked extra files are left alone and
    never committed. Raises ``ToolError`` for a bad path and ``ToolNotAvailable`` without git.
    """
    if not files:
        raise ToolError("refusing to materialize a project with no files")
    if len(files) > MAX_FILES:
        raise ToolError(f"refusing to materialize {len(files)} files (at most {MAX_FILES})")
    checked = {str(check_relative_path(path)): path for path in files}
    for path, text in files.items():
        if not isinstance(text, str):
            raise ToolError(f"refusing file '{path}': its content is not text")
    if workspace.is_symlink():
        raise ToolError(f"refusing workspace '{workspace}': it is a symlink")
    workspace.mkdir(parents=True, exist_ok=True)
    root = workspace.resolve()
    targets = {rel: _target(root, PurePosixPath(rel)) for rel in sorted(checked)}

    with scratch_dir("ideamine-git-") as home:
        if not (root / ".git").is_dir():
            _git(root, "init", "-q", "-b", BRANCH, "--template=", ".", home=home)
        tracked = set(_git(root, "ls-files", "-z", home=home).stdout.split("\x00")) - {""}
        for stale in sorted(tracked - set(targets)):
            stale_path = _target(root, check_relative_path(stale))
            if stale_path.exists():
                stale_path.unlink()
        manifest_files = []
        for rel, target in targets.items():
            data = files[checked[rel]].encode("utf-8")
            _write(target, data)
            digest = hashlib.sha256(data).hexdigest()
            manifest_files.append({"path": rel, "sha256": digest, "size": len(data)})
        pathspecs = home / "pathspecs"
        pathspecs.write_bytes(b"".join(p.encode("utf-8") + b"\x00" for p in sorted(tracked | set(targets))))
        _git(root, "add", "-A", "-f", f"--pathspec-from-file={pathspecs}", "--pathspec-file-nul", home=home)
        has_head = run_tool(
            ["git", *_GIT_OPTIONS, "rev-parse", "--verify", "-q", "HEAD"],
            cwd=root,
            timeout_s=60,
            env=_GIT_ISOLATION,
            home=home,
        )
        staged_changes = run_tool(
            ["git", *_GIT_OPTIONS, "diff", "--cached", "--quiet"],
            cwd=root,
            timeout_s=60,
            env=_GIT_ISOLATION,
            home=home,
        )
        if has_head.returncode != 0 or staged_changes.returncode != 0:
            _git(root, "commit", "-q", "--no-verify", "-m", COMMIT_MESSAGE, home=home)
        sha = _git(root, "rev-parse", "HEAD", home=home).stdout.strip()
        branch = _git(root, "symbolic-ref", "--short", "HEAD", home=home).stdout.strip()
    return {"path": str(root), "commit_sha": sha, "branch": branch, "files": manifest_files}
