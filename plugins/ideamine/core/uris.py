"""Connection URIs made safe to print."""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit


def mask_uri(value: str) -> str:
    """The URI with its password replaced by ``***`` (JSON connections are summarized the same way)."""
    if value.lstrip().startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            return "(unparsable JSON connection)"
        login = data.get("login") or ""
        netloc = f"{login}:***@" if data.get("password") else (f"{login}@" if login else "")
        port = f":{data['port']}" if data.get("port") else ""
        return f"{data.get('conn_type', '?')}://{netloc}{data.get('host', '')}{port}/{data.get('schema', '')}"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "(unparsable URI)"
    if parts.password is None:
        return value
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}"))
