"""Fixtures for the embedded-services tests: throw-away IdeaMine homes whose servers are always stopped."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ideamine.runtime import postgres as pg
from ideamine.runtime import redis as rd
from ideamine.runtime import services

# A developer who sourced their own env file must not turn our servers into "configured connections".
_OUTSIDE_VARS = (services.LEDGER_ENV, services.REDIS_ENV, services.HOME_ENV)


def shutdown(home: Path) -> None:
    """Stop the servers of ``home``; if that fails, kill whatever its pid files still name."""
    with contextlib.suppress(Exception):
        services.stop(home)
    found = pg.running(pg.Layout(home)) if pg.Layout(home).data_dir.is_dir() else None
    pids = [found[0]] if found else []
    redis_pid = rd.running_pid(rd.Layout(home)) if rd.Layout(home).data_dir.is_dir() else None
    pids += [redis_pid] if redis_pid else []
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(autouse=True)
def _no_outside_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in _OUTSIDE_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def make_home(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Return a factory of IdeaMine homes under ``tmp_path``; each one's servers are stopped at teardown."""

    def make(name: str = "home") -> Path:
        home = tmp_path / name
        request.addfinalizer(lambda: shutdown(home))
        return home

    return make


@pytest.fixture
def home(make_home: Callable[[str], Path]) -> Path:
    return make_home("home")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.ServicesInfo]:
    """One started home shared by the read-only tests of a module."""
    home = tmp_path_factory.mktemp("shared") / "home"
    try:
        with pytest.MonkeyPatch.context() as mp:
            for var in _OUTSIDE_VARS:
                mp.delenv(var, raising=False)
            info = services.start(home)
        yield info
    finally:
        shutdown(home)
