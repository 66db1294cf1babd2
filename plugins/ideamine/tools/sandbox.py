"""Run one tool under the sandbox rules: no shell, a minimal environment, resource limits, no network.

Every tool IdeaMine runs on a generated project goes through :func:`run_tool` (or :func:`spawn` for a
long-running server). What it enforces:

- argv only, never a shell; a missing executable or Python module raises ``ToolNotAvailable``;
- ``cwd`` must lie inside ``root`` (the workspace), checked after resolving symlinks;
- a fresh, minimal environment: PATH, a private HOME/TMPDIR outside the work tree, C.UTF-8 locale,
  no bytecode in the work tree; proxies and ``AIRFLOW_*``/``IDEAMINE_*`` variables are never passed;
- rlimits set in the child before ``exec``: address space, CPU seconds, largest file, process count,
  no core dumps;
- its own process group, so a timeout kills the tool and everything it started;
- no network (``network=False``) when ``unshare --net`` (or ``unshare -rn``) works here: the tool gets
  an empty network namespace, loopback included. Where it does not work, the tool runs with the
  host's network and :attr:`ToolRun.network_isolated` says so.

Not enforced: a filesystem jail. A tool can read what the user running IdeaMine can read; the limit
on writes is the file-size rlimit and the working directory, not a mount namespace.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ideamine.errors import ToolError, ToolNotAvailable

_MIB = 1024 * 1024
# Threads count against RLIMIT_NPROC too, so this is a fork-bomb brake, not a tight budget.
NPROC_LIMIT = 512
_OUTPUT_CAP = 4 * _MIB  # what is read back of a tool's stdout/stderr
_FORBIDDEN_PREFIXES = ("AIRFLOW_", "AIRFLOW__", "IDEAMINE_")
_FORBIDDEN_NAMES = frozenset({"http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy"})


@dataclass(frozen=True)
class ToolRun:
    """The outcome of one tool run. ``stdout``/``stderr`` are decoded as UTF-8 (bad bytes replaced)."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool
    network_isolated: bool


def python_tool(module: str, *args: str) -> list[str]:
    """argv running ``module`` with this interpreter, so the tool comes from IdeaMine's own venv."""
    if importlib.util.find_spec(module) is None:
        raise ToolNotAvailable(f"Python module '{module}' is not installed in {sys.prefix}")
    return [sys.executable, "-m", module, *args]


@functools.cache
def network_isolation_prefix() -> tuple[str, ...] | None:
    """The argv prefix that gives a child an empty network namespace here, or None. Checked once."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    for flags in (("--net",), ("-rn",)):
        probe = [unshare, *flags, sys.executable, "-c", "pass"]
        try:
            done = subprocess.run(probe, capture_output=True, timeout=20, check=False)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return (unshare, *flags)
    return None


def _resolve_executable(name: str, path: str) -> str:
    if os.sep in name:
        if os.path.isfile(name) and os.access(name, os.X_OK):
            return name
        raise ToolNotAvailable(f"executable '{name}' does not exist or is not executable")
    # The tool's own PATH first; then the caller's, for tools installed somewhere unusual (an absolute
    # path is passed on, so the child's minimal PATH does not matter for it).
    found = shutil.which(name, path=path) or shutil.which(name)
    if found is None:
        raise ToolNotAvailable(f"executable '{name}' is not installed (not on PATH)")
    return found


def _inside(child: Path, root: Path) -> Path:
    resolved_root = root.resolve()
    resolved = child.resolve()
    if not resolved.is_dir():
        raise ToolError(f"tool working directory '{child}' does not exist")
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise ToolError(f"tool working directory '{child}' is outside the workspace '{root}'")
    return resolved


def tool_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The minimal environment of a tool. ``extra`` may not carry proxies or IdeaMine/Airflow settings."""
    bin_dir = os.path.dirname(sys.executable)
    env = {
        "PATH": os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        # compileall and imports write bytecode here, never into the work tree.
        "PYTHONPYCACHEPREFIX": str(home / "pycache"),
        "PYTHONHASHSEED": "0",
        "PYTHONNOUSERSITE": "1",
        "NO_COLOR": "1",
    }
    for key, value in (extra or {}).items():
        if key.upper().startswith(_FORBIDDEN_PREFIXES) or key.lower() in _FORBIDDEN_NAMES:
            raise ToolError(f"environment variable '{key}' is never passed to a tool")
        env[key] = value
    return env


