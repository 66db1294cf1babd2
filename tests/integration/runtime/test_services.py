"""`ideamine services start|stop|status` against a real PostgreSQL and Redis, in throw-away homes."""

from __future__ import annotations

import os
import pwd
import signal
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import redis
from ideamine.errors import ServiceError
from ideamine.runtime import postgres as pg
from ideamine.runtime import redis as rd
from ideamine.runtime import services
from ideamine.runtime.services import (
    AIRFLOW_DB_ENV,
    LEDGER_ADMIN_ENV,
    LEDGER_ENV,
    REDIS_ENV,
    SUPERUSER_ENV,
    ServicesInfo,
    command,
    start,
    status,
    stop,
)
from redis.backoff import NoBackoff
from redis.retry import Retry

pytestmark = pytest.mark.integration


def _passwords(home: Path) -> list[str]:
    return list(services._load_secrets(home).values())


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while pg.process_running(pid, "postgres") or pg.process_running(pid, "redis-server"):
        assert time.monotonic() < deadline, f"pid {pid} did not die"
        time.sleep(0.05)


# ------------------------------------------------------------------------------- one shared home


def test_second_start_reuses_the_running_servers(
    running: ServicesInfo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert running.postgres is not None
    assert running.redis is not None
    # Our own URI in the environment (a sourced env file) is not a "configured connection".
    monkeypatch.setenv(LEDGER_ENV, running.env()[LEDGER_ENV])
    monkeypatch.setenv(REDIS_ENV, running.env()[REDIS_ENV])

    assert command("start", running.home) == 0

    again = start(running.home)
    assert again.postgres is not None
    assert again.redis is not None
    assert (again.postgres.pid, again.redis.pid) == (running.postgres.pid, running.redis.pid)
    assert again.postgres.reused
    assert again.redis.reused
    assert again.env() == running.env()
    out = capsys.readouterr().out
    assert "already running" in out
    assert "configured connection" not in out


def test_env_file_is_private_and_sourceable(running: ServicesInfo) -> None:
    env_file = running.home / "env"
    assert running.env_file == env_file
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((running.home / "secrets.json").stat().st_mode) == 0o600
    names = [AIRFLOW_DB_ENV, LEDGER_ENV, LEDGER_ADMIN_ENV, SUPERUSER_ENV, REDIS_ENV, "IDEAMINE_HOME"]
    assert sorted(running.env()) == sorted(names)
    script = "source " + str(env_file) + " && " + " && ".join(f'printf "%s\\n" "${n}"' for n in names)
    out = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=True, env={"PATH": os.environ["PATH"]}
    ).stdout
    assert out.splitlines() == [running.env()[n] for n in names]
    port = running.postgres.port if running.postgres else 0
    assert running.env()[LEDGER_ENV].startswith("postgresql://ideamine_app:")
    assert running.env()[LEDGER_ENV].endswith(f"@127.0.0.1:{port}/ideamine")
    assert running.env()[AIRFLOW_DB_ENV].startswith("postgresql+psycopg://airflow:")
    assert running.env()["IDEAMINE_HOME"] == str(running.home)


def test_roles_and_databases(running: ServicesInfo) -> None:
    env = running.env()
    with psycopg.connect(env[LEDGER_ENV], autocommit=True) as app:
        row = app.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == (False, False, False)
        assert app.execute("SELECT has_database_privilege('ideamine', 'TEMP')").fetchone() == (False,)
        # PostgreSQL 15+ no longer lets every role create in schema public; only the database owner can.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("CREATE TABLE public.app_may_not_create (x int)")
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(env[LEDGER_ENV].rsplit("/", 1)[0] + "/airflow").close()

    with psycopg.connect(env[LEDGER_ADMIN_ENV], autocommit=True) as owner:
        row = owner.execute(
            "SELECT rolsuper, rolcreaterole, (SELECT pg_get_userbyid(datdba) FROM pg_database"
            " WHERE datname = 'ideamine') FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == (False, True, "ideamine_owner")
        owner.execute("CREATE TABLE owner_can_create (x int)")
        owner.execute("GRANT SELECT ON owner_can_create TO ideamine_app")
        owner.execute("DROP TABLE owner_can_create")

    with psycopg.connect(env[AIRFLOW_DB_ENV].replace("postgresql+psycopg", "postgresql")) as airflow:
        assert airflow.execute("SELECT current_user, current_database()").fetchone() == ("airflow", "airflow")
        airflow.execute("CREATE TABLE airflow_can_create (x int)")
        airflow.rollback()

    with psycopg.connect(env[SUPERUSER_ENV]) as su:
        assert su.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (True,)
        settings = dict(
            su.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                (["listen_addresses", "max_connections", "fsync", "server_encoding", "shared_buffers"],),
            ).fetchall()
        )
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "max_connections": "200",
        "fsync": "on",
        "server_encoding": "UTF8",
        "shared_buffers": "16384",  # 8 kB pages = 128MB
    }
    with redis.Redis.from_url(env[REDIS_ENV]) as r:
        assert r.ping()
    with (
        pytest.raises(redis.AuthenticationError),
        redis.Redis(port=running.redis.port if running.redis else 0, retry=Retry(NoBackoff(), 0)) as r,
    ):
        r.set("no-password", "1")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches PostgreSQL to the system user")
