"""A tiny OpenAI-compatible server on 127.0.0.1 for the instrumentation tests.

No LLM is reachable from the tests, so the apps' real `openai` client talks to this instead:
`POST /v1/chat/completions` answers one assistant message with fixed usage (12 prompt,
5 completion tokens), `POST /v1/embeddings` one vector with 3 prompt tokens. The model in the
answer is the requested one with a date suffix, as OpenAI answers.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_USAGE = {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
EMBEDDING_USAGE = {"prompt_tokens": 3, "total_tokens": 3}
MODEL_SUFFIX = "-2024-08-06"


class _Handler(BaseHTTPRequestHandler):
    server: "FakeOpenAI"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("content-length") or 0)
        try:
            request: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._answer(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
            return
        model = str(request.get("model") or "unknown")
        if self.path.rstrip("/").endswith("/chat/completions"):
            self.server.count("chat")
            self._answer(
                200,
                {
                    "id": f"chatcmpl-fake-{self.server.requests['chat']}",
                    "object": "chat.completion",
                    "created": 1732441800,
                    "model": model + MODEL_SUFFIX,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "Four words, no more."},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": CHAT_USAGE,
                },
            )
        elif self.path.rstrip("/").endswith("/embeddings"):
            self.server.count("embeddings")
            self._answer(
                200,
                {
                    "object": "list",
                    "model": model,
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.25, 0.5, 0.25]}],
                    "usage": EMBEDDING_USAGE,
                },
            )
        else:
            self._answer(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's signature)
        pass


class FakeOpenAI(ThreadingHTTPServer):
    """The server, serving on a daemon thread; `base_url` is what `openai.OpenAI` takes."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: dict[str, int] = {"chat": 0, "embeddings": 0}
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, name="fake-openai", daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def count(self, route: str) -> None:
        with self._lock:
            self.requests[route] += 1
