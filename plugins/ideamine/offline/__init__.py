"""The offline engine: deterministic, network-free agents that derive every document artifact and
the generated project from the idea. ``run_agent`` answers for the agents in ``DOCUMENT_AGENTS``.
"""

from __future__ import annotations

from ideamine.offline.engine import DOCUMENT_AGENTS, run_agent

__all__ = ["DOCUMENT_AGENTS", "run_agent"]
