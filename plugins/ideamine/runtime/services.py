"""``ideamine services start|stop|status``: the embedded PostgreSQL and Redis under one folder.

Everything lives under the IdeaMine home (``$IDEAMINE_HOME``, default ``./.ideamine``)::

    services.json   ports chosen at first start, reused afterwards
    secrets.json    generated passwords (0600)
    env             ``export NAME=value`` lines for Airflow and IdeaMine (0600), rewritten at every start
    services.lock   serializes concurrent start/stop commands
    postgres/       data/, postgres.log, socket/
    redis/          redis.conf, appendonly.aof, redis.log, redis.pid

When ``AIRFLOW_CONN_IDEAMINE_LEDGER`` (or ``AIRFLOW_CONN_IDEAMINE_REDIS``) is already set to a server
other than ours, the matching embedded server is not started: the configured connection is used instead.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import shlex
import socket
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from ideamine.core.uris import mask_uri
from ideamine.errors import ServiceError
from ideamine.runtime import postgres as pg
from ideamine.runtime import redis as rd

HOME_ENV = "IDEAMINE_HOME"
DEFAULT_HOME = ".ideamine"
AIRFLOW_DB_ENV = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
LEDGER_ENV = "AIRFLOW_CONN_IDEAMINE_LEDGER"
LEDGER_ADMIN_ENV = "AIRFLOW_CONN_IDEAMINE_LEDGER_ADMIN"
SUPERUSER_ENV = "IDEAMINE_SUPERUSER_URI"
REDIS_ENV = "AIRFLOW_CONN_IDEAMINE_REDIS"

HOST = "127.0.0.1"
_REDIS_SECRET = "redis"  # noqa: S105 - the key naming the Redis password in secrets.json
_SECRET_NAMES = (pg.SUPERUSER, pg.AIRFLOW_ROLE, pg.OWNER_ROLE, pg.APP_ROLE, _REDIS_SECRET)
_LOCK_TIMEOUT = 600.0
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_STOPPED = 3  # like `systemctl status` for a unit that is not running

Progress = Callable[[str], None]


def home_dir() -> Path:
    """The IdeaMine home: ``$IDEAMINE_HOME``, or ``./.ideamine``, as an absolute path."""
    return Path(os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser().resolve()


# --------------------------------------------------------------------------------------------- models


@dataclass(frozen=True)
class PostgresInfo:
    """The running embedded PostgreSQL and the URIs to reach it (passwords included)."""

    pid: int
    port: int
    data_dir: Path
    socket_dir: Path
    log_file: Path
    reused: bool  # it was already running
    uris: Mapping[str, str]  # env var name -> URI


@dataclass(frozen=True)
class RedisInfo:
    """The running embedded Redis and the URI to reach it (password included)."""

    pid: int
    port: int
    data_dir: Path
    log_file: Path
    reused: bool
    uri: str


@dataclass(frozen=True)
class ServicesInfo:
    """What ``start`` brought up. ``postgres``/``redis`` are None when a configured connection is used."""

    home: Path
    env_file: Path
    postgres: PostgresInfo | None
    redis: RedisInfo | None
    external: Mapping[str, str] = field(default_factory=dict)  # env var -> masked configured URI

    def env(self) -> dict[str, str]:
        """The variables of the env file, for Python callers that set ``os.environ`` themselves."""
        env: dict[str, str] = {}
        if self.postgres is not None:
            env.update(self.postgres.uris)
        if self.redis is not None:
            env[REDIS_ENV] = self.redis.uri
        env[HOME_ENV] = str(self.home)
        return env


@dataclass(frozen=True)
class ServiceState:
    """One service as ``status`` sees it. ``uri`` is masked; ``external`` is the masked configured URI
    used instead of the embedded server, if any (then the embedded one is not needed)."""

    name: str
    running: bool
    pid: int | None
    uri: str | None
    data_dir: Path
    log_file: Path
    external: str | None = None


@dataclass(frozen=True)
class ServicesStatus:
    """The state of both services and the exit code ``status`` returns."""

    home: Path
    services: tuple[ServiceState, ...]

    @property
    def exit_code(self) -> int:
        needed = [s for s in self.services if s.external is None]
        return EXIT_OK if all(s.running for s in needed) else EXIT_STOPPED


# ---------------------------------------------------------------------------------------- public API


def start(home: Path, *, progress: Progress | None = None) -> ServicesInfo:
    """Start (or reuse) the embedded PostgreSQL and Redis under ``home`` and write ``home/env``.

    Idempotent: running servers are reused. ``progress`` receives one human line per step.
    """
    say = progress or _quiet
    home = home.expanduser().resolve()
    _make_home(home)
    with _os_errors(home), _locked(home, say):
        state = _load_state(home)
        passwords = _load_secrets(home)
        external = _external_connections(home, state)
        for var, uri in external.items():
            service = "Postgres" if var == LEDGER_ENV else "Redis"
            say(f"{_conn_id(var)}: using configured connection {uri} (embedded {service} not started)")
        pg_info = None if LEDGER_ENV in external else _start_postgres(home, state, passwords, say)
        redis_info = None if REDIS_ENV in external else _start_redis(home, state, passwords, say)
        info = ServicesInfo(
            home=home, env_file=home / "env", postgres=pg_info, redis=redis_info, external=external
        )
        _write_env_file(info)
    return info


def stop(home: Path, *, progress: Progress | None = None) -> None:
    """Stop the embedded servers under ``home``; stopping what is not running is fine."""
    say = progress or _quiet
    home = home.expanduser().resolve()
    if not home.is_dir():
        say(f"nothing to stop: {home} does not exist")
        return
    failures: list[str] = []
    with _os_errors(home), _locked(home, say):
        state = _load_state(home)
        # Try both even if one fails, so a stuck Redis never leaves PostgreSQL running.
        try:
            _stop_redis(home, state, say)
        except ServiceError as exc:
            failures.append(str(exc))
        try:
            _stop_postgres(home, say)
        except ServiceError as exc:
            failures.append(str(exc))
    if failures:
        raise ServiceError("\n".join(failures))


def status(home: Path) -> ServicesStatus:
    """Report whether each service runs, with pid, masked URI and data dir. Read-only; takes no lock."""
    home = home.expanduser().resolve()
    with _os_errors(home):
        return _status(home)


def command(action: Literal["start", "stop", "status"], home: Path | None = None) -> int:
    """Run one ``ideamine services`` action, print human output, and return the exit code.

    0 on success (for ``status``: every needed service runs), 3 when ``status`` finds a needed service
    stopped, 1 when a service could not be started or stopped.
    """
    home = home if home is not None else home_dir()
    try:
        if action == "start":
            print(f"IdeaMine services in {home}")
            info = start(home, progress=_print)
            _print_started(info)
            return EXIT_OK
        if action == "stop":
            print(f"Stopping IdeaMine services in {home}")
            stop(home, progress=_print)
            return EXIT_OK
        if action == "status":
            report = status(home)
            _print_status(report)
            return report.exit_code
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return EXIT_ERROR
    raise ValueError(f"unknown services action {action!r}")


# ------------------------------------------------------------------------------------------ services


def _start_postgres(
    home: Path, state: dict[str, Any], passwords: Mapping[str, str], say: Progress
) -> PostgresInfo:
    layout = pg.Layout(home)
    runner = pg.Runner.for_current_user()
    pg.prepare(layout, runner, say)
    if not layout.is_initialized():
        say(f"postgres: initializing a new cluster in {layout.data_dir} (first start, a few seconds)...")
        t0 = time.monotonic()
        pg.initdb(layout, runner)
        say(f"postgres: cluster initialized in {time.monotonic() - t0:.1f} s")
    found = pg.running(layout)
    if found is not None:
        pid, port = found
        if state.get("postgres", {}).get("port") != port:
            state["postgres"] = {"port": port}
            _save_state(home, state)
        say(f"postgres: already running (pid {pid}) on {HOST}:{port}")
    else:
        port = _usable_port(home, state, "postgres", say)
        say(f"postgres: starting on {HOST}:{port}...")
        pid = pg.start(layout, runner, port)
        say(f"postgres: started (pid {pid})")
    pg.ensure_roles(layout, port, passwords)

    def uri(scheme: str, role: str, db: str) -> str:
        return f"{scheme}://{role}:{quote(passwords[role], safe='')}@{HOST}:{port}/{db}"

    uris = {
        AIRFLOW_DB_ENV: uri("postgresql+psycopg", pg.AIRFLOW_ROLE, pg.AIRFLOW_DB),
        LEDGER_ENV: uri("postgresql", pg.APP_ROLE, pg.IDEAMINE_DB),
        LEDGER_ADMIN_ENV: uri("postgresql", pg.OWNER_ROLE, pg.IDEAMINE_DB),
        SUPERUSER_ENV: uri("postgresql", pg.SUPERUSER, pg.IDEAMINE_DB),
    }
    return PostgresInfo(
        pid=pid,
        port=port,
        data_dir=layout.data_dir,
        socket_dir=layout.socket_dir,
        log_file=layout.log_file,
        reused=found is not None,
        uris=uris,
    )


def _start_redis(home: Path, state: dict[str, Any], passwords: Mapping[str, str], say: Progress) -> RedisInfo:
    layout = rd.Layout(home)
    password = passwords[_REDIS_SECRET]
    running_pid = rd.running_pid(layout)
    if running_pid is not None:
        port = state.get("redis", {}).get("port") or rd.configured_port(layout)
        pid = rd.wait_ready(layout, port, password)
        say(f"redis: already running (pid {pid}) on {HOST}:{port}")
    else:
        port = _usable_port(home, state, "redis", say)
        say(f"redis: starting on {HOST}:{port}...")
        pid = rd.start(layout, port, password)
        say(f"redis: started (pid {pid})")
    return RedisInfo(
        pid=pid,
        port=port,
        data_dir=layout.data_dir,
        log_file=layout.log_file,
        reused=running_pid is not None,
        uri=f"redis://:{quote(password, safe='')}@{HOST}:{port}/0",
    )


def _status(home: Path) -> ServicesStatus:
    state = _load_state(home)
    external = _external_connections(home, state)

    pg_layout = pg.Layout(home)
    found = pg.running(pg_layout) if pg_layout.data_dir.is_dir() else None
    pg_port = found[1] if found else state.get("postgres", {}).get("port")
    pg_uri = f"postgresql://{pg.APP_ROLE}:***@{HOST}:{pg_port}/{pg.IDEAMINE_DB}" if pg_port else None
    pg_state = ServiceState(
        name="postgres",
        running=found is not None,
        pid=found[0] if found else None,
        uri=pg_uri,
        data_dir=pg_layout.data_dir,
        log_file=pg_layout.log_file,
        external=external.get(LEDGER_ENV),
    )

    redis_layout = rd.Layout(home)
    redis_pid = rd.running_pid(redis_layout) if redis_layout.data_dir.is_dir() else None
    redis_port = state.get("redis", {}).get("port")
    redis_state = ServiceState(
        name="redis",
        running=redis_pid is not None,
        pid=redis_pid,
        uri=f"redis://:***@{HOST}:{redis_port}/0" if redis_port else None,
        data_dir=redis_layout.data_dir,
        log_file=redis_layout.log_file,
        external=external.get(REDIS_ENV),
    )
    return ServicesStatus(home=home, services=(pg_state, redis_state))


def _stop_redis(home: Path, state: Mapping[str, Any], say: Progress) -> None:
    layout = rd.Layout(home)
    if not layout.data_dir.is_dir():
        say("redis: not running")
        return
    password = str(_read_json(home / "secrets.json").get(_REDIS_SECRET, ""))
    port = state.get("redis", {}).get("port") or rd.configured_port(layout)
    pid = rd.stop(layout, port, password)
    say(f"redis: stopped (pid {pid})" if pid else "redis: not running")


def _stop_postgres(home: Path, say: Progress) -> None:
    layout = pg.Layout(home)
    pid = pg.stop(layout, pg.Runner.for_current_user()) if layout.is_initialized() else None
    say(f"postgres: stopped (pid {pid})" if pid else "postgres: not running")


# ------------------------------------------------------------------------------ ports and connections


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR like the servers themselves, so our own recent TIME_WAIT sockets do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _usable_port(home: Path, state: dict[str, Any], service: str, say: Progress) -> int:
    """The persisted port of ``service``, or a new free one (first start, or the old one is taken)."""
    port = state.get(service, {}).get("port")
    if isinstance(port, int) and _port_free(port):
        return port
    new = _free_port()
    if port:
        say(
            f"{service}: port {port} is taken by another program; moving to {new} (the env file is rewritten)"
        )
    state[service] = {"port": new}
    _save_state(home, state)
    return new


def _conn_id(var: str) -> str:
    return var.removeprefix("AIRFLOW_CONN_").lower()


def _external_connections(home: Path, state: Mapping[str, Any]) -> dict[str, str]:
    """Configured ledger/Redis connections that point somewhere other than our embedded servers."""
    ours = _read_env_file(home / "env")
    found: dict[str, str] = {}
    for var, service in ((LEDGER_ENV, "postgres"), (REDIS_ENV, "redis")):
        value = os.environ.get(var)
        if not value or value == ours.get(var):
            continue
        host, port = _host_port(value)
        our_port = state.get(service, {}).get("port")
        if host in _LOOPBACK and our_port is not None and port == our_port:
            continue
        found[var] = mask_uri(value)
    return found


def _host_port(value: str) -> tuple[str | None, int | None]:
    """Host and port of an Airflow connection given as URI or as JSON."""
    if value.lstrip().startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            return None, None
        port = data.get("port")
        return data.get("host"), int(port) if str(port).isdigit() else None
    try:
        parts = urlsplit(value)
        return parts.hostname, parts.port
    except ValueError:
        return None, None


# ------------------------------------------------------------------------------------- files and lock


@contextlib.contextmanager
def _os_errors(home: Path) -> Iterator[None]:
    """Report file system failures (permissions, full disk...) as ServiceError, naming the path."""
    try:
        yield
    except OSError as exc:
        raise ServiceError(f"file system error under the IdeaMine home {home}: {exc}") from exc


def _quiet(_message: str) -> None:
    pass


def _print(message: str) -> None:
    print(message, flush=True)


def _make_home(home: Path) -> None:
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ServiceError(f"cannot create the IdeaMine home {home}: {exc}") from exc


@contextlib.contextmanager
def _locked(home: Path, say: Progress) -> Iterator[None]:
    """Hold ``home/services.lock`` so two commands never initdb or start the same server twice."""
    path = home / "services.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another `ideamine services` command to finish (lock {path})...")
            deadline = time.monotonic() + _LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise ServiceError(f"gave up waiting for {path}: another command holds it") from None
                    time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_private(path: Path, text: str) -> None:
    """Write atomically, mode 0600: readers never see half a file, and nobody else can read it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ServiceError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ServiceError(f"{path} should hold a JSON object")
    return data