def test_postgres_runs_as_its_system_user_when_root(running: ServicesInfo) -> None:
    assert running.postgres is not None
    uid_line = next(
        line
        for line in Path(f"/proc/{running.postgres.pid}/status").read_text().splitlines()
        if line.startswith("Uid:")
    )
    assert int(uid_line.split()[1]) == pwd.getpwnam(pg.SYSTEM_USER).pw_uid
    socket_dir = running.postgres.socket_dir
    assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
    assert socket_dir.stat().st_uid == pwd.getpwnam(pg.SYSTEM_USER).pw_uid


def test_status_of_running_services(running: ServicesInfo, capsys: pytest.CaptureFixture[str]) -> None:
    report = status(running.home)
    assert report.exit_code == 0
    assert [(s.name, s.running) for s in report.services] == [("postgres", True), ("redis", True)]
    assert running.postgres is not None
    assert running.redis is not None
    assert [s.pid for s in report.services] == [running.postgres.pid, running.redis.pid]

    assert command("status", running.home) == 0
    out = capsys.readouterr().out
    assert f"running (pid {running.postgres.pid})" in out
    assert f"postgresql://ideamine_app:***@127.0.0.1:{running.postgres.port}/ideamine" in out
    assert str(running.postgres.data_dir) in out
    assert not any(pw in out for pw in _passwords(running.home))


# ------------------------------------------------------------------------------ one home per test


