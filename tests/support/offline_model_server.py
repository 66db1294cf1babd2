"""An OpenAI-compatible server on loopback whose answers come from the offline engine.

It lets the model path run end to end on a machine with no model: each request is answered with the
sections the offline engine writes for the same idea and agent (the idea, constraints and target users
are read back from the prompt, the agent from the system message, a story from the item block). It
reports token usage as a quarter of the characters it received and sent.

    python -m tests.support.offline_model_server [--port 8765]
    export AIRFLOW_CONN_IDEAMINE_LLM='{"conn_type": "pydanticai", "host": "http://127.0.0.1:8765/v1",
                                       "password": "local", "extra": {"model": "openai:offline-model"}}'
    make demo
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from functools import lru_cache

from ideamine.offline.engine import run_agent

from tests.support.openai_server import OpenAIServer, RecordedRequest, Reply
from tests.unit.offline.pipeline import Run, run_pipeline

AGENT = re.compile(r"agent (\w+Agent)\)")
BLOCK = r"<<<{tag}\n(.*?)\n{tag}>>>"


def _block(text: str, tag: str) -> str | None:
    match = re.search(BLOCK.format(tag=tag), text, re.DOTALL)
    return match.group(1) if match else None


@lru_cache(maxsize=16)
def _pipeline(idea: str, constraints: str | None, target_users: str | None) -> Run:
    return run_pipeline(idea, constraints=constraints, target_users=target_users)


def answer(request: RecordedRequest) -> Reply:
    system = next(str(m.get("content")) for m in request.messages if m.get("role") == "system")
    user = "\n".join(str(m.get("content")) for m in request.messages if m.get("role") == "user")
    agent = AGENT.search(system)
    idea = _block(user, "IDEA")
    if agent is None or idea is None:
        return Reply.error(400, "not an IdeaMine agent prompt", error_type="invalid_request_error")
    run = _pipeline(idea, _block(user, "CONSTRAINTS"), _block(user, "USERS"))
    name = agent.group(1)
    item = _block(user, "ITEM")
    if item is not None:
        sections = run_agent(run.context("story-loop", name, item=json.loads(item))).sections
    else:
        found = [phase[name] for phase in run.sections.values() if name in phase]
        if not found:
            return Reply.error(400, f"no offline answer for {name}", error_type="invalid_request_error")
        sections = found[0]
    text = json.dumps(sections)
    return Reply.json(
        sections, prompt_tokens=max(len(request.text()) // 4, 1), completion_tokens=len(text) // 4
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server = OpenAIServer(port=args.port)
    server.respond_with(answer)
    server.start()
    print(f"serving {server.base_url} (offline engine answers); Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(5)
            done = server.requests
            tokens = sum((r.usage or {}).get("total_tokens", 0) for r in done)
            print(f"{len(done)} request(s), {tokens} tokens reported so far", flush=True)
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
