"""The trigger conf of an ``ideamine`` run, checked before any agent runs.

The idea is untrusted text: it is kept as a plain string, never used as a template, a path or a
command. Only the NUL character is refused, since Postgres text cannot hold it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ideamine.errors import TriggerError

IDEA_MIN, IDEA_MAX = 10, 10_000


class TriggerConf(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    idea: str = Field(min_length=IDEA_MIN, max_length=IDEA_MAX)
    constraints: str | None = Field(default=None, max_length=10_000)
    target_users: str | None = Field(default=None, max_length=2_000)
    budget_usd: float | int | None = Field(default=None, ge=0)


def parse_trigger_conf(conf: dict[str, Any] | None) -> TriggerConf:
    """Validate a run's conf; raise TriggerError naming every problem."""
    if not conf:
        raise TriggerError('the run has no conf: trigger it with {"idea": "..."} (10 to 10,000 characters)')
    idea = conf.get("idea")
    if isinstance(idea, str):
        if "\x00" in idea:
            raise TriggerError("idea: contains a NUL character, which cannot be stored")
        if not idea.strip():
            raise TriggerError("idea: is empty or only whitespace")
    try:
        return TriggerConf.model_validate(conf)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "conf"
            message = "unknown conf key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{field}: {message}")
        raise TriggerError("invalid run conf: " + "; ".join(problems)) from None
