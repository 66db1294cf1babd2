"""The DAG renders from config/ alone: groups and wiring follow the YAML, with no code change."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from ideamine.config_files import default_config_dir
from ideamine.dag.render import render_dags
from ideamine.errors import ConfigError


def upstream_groups(dag, group_id: str) -> set[str]:
    first = dag.task_group.children[group_id].roots[0]
    return {t.task_group.group_id or t.task_id for t in first.upstream_list}


def test_one_group_per_phase_wired_by_dependencies():
    dag = render_dags()["ideamine"]
    groups = set(dag.task_group.children) - {"validate_conf", "dossier"}
    assert len(groups) == 13
    assert upstream_groups(dag, "intake") == {"validate_conf"}
    assert upstream_groups(dag, "security") == {"build"}
    assert upstream_groups(dag, "story-loop") == {"build"}
    assert upstream_groups(dag, "qa") == {"security", "story-loop"}
    assert dag.params.get_param("idea").schema["minLength"] == 10


def test_editing_a_phase_yaml_changes_the_dag(tmp_path: Path):
    config = tmp_path / "config"
    shutil.copytree(default_config_dir(), config)
    ideation = config / "phases" / "ideation.yaml"
    text = ideation.read_text()
    assert "PersonaAgent" in text
    ideation.write_text(text.replace("PersonaAgent", "MarketSizingAgent"))
    dag = render_dags(config)["ideamine"]
    spec = dag.task_dict["ideation.plan"].op_args[0]
    assert [a["name"] for a in spec["phase"]["agents"]][-1] == "MarketSizingAgent"


def test_a_broken_yaml_fails_rendering_naming_file_line_and_field(tmp_path: Path):
    config = tmp_path / "config"
    shutil.copytree(default_config_dir(), config)
    prd = config / "phases" / "prd.yaml"
    prd.write_text(prd.read_text().replace("  max_attempts: 5", '  max_attempts: "5"', 1))
    with pytest.raises(ConfigError, match=r"prd\.yaml:18: gate\.max_attempts"):
        render_dags(config)


def test_inside_a_phase_plan_agents_fan_in_qav_guards_gate():
    dag = render_dags()["ideamine"]
    ids = dag.task_dict
    # sequential: one task per agent, chained in YAML order, so each sees its predecessors' output
    chain = [
        "prd.plan",
        "prd.StoryCutterAgent",
        "prd.PRDWriterAgent",
        "prd.UXFlowAgent",
        "prd.NFRsAgent",
        "prd.TraceMatrixAgent",
        "prd.fan_in",
        "prd.qav",
        "prd.guards",
        "prd.gate",
    ]
    for up, down in itertools.pairwise(chain):
        assert down in ids[up].downstream_task_ids, (up, down)
    # parallel: one mapped task named per instance; parallelism N caps it per run
    build = ids["build.agents"]
    assert build.map_index_template == "{{ ideamine_agent }}"
    assert build.max_active_tis_per_dagrun == 2
    assert ids["ideation.agents"].max_active_tis_per_dagrun is None
    gate = ids["prd.gate"]
    assert gate.mode == "reschedule"
    assert ids["dossier"].upstream_task_ids == {"beta.gate"}
    assert ids["qa.plan"].upstream_task_ids == {"security.gate", "story-loop.gate"}


def test_retries_come_from_the_phase_yaml():
    dag = render_dags()["ideamine"]
    agent = dag.task_dict["prd.StoryCutterAgent"]
    assert agent.retries == 4  # max_attempts 5
    assert agent.retry_exponential_backoff
