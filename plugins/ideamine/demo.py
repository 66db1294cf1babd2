"""``ideamine run``: run the whole ``ideamine`` DAG in-process (``dag.test``) on one idea.

It prints each phase event as it lands (from our own Postgres, polled by a thread) and ends with one
JSON line: ``{"run_id", "phases": {phase: "passed"|"failed"}, "dossier": {"json", "html"},
"ledger_verified"}``. Airflow's metadata DB must be migrated and the DAG folder set, as ``make demo`` does.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from ideamine.core.trigger import parse_trigger_conf

DEFAULT_IDEA = (
    "A recipe sharing app for home cooks that lets them save recipes, plan weekly meals, "
    "generate shopping lists and rate dishes from other cooks."
)


class ProgressPrinter(threading.Thread):
    """Print the run's phase events as they are stored."""

    def __init__(self, out: TextIO, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.out, self.interval = out, interval
        self.run_id: str | None = None  # the run started after us; Airflow names it
        self.stop = threading.Event()
        self.last_id = 0
        self.started = time.monotonic()

    def run(self) -> None:
        from ideamine.store import db

        try:
            conn = db.connect()
        except Exception as exc:  # noqa: BLE001 - progress is a nicety; the run must not depend on it
            print(f"(no progress display: {exc})", file=self.out)
            return
        with conn:
            while not self.stop.is_set():
                self.poll(conn)
                self.stop.wait(self.interval)
            self.poll(conn)

    def poll(self, conn: Any) -> None:
        if self.run_id is None:
            row = conn.execute(
                "SELECT id FROM runs WHERE started_at >= now() - make_interval(secs => %s) "
                "ORDER BY started_at DESC LIMIT 1",
                (time.monotonic() - self.started + 1,),
            ).fetchone()
            if row is None:
                return
            self.run_id = row[0]
        rows = conn.execute(
            "SELECT id, phase, event_type, payload FROM events WHERE run_id = %s AND id > %s ORDER BY id",
            (self.run_id, self.last_id),
        ).fetchall()
        for ident, phase, kind, payload in rows:
            self.last_id = ident
            print(
                f"[{time.monotonic() - self.started:7.1f}s] {phase or '-':<12} {describe(kind, payload)}",
                file=self.out,
                flush=True,
            )


def describe(kind: str, payload: dict[str, Any]) -> str:
    if kind == "phase.progress":
        return f"progress {payload.get('pct')}% ({payload.get('task_id')})"
    if kind == "phase.gate.passed":
        return f"gate passed, score {payload.get('score')}"
    if kind == "phase.gate.failed":
        return f"gate failed, score {payload.get('score')}: {'; '.join(payload.get('reasons', []))[:300]}"
    if kind == "kmap.delta.created":
        return f"knowledge frames +{payload.get('count')}"
    if kind == "phase.error":
        return f"error: {payload.get('error')}"[:300]
    return kind


def run_demo(conf: dict[str, Any], *, dags_folder: Path, progress: TextIO | None = None) -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    from ideamine.dag.render import DAG_ID
    from ideamine.pipeline.dossier import dossier_files
    from ideamine.pipeline.runtime import open_runtime

    parse_trigger_conf(conf)  # a bad idea fails here, before Airflow starts a run
    bag = DagBag(dag_folder=str(dags_folder), safe_mode=False)
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    dag = bag.dags[DAG_ID]
    printer = ProgressPrinter(progress or sys.stderr)
    printer.start()
    try:
        dag_run = dag.test(run_conf=conf)
    finally:
        printer.stop.set()
        printer.join(timeout=5)
    run_id = str(dag_run.run_id)
    with open_runtime() as rt:
        statuses = rt.phases.statuses(run_id)
        verified = rt.ledger.verify(run_id, signer=rt.signer).ok if statuses else False
        files = dossier_files(rt, run_id)
    phases = {p: ("passed" if statuses.get(p) == "passed" else "failed") for p in _phase_order()}
    return {
        "run_id": run_id,
        "state": str(dag_run.state),
        "phases": phases,
        "dossier": {k: str(v) for k, v in files.items()} if all(f.exists() for f in files.values()) else None,
        "ledger_verified": verified,
    }


def _phase_order() -> list[str]:
    from ideamine.config_files import default_config_dir, load_project

    return load_project(default_config_dir()).phase_ids


@contextmanager
def output_to(log: Path) -> Iterator[TextIO]:
    """Send everything written to fds 1 and 2 (Airflow's own output) to ``log``; yield the terminal."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(2), "w", buffering=1)
    with open(log, "ab") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)


def main(idea: str | None, conf_json: str | None, dags_folder: Path, log: Path) -> int:
    """Run the demo with Airflow's own output sent to ``log``; progress and the JSON line stay visible."""
    conf: dict[str, Any] = json.loads(conf_json) if conf_json else {}
    conf.setdefault("idea", idea or DEFAULT_IDEA)
    with output_to(log) as terminal:
        print(f"running the ideamine DAG in-process; Airflow's output goes to {log}", file=terminal)
        result = run_demo(conf, dags_folder=dags_folder, progress=terminal)
    print(json.dumps(result, sort_keys=False), flush=True)
    ok = result["ledger_verified"] and all(v == "passed" for v in result["phases"].values())
    return 0 if ok else 1
