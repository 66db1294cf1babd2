"""The phase gate: a sensor in reschedule mode, one gate evaluation per poke.

A failed evaluation runs the auto-fix and returns False, freeing the worker slot until the next poke;
attempts are counted from the ledger. Running out of attempts fails the task at once (no retries),
with the reasons in its log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException

from ideamine.errors import GateError
from ideamine.pipeline.gate import gate_poke
from ideamine.pipeline.runtime import open_runtime
from ideamine.pipeline.spec import load_spec


class PhaseGateSensor(BaseSensorOperator):
    """Score the phase's rubric; pass -> evidence pack reference as XCom; fail -> auto-fix and poke again."""

    ui_color = "#f5e6c8"

    def __init__(self, *, spec: dict[str, Any], **kwargs: Any) -> None:
        kwargs.setdefault("mode", "reschedule")
        super().__init__(**kwargs)
        self.spec = spec

    def poke(self, context: Any) -> PokeReturnValue:
        phase = load_spec(self.spec)
        dag_run = context["dag_run"]
        try:
            with open_runtime() as rt:
                ref = gate_poke(rt, phase, dict(dag_run.conf or {}), str(dag_run.run_id), datetime.now(UTC))
        except GateError as exc:
            raise AirflowFailException(str(exc)) from exc
        if ref is None:
            self.log.info("phase %s: gate failed; auto-fix ran, evaluating again at the next poke", phase.id)
            return PokeReturnValue(is_done=False)
        self.log.info(
            "phase %s: gate passed with score %s (attempt %s)", phase.id, ref["score"], ref["attempt"]
        )
        return PokeReturnValue(is_done=True, xcom_value=ref)
