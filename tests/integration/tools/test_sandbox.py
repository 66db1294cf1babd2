"""The sandbox really limits tools: time, memory, environment, working directory, network."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest
from ideamine.errors import ToolError, ToolNotAvailable
from ideamine.tools.sandbox import network_isolation_prefix, python_tool, run_tool

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_a_timeout_kills_the_tool_and_what_it_started(tmp_path: Path):
    code = (
        "import subprocess, time, pathlib;"
        "child = subprocess.Popen(['sleep', '30']);"
        "pathlib.Path('child.pid').write_text(str(child.pid));"
        "time.sleep(30)"
    )
    started = time.monotonic()
    run = run_tool([sys.executable, "-c", code], cwd=tmp_path, timeout_s=1.5)
    assert run.timed_out
    assert run.returncode < 0
    assert time.monotonic() - started < 10
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_a_quick_tool_is_not_timed_out(tmp_path: Path):
    run = run_tool([sys.executable, "-c", "print('hi')"], cwd=tmp_path, timeout_s=30)
    assert (run.returncode, run.stdout.strip(), run.timed_out) == (0, "hi", False)


def test_the_memory_limit_is_enforced(tmp_path: Path):
    grab = "b = bytearray({} * 1024 * 1024); print('got it')"
    small = run_tool([sys.executable, "-c", grab.format(32)], cwd=tmp_path, timeout_s=30, memory_mb=256)
    assert small.returncode == 0
    assert "got it" in small.stdout
    big = run_tool([sys.executable, "-c", grab.format(600)], cwd=tmp_path, timeout_s=30, memory_mb=256)
    assert big.returncode != 0
    assert "MemoryError" in big.stderr


def test_the_file_size_limit_is_enforced(tmp_path: Path):
    code = "open('big.bin', 'wb').write(b'x' * (3 * 1024 * 1024))"
    run = run_tool([sys.executable, "-c", code], cwd=tmp_path, timeout_s=30, max_file_mb=1)
    assert run.returncode != 0
    assert (tmp_path / "big.bin").stat().st_size <= 1024 * 1024


def test_the_environment_is_minimal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IDEAMINE_SECRET_FOR_TEST", "s3cret")
    monkeypatch.setenv("AIRFLOW_CONN_SOMETHING", "postgres://u:p@h/db")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    code = "import os, json; print(json.dumps(dict(os.environ)))"
    run = run_tool([sys.executable, "-c", code], cwd=tmp_path, timeout_s=30, env={"EXTRA": "1"})
    env = __import__("json").loads(run.stdout)
    assert env["EXTRA"] == "1"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert not any(k.startswith(("IDEAMINE_", "AIRFLOW_")) or "proxy" in k.lower() for k in env)
    assert Path(env["HOME"]) != Path.home()
    assert not Path(env["HOME"]).exists()  # the private home is removed afterwards


def test_secret_looking_env_is_refused(tmp_path: Path):
    with pytest.raises(ToolError, match="never passed"):
        run_tool([sys.executable, "-c", "pass"], cwd=tmp_path, timeout_s=5, env={"AIRFLOW__CORE__X": "1"})


def test_the_working_directory_must_be_inside_the_workspace(tmp_path: Path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with pytest.raises(ToolError, match="outside the workspace"):
        run_tool([sys.executable, "-c", "pass"], cwd=tmp_path, root=workspace, timeout_s=5)
    (workspace / "escape").symlink_to(tmp_path)
    with pytest.raises(ToolError, match="outside the workspace"):
        run_tool([sys.executable, "-c", "pass"], cwd=workspace / "escape", root=workspace, timeout_s=5)


def test_missing_tools_are_reported_as_not_available(tmp_path: Path):
    with pytest.raises(ToolNotAvailable):
        run_tool(["no-such-tool-ideamine"], cwd=tmp_path, timeout_s=5)
    with pytest.raises(ToolNotAvailable):
        python_tool("no_such_module_ideamine")


def test_network_isolation_is_reported_truthfully(tmp_path: Path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    code = (
        "import socket; s = socket.socket(); s.settimeout(3);"
        f"print('connected' if s.connect_ex(('127.0.0.1', {port})) == 0 else 'blocked')"
    )
    try:
        isolated = run_tool([sys.executable, "-c", code], cwd=tmp_path, timeout_s=20, network=False)
        open_run = run_tool([sys.executable, "-c", code], cwd=tmp_path, timeout_s=20, network=True)
    finally:
        listener.close()
    assert open_run.stdout.strip() == "connected"
    assert open_run.network_isolated is False
    assert isolated.network_isolated is (network_isolation_prefix() is not None)
    assert isolated.stdout.strip() == ("blocked" if isolated.network_isolated else "connected")


def test_tools_run_from_this_interpreter(tmp_path: Path):
    run = run_tool([*python_tool("pytest"), "--version"], cwd=tmp_path, timeout_s=30)
    assert run.returncode == 0
    assert run.argv[0] == sys.executable
    assert os.path.basename(run.argv[0]).startswith("python")
