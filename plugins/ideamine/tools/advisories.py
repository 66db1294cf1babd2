"""Match SBOM components against an offline snapshot of OSV advisories (PyPI ecosystem).

The snapshot is a folder of OSV JSON files (``include/advisories/`` by default, or
``IDEAMINE_ADVISORIES_DIR``). No snapshot -> ``ToolNotAvailable``: a scan without a database must
report "not run", never "no vulnerabilities".

A component is affected when its name (PEP 503-normalised) and exact version fall in an advisory's
``versions`` list or in one of its ``ECOSYSTEM`` ranges (``introduced`` <= v < ``fixed``, or
v <= ``last_affected``), compared as PEP 440 versions. Severity comes from the advisory's
``database_specific.severity`` (GitHub's LOW/MODERATE/HIGH/CRITICAL); an advisory without one counts
as ``high``, so a missing rating is never read as harmless.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from ideamine.errors import ToolError, ToolNotAvailable

TOOL = "ideamine-osv-offline 1.0"
_REPO_ROOT = Path(__file__).resolve().parents[3]
_SEVERITIES = {"critical": "critical", "high": "high", "moderate": "medium", "medium": "medium", "low": "low"}
DEFAULT_SEVERITY = "high"


def default_db_dir() -> Path:
    """``IDEAMINE_ADVISORIES_DIR`` or the snapshot shipped in ``include/advisories``."""
    override = os.environ.get("IDEAMINE_ADVISORIES_DIR")
    return Path(override).resolve() if override else _REPO_ROOT / "include" / "advisories"


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: ``PyYAML`` and ``pyyaml``, ``Jinja2`` and ``jinja2`` are the same project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def load_advisories(db_dir: Path) -> list[dict[str, Any]]:
    """Every OSV record in ``db_dir`` (``*.json``), sorted by id."""
    if not db_dir.is_dir():
        raise ToolNotAvailable(f"no advisory database at '{db_dir}'")
    records = []
    for path in sorted(db_dir.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ToolError(f"advisory file '{path.name}' is not valid JSON: {exc}") from exc
        if isinstance(record, dict) and record.get("id"):
            records.append(record)
    if not records:
        raise ToolNotAvailable(f"the advisory database at '{db_dir}' is empty")
    return sorted(records, key=lambda r: str(r["id"]))


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(version: Version, events: Iterable[Mapping[str, str]]) -> bool:
    # OSV ranges are a sequence of introduced/fixed/last_affected events; walk them in order.
    affected = False
    for event in events:
        if "introduced" in event:
            start = event["introduced"]
            bound = _version(start) if start != "0" else None
            if start == "0" or (bound is not None and version >= bound):
                affected = True
        elif "fixed" in event and affected:
            bound = _version(event["fixed"])
            if bound is not None and version >= bound:
                affected = False
        elif "last_affected" in event and affected:
            bound = _version(event["last_affected"])
            if bound is not None and version > bound:
                affected = False
    return affected


def _affects(entry: Mapping[str, Any], version_text: str) -> tuple[bool, list[str]]:
    fixed = [
        event["fixed"]
        for rng in entry.get("ranges", [])
        for event in rng.get("events", [])
        if "fixed" in event
    ]
    if version_text in entry.get("versions", []):
        return True, fixed
    version = _version(version_text)
    if version is None:
        return False, fixed
    for rng in entry.get("ranges", []):
        if rng.get("type") == "ECOSYSTEM" and _in_range(version, rng.get("events", [])):
            return True, fixed
    return False, fixed


def severity_of(record: Mapping[str, Any]) -> str:
    rated = str((record.get("database_specific") or {}).get("severity") or "").lower()
    return _SEVERITIES.get(rated, DEFAULT_SEVERITY)


def advisory_scan(components: Iterable[Mapping[str, Any]], db_dir: Path | None = None) -> dict[str, Any]:
    """A VulnerabilityScan body for ``components`` ({name, version, ...}; unpinned ones are listed)."""
    directory = db_dir if db_dir is not None else default_db_dir()
    records = load_advisories(directory)
    readme = directory / "README.md"
    snapshot = ""
    if readme.is_file():
        found = re.search(r"[Ss]napshot date:\s*(\S+)", readme.read_text(encoding="utf-8"))
        snapshot = found.group(1) if found else ""
    findings: list[dict[str, Any]] = []
    unpinned: list[str] = []
    scanned = 0
    for component in components:
        name = normalize_name(str(component.get("name") or ""))
        version_text = component.get("version")
        if not name:
            continue
        if not version_text:
            unpinned.append(name)
            continue
        scanned += 1
        for record in records:
            for entry in record.get("affected", []):
                package = entry.get("package", {})
                if package.get("ecosystem") != "PyPI" or normalize_name(package.get("name", "")) != name:
                    continue
                hit, fixed = _affects(entry, str(version_text))
                if hit:
                    findings.append(
                        {
                            "id": str(record["id"]),
                            "aliases": sorted(str(a) for a in record.get("aliases", [])),
                            "package": name,
                            "version": str(version_text),
                            "severity": severity_of(record),
                            "summary": str(record.get("summary", "")),
                            "fixed": sorted(set(fixed)),
                        }
                    )
                    break
    findings.sort(key=lambda f: (f["package"], f["version"], f["id"]))
    counts = {"critical": 0, "high": 0, "medium": 0, "low": 0}
    for finding in findings:
        counts[finding["severity"]] += 1
    return {
        "tool": TOOL,
        "database": {"format": "OSV", "advisories": len(records), "snapshot": snapshot},
        "components_scanned": scanned,
        "unpinned": sorted(set(unpinned)),
        "findings": findings,
        "counts": counts,
    }
