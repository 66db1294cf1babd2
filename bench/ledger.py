"""Ledger throughput on the embedded Postgres: single committed appends, batched appends, verify.

    python bench/ledger.py [--entries 100000] [--singles 5000] [--batch 1000]

Starts its own embedded Postgres in a temporary IDEAMINE_HOME (removed afterwards), migrates it,
and prints one line per figure plus a JSON summary. Targets on a 2-core machine: at least 2,000
single committed appends/s and 100,000 verified entries/s on a run of 100,000 entries.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ideamine.core.ledger_models import TaskData
from ideamine.paths import migrations_dir
from ideamine.runtime import services
from ideamine.store import db, migrations
from ideamine.store.ledger import Ledger, NewEntry
from ideamine.store.signing import load_signer


def task(i: int) -> TaskData:
    return TaskData(
        task_id=f"task-{i}",
        phase="build",
        type="agent",
        target="BackendAgent",
        input={"story": f"S-{i % 40}"},
        result={"files": i % 7, "ok": True},
        duration_ms=i % 5000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000, help="size of the run that is verified")
    parser.add_argument("--singles", type=int, default=5_000, help="single committed appends to time")
    parser.add_argument("--batch", type=int, default=1_000, help="entries per batched transaction")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="ideamine-bench-"))
    try:
        info = services.start(home)
        os.environ.update(info.env())
        with db.connection(db.LEDGER_ADMIN_CONN_ID) as admin:
            migrations.migrate(admin, migrations_dir(), app_role="ideamine_app")
        with db.connection(db.LEDGER_CONN_ID) as conn:
            ledger = Ledger(conn)
            run = "bench__singles"
            ledger.ensure_run(run)
            start = time.perf_counter()
            for i in range(args.singles):
                ledger.append(run, task(i), who="BackendAgent", idempotency_key=f"task:{i}")
            single_rate = args.singles / (time.perf_counter() - start)
            print(
                f"single committed appends: {single_rate:,.0f}/s ({args.singles:,} appends, one commit each)"
            )

            run = "bench__batched"
            ledger.ensure_run(run)
            start = time.perf_counter()
            for lo in range(0, args.entries, args.batch):
                hi = min(lo + args.batch, args.entries)
                ledger.append_many(
                    run, [NewEntry(task(i), "BackendAgent", f"task:{i}") for i in range(lo, hi)]
                )
            batched_rate = args.entries / (time.perf_counter() - start)
            print(
                f"batched appends:          {batched_rate:,.0f}/s ({args.entries:,} entries, "
                f"{args.batch:,} per commit)"
            )

            signer = load_signer(keys_dir=home / "keys")
            ledger.sign_head(run, signer, reason="bench")
            start = time.perf_counter()
            result = ledger.verify(run, signer=signer, require_signed_head=True)
            verify_seconds = time.perf_counter() - start
            assert result.ok, result.summary()
            verify_rate = result.entries / verify_seconds
            print(
                f"verify:                   {verify_rate:,.0f} entries/s ({result.entries:,} entries in "
                f"{verify_seconds:.2f} s, signature checked)"
            )
        print(
            json.dumps(
                {
                    "single_appends_per_s": round(single_rate),
                    "batched_appends_per_s": round(batched_rate),
                    "verify_entries_per_s": round(verify_rate),
                    "entries": result.entries,
                    "targets_met": single_rate >= 2_000 and verify_rate >= 100_000,
                }
            )
        )
    finally:
        services.stop(home)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
