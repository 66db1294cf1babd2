"""Security tools run on a generated project: bandit (SAST) and a CycloneDX SBOM.

The secrets scanner and the advisory matcher are our own code and live in ``tools.secrets`` and
``tools.advisories``; this module runs third-party tools through the sandbox, with no network.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ideamine.errors import ToolError
from ideamine.tools.sandbox import python_tool, run_tool, scratch_dir

SCAN_TIMEOUT_S = 120.0
CYCLONEDX_SPEC = "1.6"
REQUIREMENT_FILES = ("requirements.txt", "requirements-dev.txt")
MAX_LISTED = 100
_LEVELS = ("high", "medium", "low", "undefined")


def _level(value: object) -> str:
    text = str(value or "").lower()
    return text if text in _LEVELS else "undefined"


def bandit_scan(repo: Path) -> dict[str, Any]:
    """bandit over ``app/``: findings, counts by severity, ``critical`` (high severity and confidence)."""
    target = repo / "app"
    if not target.is_dir():
        raise ToolError(f"no app/ folder in '{repo}' to scan")
    run = run_tool(python_tool("bandit", "-r", "app", "-f", "json", "-q"), cwd=repo, timeout_s=SCAN_TIMEOUT_S)
    if run.timed_out:
        raise ToolError("bandit timed out")
    try:
        data = json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        raise ToolError(f"bandit printed no JSON ({run.returncode}): {run.stderr.strip()[:300]}") from exc
    findings = []
    for item in data.get("results", []):
        findings.append(
            {
                "test_id": str(item.get("test_id") or "unknown"),
                "test_name": str(item.get("test_name") or ""),
                "severity": _level(item.get("issue_severity")),
                "confidence": _level(item.get("issue_confidence")),
                "file": Path(str(item.get("filename") or "?")).as_posix(),
                "line": int(item.get("line_number") or 0),
                "message": str(item.get("issue_text") or ""),
                "cwe": (item.get("issue_cwe") or {}).get("id"),
            }
        )
    findings.sort(key=lambda f: (f["file"], f["line"], f["test_id"]))
    counts = {"critical": 0, "high": 0, "medium": 0, "low": 0}
    for finding in findings:
        if finding["severity"] in counts:
            counts[finding["severity"]] += 1
    critical = sum(1 for f in findings if f["severity"] == "high" and f["confidence"] == "high")
    counts["critical"] = critical
    return {
        "tool": f"bandit {version('bandit')}",
        "target": "app",
        "findings": findings[:MAX_LISTED],
        "counts": counts,
        "critical": critical,
        "errors": sorted(str(e.get("filename", "")) for e in data.get("errors", [])),
        "loc": int(data.get("metrics", {}).get("_totals", {}).get("loc", 0)),
    }


def _requirement_lines(repo: Path) -> list[str]:
    lines: list[str] = []
    for name in REQUIREMENT_FILES:
        path = repo / name
        if path.is_file() and not path.is_symlink():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                # Includes, constraints and editables point at other files or URLs: not followed.
                if line.strip().startswith(("-r", "-c", "-e", "--")):
                    continue
                lines.append(line)
    return lines


def _component(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": str(raw.get("name") or "?"),
        "version": raw.get("version") or None,
        "purl": raw.get("purl") or None,
        "type": str(raw.get("type") or "library"),
    }


def completeness(components: list[dict[str, Any]]) -> float:
    """Share of components with a name, a version and a purl (1.0 when there are none to document)."""
    if not components:
        return 1.0
    complete = sum(1 for c in components if c.get("name") and c.get("version") and c.get("purl"))
    return round(complete / len(components), 4)


def sbom(repo: Path, *, validate: bool = True) -> dict[str, Any]:
    """A CycloneDX JSON SBOM of the project's requirements, made by ``cyclonedx-py requirements``.

    ``validate`` has the tool check its output against the CycloneDX schema (about 2 s); the
    dependency scan, which only needs the component list, skips it.
    """
    lines = _requirement_lines(repo)
    if not any((repo / name).is_file() for name in REQUIREMENT_FILES):
        raise ToolError(f"no requirements file in '{repo}'")
    with scratch_dir() as home:
        merged = home / "requirements.txt"
        merged.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = home / "sbom.json"
        argv = python_tool(
            "cyclonedx_py",
            "requirements",
            "--output-reproducible",
            "--sv",
            CYCLONEDX_SPEC,
            "--of",
            "JSON",
            "-o",
            str(out),
            "--validate" if validate else "--no-validate",
            str(merged),
        )
        run = run_tool(argv, cwd=repo, timeout_s=SCAN_TIMEOUT_S, home=home)
        if run.returncode != 0 or run.timed_out or not out.is_file():
            raise ToolError(f"cyclonedx-py failed ({run.returncode}): {run.stderr.strip()[:500]}")
        document = json.loads(out.read_text(encoding="utf-8"))
    components = sorted(
        (_component(c) for c in document.get("components", [])),
        key=lambda c: (c["name"].lower(), c["version"] or ""),
    )
    return {
        "format": "CycloneDX",
        "spec_version": str(document.get("specVersion", CYCLONEDX_SPEC)),
        "tool": f"cyclonedx-bom {version('cyclonedx-bom')}",
        "source": "+".join(name for name in REQUIREMENT_FILES if (repo / name).is_file()),
        "components": components,
        "completeness": completeness(components),
        "document": document,
    }
