"""The run's inputs as a step sees them: the checked conf, the idea's facts, upstream artifacts."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ideamine.core.idea import IdeaFacts, analyse_idea
from ideamine.core.trigger import TriggerConf, parse_trigger_conf
from ideamine.pipeline.runtime import Runtime


@lru_cache(maxsize=8)
def _facts(idea: str, constraints: str | None, target_users: str | None) -> IdeaFacts:
    return analyse_idea(idea, constraints=constraints, target_users=target_users)


def run_conf(conf: dict[str, Any] | None) -> TriggerConf:
    return parse_trigger_conf(conf)


def facts_of(conf: TriggerConf) -> IdeaFacts:
    return _facts(conf.idea, conf.constraints, conf.target_users)


def load_bodies(rt: Runtime, ids: dict[str, str]) -> dict[str, Any]:
    """Artifact type -> parsed body for the given {type: id}."""
    return {type_: json.loads(rt.artifacts.get(ident)) for type_, ident in sorted(ids.items())}


def upstream_artifacts(
    rt: Runtime, run_id: str, upstream: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, Any]]:
    """({type: id}, {type: body}) over the phases this one depends on."""
    ids = rt.phases.artifact_ids(run_id, upstream)
    return ids, load_bodies(rt, ids)