def _load_state(home: Path) -> dict[str, Any]:
    return _read_json(home / "services.json")


def _save_state(home: Path, state: Mapping[str, Any]) -> None:
    _write_private(home / "services.json", json.dumps(state, indent=2, sort_keys=True) + "\n")


def _load_secrets(home: Path) -> dict[str, str]:
    """The passwords, generated at first start; missing ones are added, the file kept at 0600."""
    path = home / "secrets.json"
    data = _read_json(path)
    missing = [name for name in _SECRET_NAMES if not isinstance(data.get(name), str) or not data[name]]
    for name in missing:
        data[name] = secrets.token_urlsafe(24)
    if missing:
        _write_private(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return data


def _write_env_file(info: ServicesInfo) -> None:
    lines = [
        f"# Written by `ideamine services start`. Load it with: source {shlex.quote(str(info.env_file))}"
    ]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in info.env().items()]
    _write_private(info.env_file, "\n".join(lines) + "\n")


def _read_env_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ServiceError(f"cannot read {path}: {exc}") from exc
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("export ") and "=" in line:
            name, _, raw = line.removeprefix("export ").partition("=")
            parsed = shlex.split(raw)
            values[name] = parsed[0] if parsed else ""
    return values


# -------------------------------------------------------------------------------------------- output


def _print_started(info: ServicesInfo) -> None:
    print()
    if info.postgres is not None:
        p = info.postgres
        print(f"postgres  running (pid {p.pid})  data {p.data_dir}")
        for name, uri in p.uris.items():
            print(f"  {name}={mask_uri(uri)}")
    if info.redis is not None:
        r = info.redis
        print(f"redis     running (pid {r.pid})  data {r.data_dir}")
        print(f"  {REDIS_ENV}={mask_uri(r.uri)}")
    for var, uri in info.external.items():
        print(f"{_conn_id(var)}: configured connection {uri}")
    print(
        f"\nEnvironment written to {info.env_file}; load it with:\n  source {shlex.quote(str(info.env_file))}"
    )


def _print_status(report: ServicesStatus) -> None:
    print(f"IdeaMine services in {report.home}")
    for s in report.services:
        if s.external is not None:
            print(f"{s.name:<9} not needed: using configured connection {s.external}")
            if not s.running:
                continue
        state = f"running (pid {s.pid})" if s.running else "stopped"
        print(f"{s.name:<9} {state}")
        print(f"  uri:  {s.uri or '(not started yet)'}")
        print(f"  data: {s.data_dir}")
        print(f"  log:  {s.log_file}")
