"""Run the generated service on loopback and measure it: health, latency, throughput, hostile input.

:func:`running_app` starts ``python -m app --host 127.0.0.1 --port N`` under the sandbox rules (no
shell, rlimits, own process group, minimal environment). It needs the host's loopback, so it runs
without a network namespace; every client here refuses any address outside 127.0.0.0/8 and ``::1``,
and every request loop is bounded in count and time.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ideamine.errors import ToolError
from ideamine.tools.sandbox import scratch_dir, spawn, stop_process_group

STARTUP_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 5.0
MAX_REQUESTS = 20_000
MAX_PROBE_SECONDS = 3600.0
APP_MEMORY_MB = 512


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    path: str


def _loopback(url: str) -> _Target:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or parts.port is None:
        raise ToolError(f"'{url}' is not an http://host:port URL")
    host = parts.hostname
    address = "127.0.0.1" if host == "localhost" else host
    try:
        if not ipaddress.ip_address(address).is_loopback:
            raise ToolError(f"refusing to send traffic to '{host}': only loopback addresses are allowed")
    except ValueError as exc:
        raise ToolError(f"refusing to send traffic to '{host}': not a loopback address") from exc
    path = parts.path or "/"
    return _Target(address, parts.port, path + (f"?{parts.query}" if parts.query else ""))


def request(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to a loopback URL: (status, headers with lower-case names, body)."""
    target = _loopback(url)
    conn = http.client.HTTPConnection(target.host, target.port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request(method, target.path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def _healthy(base_url: str) -> bool:
    try:
        status, _headers, _body = request(base_url + "/health")
    except OSError:
        return False
    return status == 200


@contextmanager
def running_app(repo: Path, *, startup_timeout_s: float = STARTUP_TIMEOUT_S) -> Iterator[str]:
    """Serve the project on a free loopback port; yields ``http://127.0.0.1:<port>``, stops it after."""
    if not (repo / "app" / "__main__.py").is_file():
        raise ToolError(f"'{repo}' has no app/__main__.py to run")
    port = free_port()
    argv = [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)]
    base_url = f"http://127.0.0.1:{port}"
    with scratch_dir("ideamine-app-") as home:
        log_path = home / "app.log"
        with log_path.open("wb") as log:
            process, _ = spawn(
                argv,
                cwd=repo,
                home=home,
                memory_mb=APP_MEMORY_MB,
                cpu_seconds=int(MAX_PROBE_SECONDS),
                network=True,  # it must listen on the host's loopback
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + startup_timeout_s
                while not _healthy(base_url):
                    if process.poll() is not None:
                        tail = log_path.read_text(encoding="utf-8", errors="replace")[-1000:]
                        raise ToolError(f"the app exited with {process.returncode} before /health: {tail}")
                    if time.monotonic() > deadline:
                        raise ToolError(f"the app did not answer /health within {startup_timeout_s:g} s")
                    time.sleep(0.05)
                yield base_url
            finally:
                stop_process_group(process, grace_s=5.0)


def _percentile(sorted_ms: list[float], pct: float) -> float:
    # Nearest-rank percentile: the smallest sample with at least pct% of samples at or below it.
    if not sorted_ms:
        return 0.0
    rank = max(1, -(-len(sorted_ms) * pct // 100))
    return sorted_ms[int(rank) - 1]


def _timed_get(url: str) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        status, _headers, _body = request(url)
        ok = 200 <= status < 400
    except OSError:
        ok = False
    return (time.perf_counter() - started) * 1000.0, ok


def measure_latency(url: str, requests: int = 300, concurrency: int = 4) -> dict[str, Any]:
    """GET ``url`` ``requests`` times from ``concurrency`` threads; latency percentiles and throughput."""
    if not 1 <= requests <= MAX_REQUESTS or not 1 <= concurrency <= 64:
        raise ToolError(f"requests must be 1..{MAX_REQUESTS} and concurrency 1..64")
    _loopback(url)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(_timed_get, [url] * requests))
    wall = time.perf_counter() - started
    latencies = sorted(ms for ms, _ok in results)
    return {
        "count": len(results),
        "errors": sum(1 for _ms, ok in results if not ok),
        "concurrency": concurrency,
        "p50_ms": round(_percentile(latencies, 50), 3),
        "p95_ms": round(_percentile(latencies, 95), 3),
        "p99_ms": round(_percentile(latencies, 99), 3),
        "max_ms": round(latencies[-1], 3) if latencies else 0.0,
        "mean_ms": round(statistics.fmean(latencies), 3) if latencies else 0.0,
        "rps": round(len(results) / wall, 2) if wall > 0 else 0.0,
        "path": urlsplit(url).path or "/",
    }


def probe_health(url: str, seconds: float, interval: float = 0.25) -> dict[str, Any]:
    """Poll ``url`` (a ``/health`` URL) every ``interval`` s for ``seconds``: error rate, availability."""
    if not 0 < seconds <= MAX_PROBE_SECONDS or interval <= 0:
        raise ToolError(f"seconds must be in (0, {MAX_PROBE_SECONDS:g}] and interval > 0")
    _loopback(url)
    latencies: list[float] = []
    errors = 0
    started = time.monotonic()
    next_at = started
    while True:
        now = time.monotonic()
        if now - started >= seconds:
            break
        if now < next_at:
            time.sleep(next_at - now)
        ms, ok = _timed_get(url)
        latencies.append(ms)
        errors += 0 if ok else 1
        next_at += interval
    window = time.monotonic() - started
    samples = len(latencies)
    ordered = sorted(latencies)
    error_rate = errors / samples if samples else 1.0
    return {
        "samples": samples,
        "errors": errors,
        "error_rate": round(error_rate, 4),
        "availability": round(1.0 - error_rate, 4),
        "p50_ms": round(_percentile(ordered, 50), 3),
        "p95_ms": round(_percentile(ordered, 95), 3),
        "max_ms": round(ordered[-1], 3) if ordered else 0.0,
        "window_seconds": round(window, 3),
        "interval_seconds": interval,
    }
