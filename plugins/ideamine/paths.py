"""Where the project's files live: config, migrations, templates and the local data folder."""

from __future__ import annotations

import os
from pathlib import Path

# plugins/ideamine/paths.py -> repository root, when running from a checkout or an editable install.
_REPO_ROOT = Path(__file__).resolve().parents[2]


def _project_dir(env_var: str, *relative: str) -> Path:
    override = os.environ.get(env_var)
    if override:
        return Path(override).resolve()
    in_repo = _REPO_ROOT.joinpath(*relative)
    return in_repo if in_repo.exists() else Path.cwd().joinpath(*relative)


def migrations_dir() -> Path:
    return _project_dir("IDEAMINE_MIGRATIONS_DIR", "include", "migrations")


def templates_dir() -> Path:
    return _project_dir("IDEAMINE_TEMPLATES_DIR", "include", "templates")


def ideamine_home() -> Path:
    """The local data folder (embedded servers, keys, workspaces): ``IDEAMINE_HOME`` or ``./.ideamine``."""
    return Path(os.environ.get("IDEAMINE_HOME", ".ideamine")).resolve()
