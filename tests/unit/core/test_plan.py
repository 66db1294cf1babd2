from __future__ import annotations

from ideamine.config_files import default_config_dir, load_project
from ideamine.core.plan import phase_plan, plan_hash


def test_plan_splits_the_token_budget_and_keeps_agent_order():
    project = load_project(default_config_dir())
    plan = phase_plan(project, "prd")
    assert [t.target for t in plan.tasks] == project.phase("prd").agent_names
    assert all(t.tokens == 200_000 // 5 for t in plan.tasks)
    assert plan.parallelism == "sequential"


def test_plan_hash_ignores_agent_order_but_not_budgets():
    phase = load_project(default_config_dir()).phase("ideation")
    reordered = phase.model_copy(update={"agents": list(reversed(phase.agents))})
    cheaper = phase.model_copy(update={"budgets": phase.budgets.model_copy(update={"tokens": 1})})
    assert plan_hash(reordered) == plan_hash(phase)
    assert plan_hash(cheaper) != plan_hash(phase)