def test_stop_and_start_keep_the_data(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert command("status", home) == 3  # never started

    assert command("start", home) == 0
    out = capsys.readouterr().out
    assert "initializing a new cluster" in out
    assert f"source {home / 'env'}" in out
    assert not any(pw in out for pw in _passwords(home))
    first = start(home)
    assert first.postgres is not None
    assert first.redis is not None
    with psycopg.connect(first.env()[LEDGER_ADMIN_ENV]) as conn:
        conn.execute("CREATE TABLE kept (note text)")
        conn.execute("INSERT INTO kept VALUES ('survives')")
    with redis.Redis.from_url(first.env()[REDIS_ENV]) as r:
        r.set("kept", "survives")

    assert command("stop", home) == 0
    assert "postgres: stopped" in capsys.readouterr().out
    _wait_gone(first.postgres.pid)
    _wait_gone(first.redis.pid)
    assert command("status", home) == 3
    assert command("stop", home) == 0  # stopping twice is fine
    assert "not running" in capsys.readouterr().out

    second = start(home)
    assert second.postgres is not None
    assert second.redis is not None
    assert not second.postgres.reused
    assert second.postgres.pid != first.postgres.pid
    assert second.env() == first.env()  # same ports, same passwords
    with psycopg.connect(second.env()[LEDGER_ADMIN_ENV]) as conn:
        assert conn.execute("SELECT note FROM kept").fetchall() == [("survives",)]
    with redis.Redis.from_url(second.env()[REDIS_ENV]) as r:
        assert r.get("kept") == b"survives"
    assert status(home).exit_code == 0


def test_start_recovers_after_kill_9(home: Path) -> None:
    first = start(home)
    assert first.postgres is not None
    assert first.redis is not None
    with psycopg.connect(first.env()[LEDGER_ADMIN_ENV]) as conn:
        conn.execute("CREATE TABLE committed (x int)")
        conn.execute("INSERT INTO committed VALUES (1)")
    os.kill(first.postgres.pid, signal.SIGKILL)
    os.kill(first.redis.pid, signal.SIGKILL)
    _wait_gone(first.postgres.pid)
    _wait_gone(first.redis.pid)
    assert (first.postgres.data_dir / "postmaster.pid").exists()  # stale pid files are left behind
    assert (first.redis.data_dir / "redis.pid").exists()
    assert status(home).exit_code == 3

    second = start(home)
    assert second.postgres is not None
    assert second.redis is not None
    assert second.postgres.pid != first.postgres.pid
    assert second.redis.pid != first.redis.pid
    with psycopg.connect(second.env()[LEDGER_ADMIN_ENV]) as conn:
        assert conn.execute("SELECT x FROM committed").fetchall() == [(1,)]
    with redis.Redis.from_url(second.env()[REDIS_ENV]) as r:
        assert r.ping()


def test_concurrent_starts_initialize_once(make_home: Callable[[str], Path]) -> None:
    # A home too long for a unix socket path also exercises the fallback socket dir under /tmp.
    home = make_home("h" * 90)
    barrier = threading.Barrier(2)

    def run() -> ServicesInfo:
        barrier.wait()
        return start(home)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run) for _ in range(2)]
        results = [f.result(timeout=60) for f in futures]
    assert len({(r.postgres.pid, r.redis.pid) for r in results if r.postgres and r.redis}) == 1
    assert sum(r.postgres.reused for r in results if r.postgres) == 1
    assert pg.Layout(home).log_file.read_text().count("creating configuration files") == 1

    socket_dir = results[0].postgres.socket_dir if results[0].postgres else Path()
    assert socket_dir.parent == Path("/tmp")
    assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
    stop(home)
    assert not socket_dir.exists()


def test_configured_connections_replace_the_embedded_servers(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(LEDGER_ENV, "postgresql://someone:s3cret-pw@db.example.com:5433/ledger")

    assert command("start", home) == 0
    out = capsys.readouterr().out
    assert (
        "ideamine_ledger: using configured connection postgresql://someone:***@db.example.com:5433/ledger"
        " (embedded Postgres not started)"
    ) in out
    assert "s3cret-pw" not in out
    assert not pg.Layout(home).data_dir.exists()
    env_text = (home / "env").read_text()
    assert LEDGER_ENV not in env_text
    assert AIRFLOW_DB_ENV not in env_text
    assert REDIS_ENV in env_text
    report = status(home)
    assert report.exit_code == 0  # the embedded Postgres is not needed
    assert report.services[0].external == "postgresql://someone:***@db.example.com:5433/ledger"

    monkeypatch.setenv(
        REDIS_ENV, '{"conn_type": "redis", "host": "cache.example.com", "port": 6380, "password": "pw"}'
    )
    info = start(home)
    assert info.postgres is None
    assert info.redis is None
    assert info.external[REDIS_ENV] == "redis://:***@cache.example.com:6380/"
    assert info.env() == {"IDEAMINE_HOME": str(home)}


def test_taken_port_moves_and_failed_start_shows_the_log(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = start(home)
    assert first.postgres is not None
    stop(home)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", first.postgres.port))
        squatter.listen()
        moved = start(home)
        stop(home)
        # Redis itself, told to use a taken port, fails fast and quotes its log.
        with pytest.raises(ServiceError, match=r"(?s)Redis did not start.*redis\.log.*already in use"):
            rd.start(rd.Layout(home), first.postgres.port, "unused")
    assert moved.postgres is not None
    assert moved.postgres.port != first.postgres.port
    assert f"127.0.0.1:{moved.postgres.port}/ideamine" in (home / "env").read_text()

    conf = moved.postgres.data_dir / "postgresql.conf"
    original = conf.read_text()
    with conf.open("a") as f:
        f.write("max_connections = 'lots'\n")
    with pytest.raises(ServiceError, match=r"(?s)PostgreSQL did not start.*postgres\.log.*max_connections"):
        start(home)
    capsys.readouterr()
    assert command("start", home) == 1
    assert "error: PostgreSQL did not start" in capsys.readouterr().err
    conf.write_text(original)
    assert start(home).postgres is not None
