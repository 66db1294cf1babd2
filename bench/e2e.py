"""Wall time of a full offline run, per phase and in total, and where it goes.

    make bench-e2e            (services, migrations and Airflow's metadata DB set up first)
    python bench/e2e.py [--idea TEXT]

Runs the whole ``ideamine`` DAG in-process with ``dag.test`` and then reads the run back from our own
Postgres: a phase's wall time runs from its ``phase.started`` event to its ``phase.gate.passed`` event;
its work is the sum of the ``duration_ms`` of its task ledger entries (agents, Q/A/V, guards). What is
left of the run's wall time is Airflow's own overhead: scheduling, task start-up, XCom, reschedules, and
our bookkeeping between steps. ``dag.test`` runs one task at a time, so the walls of security and
story-loop, which interleave, each include the other's work as "other". Airflow's own output goes to
``$IDEAMINE_HOME/bench-e2e.log``. Prints a table (phases in start order) and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ideamine.demo import DEFAULT_IDEA, output_to, run_demo
from ideamine.pipeline.runtime import open_runtime


def phase_figures(run_id: str) -> dict[str, dict[str, float]]:
    with open_runtime() as rt:
        events = rt.conn.execute(
            """SELECT phase, event_type, min(created_at), max(created_at) FROM events
                WHERE run_id = %s AND event_type IN ('phase.started', 'phase.gate.passed')
                GROUP BY phase, event_type""",
            (run_id,),
        ).fetchall()
        work = rt.conn.execute(
            """SELECT (body::jsonb) #>> '{data,phase}', (body::jsonb) #>> '{data,type}',
                      sum(((body::jsonb) #>> '{data,duration_ms}')::bigint)
                 FROM ledger WHERE run_id = %s AND type = 'task' GROUP BY 1, 2""",
            (run_id,),
        ).fetchall()
    started = dict(
        sorted(((p, lo) for p, kind, lo, _ in events if kind == "phase.started"), key=lambda x: x[1])
    )
    passed = {p: hi for p, kind, _, hi in events if kind == "phase.gate.passed"}
    figures: dict[str, dict[str, float]] = {}
    for phase in started:
        wall = (passed[phase] - started[phase]).total_seconds() if phase in passed else float("nan")
        figures[phase] = {"wall_s": wall, "agents_s": 0.0, "guards_s": 0.0}
    for phase, kind, ms in work:
        if phase in figures:
            key = "guards_s" if kind == "guard" else "agents_s"
            figures[phase][key] += int(ms) / 1000
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idea", default=DEFAULT_IDEA)
    args = parser.parse_args()
    dags = Path(os.environ.get("AIRFLOW__CORE__DAGS_FOLDER", "dags"))
    t0 = time.monotonic()
    log = Path(os.environ.get("IDEAMINE_HOME", ".ideamine")) / "bench-e2e.log"
    with output_to(log) as terminal:
        result = run_demo({"idea": args.idea}, dags_folder=dags, progress=terminal)
    total = time.monotonic() - t0
    figures = phase_figures(result["run_id"])
    work = sum(f["agents_s"] + f["guards_s"] for f in figures.values())
    print(f"{'phase':<14}{'wall s':>9}{'agents+tools s':>16}{'guards s':>10}{'other s':>9}")
    for phase, f in figures.items():
        other = f["wall_s"] - f["agents_s"] - f["guards_s"]
        print(f"{phase:<14}{f['wall_s']:>9.1f}{f['agents_s']:>16.1f}{f['guards_s']:>10.1f}{other:>9.1f}")
    print(f"{'total':<14}{total:>9.1f}{'':>10}{'':>10}")
    print(f"work (agents, tools, guards): {work:.1f} s = {100 * work / total:.0f}% of the run")
    print(f"Airflow and bookkeeping overhead: {total - work:.1f} s = {100 * (total - work) / total:.0f}%")
    summary = {
        "run_id": result["run_id"],
        "total_s": round(total, 2),
        "work_s": round(work, 2),
        "overhead_share": round((total - work) / total, 3),
        "phases": {p: {k: round(v, 2) for k, v in f.items()} for p, f in figures.items()},
        "all_passed": all(v == "passed" for v in result["phases"].values()),
    }
    print(json.dumps(summary, sort_keys=True))
    return 0 if summary["all_passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
