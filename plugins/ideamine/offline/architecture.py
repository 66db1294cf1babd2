"""Architecture: system design, data model, API (a real OpenAPI 3.0 document), infrastructure and
security controls. All of them describe the project the build phase generates.
"""

from __future__ import annotations

from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.offline.common import MIN_THROUGHPUT_RPS, P95_LATENCY_MS, AgentFn, doc, hinted
from ideamine.offline.domain import OPERATIONS, resources
from ideamine.offline.openapi import openapi_document

_COMPONENTS = (
    (
        "HTTP server",
        "Accepts connections and hands requests to the WSGI application.",
        "wsgiref, threaded",
        "stateless",
    ),
    ("Router", "Maps /health, /api/<resource> and static paths to handlers.", "app/wsgi.py", "stateless"),
    ("Validation", "Checks every write against the resource schema.", "app/resources.py", "stateless"),
    (
        "Store",
        "Keeps the records of every resource behind one interface.",
        "app/store.py (in memory)",
        "stateful",
    ),
    (
        "Web interface",
        "Accessible HTML page, responsive stylesheet and a small script.",
        "app/static",
        "stateless",
    ),
)


def architecture_agent(ctx: AgentContext) -> dict[str, Any]:
    names = [r.entity.name for r in resources(ctx)]
    diagram = "\n".join(
        ["flowchart LR", "  browser[Browser] --> server[HTTP server]", "  server --> router[Router]"]
        + [f"  router --> {n}[{n} resource]" for n in names]
        + [f"  {n} --> store[(Store)]" for n in names]
    )
    return {
        "ArchitectureDoc": {
            "system_architecture": {
                "style": "Modular monolith: one WSGI process serving a JSON API and a static web interface",
                "components": [
                    {"name": n, "responsibility": r, "technology": t, "state": s}
                    for n, r, t, s in _COMPONENTS
                ],
                "data_flow": [
                    "The browser loads the page and the script from /static.",
                    "The script calls the JSON API under /api.",
                    "The router validates input and reads or writes the store.",
                ],
                "diagram": diagram,
            },
            "scalability": {
                "strategy": "Stateless processes behind a proxy, once a shared database holds the data",
                "stateless_app_tier": True,
                "horizontal_scaling": True,
                "paginated_collections": True,
                "caching": "Static files are cacheable; API answers are not cached.",
                "bottlenecks": ["The in-memory store is per process until a database replaces it."],
                "target_rps": MIN_THROUGHPUT_RPS,
                "target_p95_ms": P95_LATENCY_MS,
            },
            "decisions": [
                {
                    "id": "ADR-001",
                    "title": "Standard library only",
                    "decision": "Use wsgiref and json.",
                    "rationale": "No runtime dependency to patch; runs offline.",
                },
                {
                    "id": "ADR-002",
                    "title": "One resource per entity",
                    "decision": "CRUD under /api/<plural>.",
                    "rationale": "A uniform API that the tests and the OpenAPI document describe fully.",
                },
                {
                    "id": "ADR-003",
                    "title": "Paginated lists",
                    "decision": "limit (max 100) and offset on every list.",
                    "rationale": "Keeps response size and latency bounded.",
                },
            ],
        }
    }


def data_model_agent(ctx: AgentContext) -> dict[str, Any]:
    found = resources(ctx)
    entities: list[dict[str, Any]] = []
    lines = ["erDiagram"]
    for r in found:
        relations = [
            {"field": f["name"], "target": f["references"], "kind": "many-to-one"}
            for f in r.fields
            if f.get("references")
        ]
        entities.append(
            {
                "name": r.entity.name,
                "table": r.entity.plural,
                "path": r.entity.path,
                "fields": list(r.fields),
                "relations": relations,
            }
        )
        lines.append(f"  {r.entity.name} {{")
        lines += [f"    {'int' if f['type'] == 'integer' else 'string'} {f['name']}" for f in r.fields]
        lines.append("  }")
        lines += [f"  {rel['target']} ||--o{{ {r.entity.name} : has" for rel in relations]
    indexes = [f"{r.entity.plural}.id (primary key)" for r in found]
    indexes += [
        f"{r.entity.plural}.{f['name']} (foreign key)" for r in found for f in r.fields if f.get("references")
    ]
    return {
        "DataModel": {
            "data_model": {"entities": entities, "diagram": "\n".join(lines)},
            "storage": "In-memory dictionaries per resource, guarded by a lock; replaceable by a database.",
            "indexes": indexes,
        }
    }


