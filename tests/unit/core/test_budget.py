"""Budget arithmetic: utilisation, throttling, violations, token splits and costs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ideamine.config_files import default_config_dir, load_project
from ideamine.core.budget import (
    BudgetLimits,
    Usage,
    budget_status,
    estimate_tokens,
    raise_if_exceeded,
    run_budget_exceeded,
    split_tokens,
    total_usage,
    usd_cost,
    violations,
)
from ideamine.errors import BudgetError

LIMITS = BudgetLimits(tokens=50_000, tool_minutes=5, wallclock_minutes=15)


def test_utilisation_is_the_largest_ratio_and_throttles_above_80_percent():
    status = budget_status(LIMITS, Usage(tokens=10_000, tool_seconds=4.5 * 60, wall_seconds=60))
    assert status.ratios == {"tokens": 0.2, "tool_minutes": 0.9, "wallclock_minutes": 0.066667}
    assert status.utilisation == 0.9
    assert status.throttle
    assert status.exceeded == ()
    assert violations(status) == []


def test_exactly_80_percent_does_not_throttle_and_exactly_the_limit_is_not_exceeded():
    assert not budget_status(LIMITS, Usage(tokens=40_000)).throttle
    at_limit = budget_status(LIMITS, Usage(tokens=50_000))
    assert at_limit.exceeded == ()
    assert at_limit.utilisation == 1.0


def test_exceeded_dimensions_become_budget_exceeded_violations_with_numbers():
    status = budget_status(LIMITS, Usage(tokens=60_000, wall_seconds=16 * 60))
    assert status.exceeded == ("tokens", "wallclock_minutes")
    found = violations(status)
    assert [v.type for v in found] == ["budget_exceeded", "budget_exceeded"]
    assert found[0].message == "budget exceeded: tokens 60000 > 50000"
    assert found[1].message == "budget exceeded: wallclock_minutes 16 > 15"
    with pytest.raises(BudgetError, match="phase 'intake': budget exceeded: tokens 60000 > 50000"):
        raise_if_exceeded(status, phase="intake")
    raise_if_exceeded(budget_status(LIMITS, Usage()), phase="intake")  # within budget: no error


def test_a_zero_limit_forbids_the_dimension_but_stays_finite():
    limits = BudgetLimits(tokens=10, tool_minutes=0, wallclock_minutes=1)
    assert budget_status(limits, Usage()).ratios["tool_minutes"] == 0.0
    status = budget_status(limits, Usage(tool_seconds=30))
    assert status.exceeded == ("tool_minutes",)
    assert status.ratios["tool_minutes"] == 1.5
    status.model_dump_json()  # serialisable: no infinity


def test_limits_come_from_the_phase_config():
    phase = load_project(default_config_dir()).phase("build")
    limits = BudgetLimits.from_config(phase.budgets)
    assert (limits.tokens, limits.tool_minutes, limits.wallclock_minutes) == (500_000, 60, 180)


def test_usages_add_up():
    total = total_usage([Usage(tokens=1, tool_seconds=2, usd=0.5), Usage(tokens=3, wall_seconds=4, usd=0.25)])
    assert total == Usage(tokens=4, tool_seconds=2, wall_seconds=4, usd=0.75)


@given(total=st.integers(min_value=0, max_value=10**9), n=st.integers(min_value=1, max_value=500))
def test_split_tokens_sums_exactly_and_is_even(total: int, n: int):
    shares = split_tokens(total, n)
    assert len(shares) == n
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)  # the extra tokens go to the first agents


def test_split_tokens_rejects_nonsense():
    assert split_tokens(10, 3) == [4, 3, 3]
    with pytest.raises(ValueError, match="shares"):
        split_tokens(10, 0)
    with pytest.raises(ValueError, match="negative"):
        split_tokens(-1, 2)


def test_estimate_tokens_is_a_quarter_of_the_length_at_least_one():
    assert estimate_tokens("") == 1
    assert estimate_tokens("abc") == 1
    assert estimate_tokens("a" * 400) == 100


def test_usd_cost_uses_per_million_prices():
    assert usd_cost(1_000_000, 0, 3.0, 15.0) == 3.0
    assert usd_cost(2_000, 1_000, 3.0, 15.0) == pytest.approx(0.021)
    assert usd_cost(1, 0, 3.0, 15.0) == 0.000003
    assert usd_cost(123, 456, 0, 0) == 0.0
    with pytest.raises(ValueError, match="tokens_in"):
        usd_cost(-1, 0, 1, 1)
    with pytest.raises(ValueError, match="price_out"):
        usd_cost(1, 1, 1, float("nan"))


def test_run_budget_cap():
    assert not run_budget_exceeded(1_000.0, None)
    assert not run_budget_exceeded(5.0, 5.0)
    assert run_budget_exceeded(5.01, 5.0)
    assert not run_budget_exceeded(0.0, 0.0)
    assert run_budget_exceeded(0.000001, 0.0)
