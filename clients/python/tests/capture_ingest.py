"""A local stand-in for the ingest's ``POST /v1/events/batch`` that keeps what AurenClient sends.

For the framework mapping tests (tests/test_langchain.py, tests/test_openai_agents.py): they check
what the integrations produce, byte for byte as the real client posts it, without Redis or Node.
The real ingest is exercised by tests/test_client.py and by test/e2e/python-frameworks.e2e.ts.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class CaptureIngest:
    """Answers every batch 202 like the ingest does and records the events, in arrival order."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.requests = 0
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                size = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(size) or b"{}")
                events = body.get("events") if self.path == "/v1/events/batch" else None
                if not isinstance(events, list):
                    self.send_response(404)
                    self.end_headers()
                    return
                with lock:
                    outer.requests += 1
                    outer.events.extend(events)
                results = [{"event_id": e.get("event_id") or str(uuid.uuid4()), "stream_id": "0-0", "duplicate": False} for e in events]
                data = json.dumps({"accepted": len(events), "results": results}).encode()
                self.send_response(202)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="capture-ingest", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def of(self, agent: str | None = None, event_type: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.events
            if (agent is None or e["source_agent"]["id"] == agent) and (event_type is None or e["event_type"] == event_type)
        ]