def api_design_agent(ctx: AgentContext) -> dict[str, Any]:
    found = resources(ctx)
    spec = doc(ctx, "IdeaSpec")
    title = str(spec.get("title") or ctx.facts.title)
    return {
        "OpenAPI": openapi_document(title, ctx.facts.summary, found),
        "ArchitectureDoc": {
            "api_design": {
                "style": "REST with JSON bodies",
                "base_path": "/api",
                "resources": [
                    {"entity": r.entity.name, "path": r.entity.collection, "operations": list(OPERATIONS)}
                    for r in found
                ],
                "conventions": [
                    "Lists return {items, total, limit, offset}; limit is 1..100, default 50.",
                    "Errors return {error: message} with a 4xx status.",
                    "Unknown fields in a body are rejected with 400.",
                ],
            }
        },
    }


def infrastructure_agent(ctx: AgentContext) -> dict[str, Any]:
    return {
        "InfrastructureSpec": {
            "deployment_architecture": {
                "topology": "Reverse proxy in front of one or more application processes",
                "runtime": "Python 3.11, started with python -m app --host 127.0.0.1 --port 8000",
                "environments": ["local", "beta", "production"],
                "health_checks": ["GET /health returns 200 {status: ok}"],
                "scaling": "Add processes behind the proxy once a shared database holds the data.",
                "diagram": "flowchart LR\n  user[User] --> proxy[Proxy]\n  proxy --> app[python -m app]",
            },
            "resources": [
                {"name": "app", "kind": "process", "spec": "1 vCPU, 256 MB memory"},
                {"name": "proxy", "kind": "reverse proxy", "spec": "TLS termination, request rate limits"},
            ],
            "observability": ["Access log on stderr", "GET /health for liveness", "Canary probe in beta"],
        }
    }


_CONTROLS = (
    (
        "Input validation",
        "input",
        "Every write is checked against the resource schema; unknown fields fail.",
        "app/resources.py: validate",
    ),
    (
        "Request size limit",
        "availability",
        "Bodies over 64 KiB are refused with 413.",
        "app/wsgi.py: MAX_BODY_BYTES",
    ),
    (
        "Security headers",
        "browser",
        "nosniff, frame deny, no-referrer and a same-origin CSP on every answer.",
        "app/wsgi.py: SECURITY_HEADERS",
    ),
    (
        "Loopback by default",
        "network",
        "The server binds 127.0.0.1 unless told otherwise.",
        "app/__main__.py",
    ),
    (
        "Static allow-list",
        "filesystem",
        "Only listed static files are served; no path is built from input.",
        "app/wsgi.py: STATIC_FILES",
    ),
    (
        "No runtime dependencies",
        "supply chain",
        "The service imports the standard library only.",
        "requirements.txt and the SBOM",
    ),
    (
        "Secret and dependency scans",
        "supply chain",
        "Every build is scanned for secrets and known CVEs.",
        "security phase",
    ),
)
_EXTRA_CONTROLS = (
    (
        "Rate limiting",
        "availability",
        "The reverse proxy limits requests per client.",
        "InfrastructureSpec: proxy",
    ),
    (
        "TLS termination",
        "network",
        "Traffic outside the host is encrypted by the proxy.",
        "InfrastructureSpec: proxy",
    ),
)


def security_architect_agent(ctx: AgentContext) -> dict[str, Any]:
    chosen = _CONTROLS + (_EXTRA_CONTROLS if hinted(ctx, "security_controls_below_min") else ())
    controls = [
        {"id": f"SC-{i:02d}", "name": n, "category": c, "description": d, "enforced_by": e}
        for i, (n, c, d, e) in enumerate(chosen, start=1)
    ]
    return {
        "ArchitectureDoc": {
            "security": {
                "controls": controls,
                "threats": [
                    {"threat": "Injection through request bodies", "control_ids": ["SC-01"]},
                    {"threat": "Denial of service with large bodies", "control_ids": ["SC-02"]},
                    {"threat": "Clickjacking and content sniffing", "control_ids": ["SC-03"]},
                    {"threat": "Path traversal to files outside static/", "control_ids": ["SC-05"]},
                    {"threat": "Compromised or vulnerable dependency", "control_ids": ["SC-06", "SC-07"]},
                ],
            }
        }
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "ArchitectureAgent": (architecture_agent, ("IdeaSpec", "TechStackProposal", "PRD")),
    "DataModelAgent": (data_model_agent, ("IdeaSpec", "UserStories")),
    "APIDesignAgent": (api_design_agent, ("IdeaSpec", "UserStories")),
    "InfrastructureAgent": (infrastructure_agent, ("TechStackProposal", "PRD")),
    "SecurityArchitectAgent": (security_architect_agent, ("PRD", "ConstraintsList")),
}
