"""A scripted OpenAI-compatible chat-completions server on loopback, for tests of the LLM backend.

The real client (pydantic-ai's OpenAI model over the ``openai`` SDK) talks real HTTP to it. Each test
queues the replies it wants, in order: a JSON answer, invalid JSON, an HTTP error (429 with
``Retry-After``, 500, 401, ...) or an answer that comes later than the client waits. Every request is
recorded (path, headers, model, messages, the whole body) with the usage the server reported for it.

Structured output is answered the way pydantic-ai asks for it: when the request offers ``tools`` (the
``final_result`` output tool, ``tool_choice: required``), the answer is a tool call whose ``arguments``
is the JSON text; when it sets ``response_format`` (native JSON-schema output), the answer is the
message content; otherwise plain content.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Reply:
    """One scripted reply. Build them with the class methods."""

    status: int = 200
    answer: Any = None  # the structured answer (sent as JSON text)
    raw: str | None = None  # sent verbatim instead of ``answer`` (e.g. invalid JSON)
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0
    prompt_tokens: int = 120
    completion_tokens: int = 40
    error_type: str = "server_error"
    error_code: str | None = None
    message: str = ""

    @classmethod
    def json(cls, answer: Any, *, prompt_tokens: int = 120, completion_tokens: int = 40) -> Reply:
        return cls(answer=answer, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)

    @classmethod
    def invalid_json(cls, text: str = '{"IdeaSpec": {"title": ') -> Reply:
        return cls(raw=text)

    @classmethod
    def error(
        cls,
        status: int,
        message: str = "scripted error",
        *,
        retry_after: str | None = None,
        error_type: str = "server_error",
        code: str | None = None,
    ) -> Reply:
        headers = (("Retry-After", retry_after),) if retry_after is not None else ()
        return cls(status=status, headers=headers, error_type=error_type, error_code=code, message=message)

    @classmethod
    def slow(cls, delay_s: float, answer: Any = None) -> Reply:
        """An answer sent only after ``delay_s`` seconds (longer than the client's timeout, in tests)."""
        return cls(answer=answer if answer is not None else {}, delay_s=delay_s)


@dataclass
class RecordedRequest:
    """What the server received, and what it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    status: int = 0
    usage: dict[str, int] | None = None

    @property
    def model(self) -> str | None:
        return None if self.body is None else self.body.get("model")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [] if self.body is None else list(self.body.get("messages") or [])

    def text(self) -> str:
        """Every message's text, tool-call arguments included, one per line."""
        parts: list[str] = []
        for message in self.messages:
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts.extend(str(c.get("text", "")) for c in content if isinstance(c, dict))
            for call in message.get("tool_calls") or []:
                parts.append(str((call.get("function") or {}).get("arguments", "")))
        return "\n".join(parts)


@dataclass
class _State:
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0
    responder: Callable[[RecordedRequest], Reply] | None = None  # answers when no reply is queued


def _completion(body: dict[str, Any], reply: Reply, number: int) -> dict[str, Any]:
    text = reply.raw if reply.raw is not None else json.dumps(reply.answer)
    tools = [t.get("function", {}).get("name") for t in body.get("tools") or [] if isinstance(t, dict)]
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if tools:
        name = "final_result" if "final_result" in tools else tools[0]
        message["tool_calls"] = [
            {"id": f"call_{number}", "type": "function", "function": {"name": name, "arguments": text}}
        ]
        finish = "tool_calls"
    else:
        message["content"] = text  # response_format (native output) or plain text: the content is the answer
        finish = "stop"
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body.get("model", "unknown"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(
            self, status: int, payload: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()
        ) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

        def do_GET(self) -> None:
            self._record(None)
            self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                body = None
            recorded = self._record(body if isinstance(body, dict) else None)
            if self.path.rstrip("/") != CHAT_PATH or recorded.body is None:
                recorded.status = 404 if recorded.body is not None else 400
                self._send(
                    recorded.status, {"error": {"message": "bad request", "type": "invalid_request_error"}}
                )
                return
            with state.lock:
                reply = state.replies.popleft() if state.replies else None
                state.counter += 1
                number = state.counter
                responder = state.responder
            if reply is None and responder is not None:
                reply = responder(recorded)
            if reply is None:
                recorded.status = 500
                self._send(500, {"error": {"message": "no scripted reply left", "type": "server_error"}})
                return
            if reply.delay_s:
                time.sleep(reply.delay_s)
            recorded.status = reply.status
            if reply.status != 200:
                error = {
                    "message": reply.message,
                    "type": reply.error_type,
                    "code": reply.error_code,
                    "param": None,
                }
                self._send(reply.status, {"error": error}, reply.headers)
                return
            completion = _completion(recorded.body, reply, number)
            recorded.usage = dict(completion["usage"])
            self._send(200, completion, reply.headers)

        def _record(self, body: dict[str, Any] | None) -> RecordedRequest:
            recorded = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            with state.lock:
                state.requests.append(recorded)
            return recorded

    return Handler


class OpenAIServer:
    """The server; use as a context manager. ``base_url`` ends in ``/v1`` like OpenAI's."""

    def __init__(self, port: int = 0) -> None:
        self._state = _State()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self._state))
        self._httpd.daemon_threads = True
        # A short poll interval: stop() waits at most that long for the serving loop to notice.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="openai-test-server",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def script(self, *replies: Reply) -> None:
        """Queue replies, answered in order, one per chat-completions request."""
        with self._state.lock:
            self._state.replies.extend(replies)

    def respond_with(self, responder: Callable[[RecordedRequest], Reply]) -> None:
        """Answer every request that finds no queued reply by calling ``responder``."""
        with self._state.lock:
            self._state.responder = responder

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._state.lock:
            return len(self._state.replies)