def _limits(memory_mb: int, cpu_seconds: int, max_file_mb: int) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec
        def lower(which: int, value: int) -> None:
            _soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))

        lower(resource.RLIMIT_AS, memory_mb * _MIB)
        lower(resource.RLIMIT_FSIZE, max_file_mb * _MIB)
        lower(resource.RLIMIT_CORE, 0)
        lower(resource.RLIMIT_NPROC, NPROC_LIMIT)
        # Soft CPU limit: SIGXCPU; the hard limit one second later: SIGKILL.
        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        cap = cpu_seconds + 1 if hard == resource.RLIM_INFINITY else min(cpu_seconds + 1, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (min(cpu_seconds, cap), cap))

    return apply


@contextmanager
def scratch_dir(prefix: str = "ideamine-tool-") -> Iterator[Path]:
    """A private temporary directory (a tool's HOME, its reports), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def spawn(
    argv: Sequence[str],
    *,
    cwd: Path,
    home: Path,
    root: Path | None = None,
    env: Mapping[str, str] | None = None,
    memory_mb: int = 1024,
    cpu_seconds: int = 600,
    max_file_mb: int = 64,
    network: bool = False,
    stdout: int | IO[bytes] = subprocess.DEVNULL,
    stderr: int | IO[bytes] = subprocess.DEVNULL,
) -> tuple[subprocess.Popen[bytes], bool]:
    """Start ``argv`` under the sandbox rules; returns the process and whether its network is isolated."""
    if not argv:
        raise ToolError("empty tool command")
    workdir = _inside(cwd, root if root is not None else cwd)
    environment = tool_env(home, env)
    command = [_resolve_executable(argv[0], environment["PATH"]), *argv[1:]]
    isolated = False
    if not network:
        prefix = network_isolation_prefix()
        if prefix is not None:
            command = [*prefix, *command]
            isolated = True
    try:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            preexec_fn=_limits(memory_mb, cpu_seconds, max_file_mb),  # rlimits must be set in the child
            close_fds=True,
        )
    except FileNotFoundError as exc:
        raise ToolNotAvailable(f"cannot start '{argv[0]}': {exc}") from exc
    except OSError as exc:
        raise ToolError(f"cannot start '{argv[0]}': {exc}") from exc
    return process, isolated


def stop_process_group(process: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """SIGTERM the process group, then SIGKILL it after ``grace_s`` (at once when ``grace_s`` is 0)."""
    if grace_s > 0 and process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace_s)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    _reap_group(process.pid)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"process {process.pid} survived SIGKILL") from exc


def _reap_group(pgid: int) -> None:
    # Children of the group that outlived their parent: kill them too, the group is ours.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _read_capped(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(_OUTPUT_CAP)
    except FileNotFoundError:
        return ""
    return data.decode("utf-8", errors="replace")


def run_tool(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    memory_mb: int = 1024,
    cpu_seconds: int | None = None,
    max_file_mb: int = 64,
    network: bool = False,
    root: Path | None = None,
    home: Path | None = None,
) -> ToolRun:
    """Run ``argv`` to completion under the sandbox rules and return what it did.

    ``root`` is the workspace ``cwd`` must lie in (default: ``cwd`` itself). ``home`` is the tool's
    HOME/TMPDIR; by default a fresh temporary directory removed afterwards. Pass your own to collect
    report files a tool writes there. The CPU limit defaults to the timeout rounded up, plus one.
    """
    cpu = cpu_seconds if cpu_seconds is not None else math.ceil(timeout_s) + 1
    with scratch_dir() as own_home, scratch_dir("ideamine-out-") as out_dir:
        tool_home = home if home is not None else own_home
        out_path, err_path = out_dir / "stdout", out_dir / "stderr"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            started = time.monotonic()
            process, isolated = spawn(
                argv,
                cwd=cwd,
                home=tool_home,
                root=root,
                env=env,
                memory_mb=memory_mb,
                cpu_seconds=cpu,
                max_file_mb=max_file_mb,
                network=network,
                stdout=out,
                stderr=err,
            )
            timed_out = False
            try:
                returncode = process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                stop_process_group(process, grace_s=0.0)
                returncode = process.wait()
            else:
                _reap_group(process.pid)
            duration = time.monotonic() - started
        return ToolRun(
            argv=tuple(argv),
            returncode=returncode,
            stdout=_read_capped(out_path),
            stderr=_read_capped(err_path),
            duration_s=round(duration, 3),
            timed_out=timed_out,
            network_isolated=isolated,
        )
