"""Build: the agents that together write the runnable project (SourceCode) and its tests (TestSuite).

Each agent contributes files under ``{"SourceCode": {"files": {...}}}``; the phase's merge joins
them. Coverage and the repo manifest are measured by tools after the files are written.
"""

from __future__ import annotations

from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.offline.common import MIN_COVERAGE_PERCENT, AgentFn, doc
from ideamine.offline.domain import resources
from ideamine.offline.naming import slug
from ideamine.offline.project_app import MAIN_PY, STORE_PY, init_py, resources_py
from ideamine.offline.project_meta import (
    GITIGNORE,
    pyproject_toml,
    readme_md,
    requirements_txt,
    tool_versions,
)
from ideamine.offline.project_tests import suite_files
from ideamine.offline.project_web import web_files
from ideamine.offline.project_wsgi import WSGI_PY

_READS = ("IdeaSpec", "DataModel", "OpenAPI", "ArchitectureDoc", "UserStories", "ToolVersions")


def _title(ctx: AgentContext) -> str:
    return str(doc(ctx, "IdeaSpec").get("title") or ctx.facts.title)


def frontend_agent(ctx: AgentContext) -> dict[str, Any]:
    return {"SourceCode": {"files": web_files(_title(ctx), ctx.facts.summary, resources(ctx))}}


def backend_agent(ctx: AgentContext) -> dict[str, Any]:
    found = resources(ctx)
    return {
        "SourceCode": {
            "files": {
                "app/__init__.py": init_py(_title(ctx)),
                "app/__main__.py": MAIN_PY,
                "app/wsgi.py": WSGI_PY,
            },
            "language": "python",
            "framework": "wsgi (standard library)",
            "entrypoint": "app.wsgi:application",
            "run_command": ["python", "-m", "app", "--host", "127.0.0.1", "--port", "8000"],
            "resources": [{"entity": r.entity.name, "path": r.entity.collection} for r in found],
        }
    }


def database_agent(ctx: AgentContext) -> dict[str, Any]:
    return {
        "SourceCode": {"files": {"app/store.py": STORE_PY, "app/resources.py": resources_py(resources(ctx))}}
    }


def integration_agent(ctx: AgentContext) -> dict[str, Any]:
    versions = tool_versions(ctx.inputs.get("ToolVersions"))
    title = _title(ctx)
    return {
        "SourceCode": {
            "files": {
                "pyproject.toml": pyproject_toml(slug(title), versions),
                "requirements.txt": requirements_txt(versions),
                "README.md": readme_md(title, resources(ctx)),
                ".gitignore": GITIGNORE,
            }
        }
    }


def suite_agent(ctx: AgentContext) -> dict[str, Any]:
    files = suite_files(resources(ctx))
    return {
        "TestSuite": {
            "files": files,
            "framework": "pytest",
            "command": ["python", "-m", "pytest", "-q"],
            "coverage_command": ["python", "-m", "coverage", "run", "--source=app", "-m", "pytest", "-q"],
            "min_coverage_percent": float(MIN_COVERAGE_PERCENT),
            "test_count": sum(source.count("\ndef test_") for source in files.values()),
        }
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "FrontendAgent": (frontend_agent, _READS),
    "BackendAgent": (backend_agent, _READS),
    "DatabaseAgent": (database_agent, _READS),
    "IntegrationAgent": (integration_agent, _READS),
    "TestAgent": (suite_agent, _READS),
}
