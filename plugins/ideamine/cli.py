"""The ``ideamine`` command line: services, migrations, the ledger, dossiers, runs and config linting.

Exit codes: 0 success; 1 the check failed (tampered ledger, config errors, a service down);
2 bad usage or an error that prevented the check (unreachable database, unknown run).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ideamine.errors import IdeaMineError
from ideamine.paths import ideamine_home, migrations_dir

if TYPE_CHECKING:
    import psycopg

    from ideamine.store.ledger import Ledger


def load_env_file(home: Path | None = None) -> None:
    """Fill in connection variables from ``$IDEAMINE_HOME/env`` when the environment lacks them.

    Values already set in the environment win, so user-configured connections are never replaced.
    """
    path = (home or ideamine_home()) / "env"
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line.startswith("export ") or "=" not in line:
            continue
        name, _, raw = line[len("export ") :].partition("=")
        values = shlex.split(raw)
        os.environ.setdefault(name, values[0] if values else "")


def _cmd_services(args: argparse.Namespace) -> int:
    from ideamine.runtime import services

    return services.command(args.action)


def _cmd_db_migrate(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from ideamine.store import db, migrations

    directory = Path(args.dir) if args.dir else migrations_dir()
    admin = db.admin_conn_id()
    app_role = urlsplit(db.connection_uri(db.LEDGER_CONN_ID)).username
    with db.connection(admin) as conn:
        done = migrations.migrate(conn, directory, app_role=app_role)
        total = len(migrations.applied(conn))
    for name in done:
        print(f"applied {name}")
    print(
        f"database up to date: {total} migration(s) applied, {len(done)} new "
        f"(as {admin}; app role {app_role})"
    )
    return 0


def _cmd_db_status(args: argparse.Namespace) -> int:
    from ideamine.store import db, migrations

    directory = Path(args.dir) if args.dir else migrations_dir()
    with db.connection(db.admin_conn_id()) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
            "name text NOT NULL, checksum char(64) NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        recorded = migrations.applied(conn)
    pending = 0
    for m in migrations.discover(directory):
        state = "applied" if m.version in recorded else "pending"
        if m.version in recorded and recorded[m.version][1] != m.checksum:
            state = "EDITED after it was applied"
        pending += state == "pending"
        print(f"{m.name}: {state}")
    return 0 if pending == 0 else 1


def _ledger(conn_id: str) -> tuple[psycopg.Connection, Ledger]:
    from ideamine.store import db
    from ideamine.store.ledger import Ledger

    conn = db.connect(conn_id)
    return conn, Ledger(conn)


def _cmd_ledger_verify(args: argparse.Namespace) -> int:
    from ideamine.store.signing import load_signer

    conn, ledger = _ledger(args.conn_id)
    with conn:
        signer = load_signer()
        require = True if args.require_signed_head else None
        result = ledger.verify(args.run_id, signer=signer, require_signed_head=require)
    if args.json:
        print(json.dumps(result.__dict__, sort_keys=True))
    else:
        print(result.summary())
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return 0 if result.ok else 1


def _cmd_ledger_show(args: argparse.Namespace) -> int:
    conn, ledger = _ledger(args.conn_id)
    with conn:
        entries = ledger.query(
            args.run_id, types=args.type or None, since=args.since, until=args.until, limit=args.limit
        )
    for e in entries:
        if args.json:
            print(json.dumps(e.model_dump(mode="json"), sort_keys=True))
        else:
            who = e.provenance.get("who", "?")
            print(
                f"{e.seq:>6}  {e.recorded_at:%Y-%m-%d %H:%M:%S}  {e.type:<9}  {who:<24}  "
                f"{json.dumps(e.data, sort_keys=True)[:100]}"
            )
    return 0


def _cmd_config_lint(args: argparse.Namespace) -> int:
    from ideamine.config_files import lint_main

    return lint_main(Path(args.dir) if args.dir else None)


def _cmd_dossier_verify(args: argparse.Namespace) -> int:
    from ideamine.pipeline.dossier import verify_dossier
    from ideamine.pipeline.runtime import open_runtime

    with open_runtime(args.conn_id) as rt:
        problems = verify_dossier(rt, args.run_id)
        row = rt.evidence.latest_dossier(args.run_id)
    if args.json:
        print(json.dumps({"run_id": args.run_id, "ok": not problems, "problems": problems}, sort_keys=True))
    elif problems:
        for problem in problems:
            print(f"FAILED: {problem}")
    else:
        assert row is not None
        print(
            f"OK: dossier {row.version} of run {args.run_id}: sha256 {row.hash}, "
            "signature verified, rebuilt identically"
        )
    return 0 if not problems else 1


def _cmd_dossier_build(args: argparse.Namespace) -> int:
    from ideamine.pipeline.dossier import dossier_step
    from ideamine.pipeline.runtime import open_runtime

    with open_runtime(args.conn_id) as rt:
        print(json.dumps(dossier_step(rt, args.run_id), sort_keys=True))
    return 0


def _cmd_waiver_add(args: argparse.Namespace) -> int:
    from datetime import UTC

    from ideamine.pipeline.runtime import open_runtime

    expires = args.expires if args.expires.tzinfo else args.expires.replace(tzinfo=UTC)
    with open_runtime(args.conn_id) as rt:
        ident = rt.evidence.add_waiver(
            phase=args.phase,
            violation_type=args.violation,
            owner=args.owner,
            expires_at=expires,
            compensating_control=args.control,
            run_id=args.run_id,
        )
    print(ident)
    return 0


def _cmd_waiver_list(args: argparse.Namespace) -> int:
    from datetime import UTC

    from ideamine.pipeline.runtime import open_runtime

    with open_runtime(args.conn_id) as rt:
        rows = rt.conn.execute(
            """SELECT id, coalesce(run_id, '*'), phase, violation_type, owner, expires_at, status,
                      compensating_control
                 FROM waivers ORDER BY created_at"""
        ).fetchall()
    now = datetime.now(UTC)
    for r in rows:
        state = r[6] if r[6] != "active" or r[5] > now else "expired"
        when = f"{r[5]:%Y-%m-%d %H:%M}Z"
        print(f"{r[0]}  run={r[1]}  {r[2]}/{r[3]}  owner={r[4]}  expires={when}  {state}  ({r[7]})")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from ideamine.demo import main as run_main

    dags = Path(args.dags_folder or os.environ.get("AIRFLOW__CORE__DAGS_FOLDER") or "dags")
    log = Path(args.log) if args.log else ideamine_home() / "demo.log"
    return run_main(args.idea, args.conf, dags, log)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ideamine", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    services = sub.add_parser("services", help="the embedded PostgreSQL and Redis")
    services.add_argument("action", choices=["start", "stop", "status"])
    services.set_defaults(func=_cmd_services)

    db = sub.add_parser("db", help="our own Postgres schema").add_subparsers(dest="db_command", required=True)
    migrate = db.add_parser("migrate", help="apply pending migrations from include/migrations")
    migrate.add_argument("--dir", help="migrations directory (default: include/migrations)")
    migrate.set_defaults(func=_cmd_db_migrate)
    status = db.add_parser("status", help="list migrations and whether each is applied")
    status.add_argument("--dir", help="migrations directory (default: include/migrations)")
    status.set_defaults(func=_cmd_db_status)

    ledger = sub.add_parser("ledger", help="the run ledger").add_subparsers(
        dest="ledger_command", required=True
    )
    verify = ledger.add_parser("verify", help="check a run's hash chain, head and signatures")
    verify.add_argument("run_id")
    verify.add_argument(
        "--require-signed-head",
        action="store_true",
        help="fail unless the last entry signs the head (default: only for ended runs)",
    )
    verify.add_argument("--json", action="store_true", help="print the result as one JSON object")
    verify.add_argument("--conn-id", default="ideamine_ledger")
    verify.set_defaults(func=_cmd_ledger_verify)
    show = ledger.add_parser("show", help="list a run's entries")
    show.add_argument("run_id")
    show.add_argument(
        "--type", action="append", choices=["task", "gate", "decision", "artifact", "cost", "signature"]
    )
    show.add_argument("--since", type=datetime.fromisoformat, help="ISO time, inclusive")
    show.add_argument("--until", type=datetime.fromisoformat, help="ISO time, exclusive")
    show.add_argument("--limit", type=int)
    show.add_argument("--json", action="store_true", help="one JSON object per line")
    show.add_argument("--conn-id", default="ideamine_ledger")
    show.set_defaults(func=_cmd_ledger_show)

    dossier = sub.add_parser("dossier", help="the signed release dossier").add_subparsers(
        dest="dossier_command", required=True
    )
    dverify = dossier.add_parser("verify", help="check a run's dossier: hashes, signature, identical rebuild")
    dverify.add_argument("run_id")
    dverify.add_argument("--json", action="store_true", help="print the result as one JSON object")
    dverify.add_argument("--conn-id", default="ideamine_ledger")
    dverify.set_defaults(func=_cmd_dossier_verify)
    dbuild = dossier.add_parser("build", help="(re)build, sign and store the dossier of a finished run")
    dbuild.add_argument("run_id")
    dbuild.add_argument("--conn-id", default="ideamine_ledger")
    dbuild.set_defaults(func=_cmd_dossier_build)

    waiver = sub.add_parser("waiver", help="declared exceptions a gate may apply at its last attempt")
    wsub = waiver.add_subparsers(dest="waiver_command", required=True)
    wadd = wsub.add_parser(
        "add",
        help="waive one violation type of one phase until a time "
        "(critical_cve, secrets_detected and critical_sast can never be waived)",
    )
    wadd.add_argument("--phase", required=True)
    wadd.add_argument("--violation", required=True, help="e.g. coverage_below_min, score_below_threshold")
    wadd.add_argument("--owner", required=True)
    wadd.add_argument(
        "--expires", required=True, type=datetime.fromisoformat, help="ISO time (UTC if no zone)"
    )
    wadd.add_argument("--control", required=True, help="the compensating control")
    wadd.add_argument("--run-id", help="only this run (default: every run)")
    wadd.add_argument("--conn-id", default="ideamine_ledger")
    wadd.set_defaults(func=_cmd_waiver_add)
    wlist = wsub.add_parser("list", help="every waiver, active, expired or revoked")
    wlist.add_argument("--conn-id", default="ideamine_ledger")
    wlist.set_defaults(func=_cmd_waiver_list)

    run = sub.add_parser("run", help="run the whole ideamine DAG in-process on one idea (dag.test)")
    run.add_argument("--idea", help="the product idea (default: a built-in example)")
    run.add_argument("--conf", help='extra run conf as JSON, e.g. \'{"target_users": "chefs"}\'')
    run.add_argument("--dags-folder", help="default: $AIRFLOW__CORE__DAGS_FOLDER or ./dags")
    run.add_argument("--log", help="where Airflow's own output goes (default: $IDEAMINE_HOME/demo.log)")
    run.set_defaults(func=_cmd_run)

    config = sub.add_parser("config", help="phase configuration").add_subparsers(
        dest="config_command", required=True
    )
    lint = config.add_parser("lint", help="report every error in every config file")
    lint.add_argument("dir", nargs="?", help="config directory (default: config/)")
    lint.set_defaults(func=_cmd_config_lint)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "services":
        load_env_file()
    try:
        return int(args.func(args))
    except IdeaMineError as exc:
        print(f"ideamine: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
