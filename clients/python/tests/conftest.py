"""Fixtures: a REAL ingest (given by the Jest harness, or started here from dist/) and its Redis stream.

The Jest test test/integration/python-sdk.test.ts starts an ingest on the harness's Redis and passes
AUREN_TEST_INGEST_URL, AUREN_TEST_REDIS_URL and AUREN_TEST_STREAM_KEY. Run by hand, pytest starts
`node dist/apps/ingest/src/main.js` itself (needs `npm run build` and REDIS_URL).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

# CrewAI must never reach the network from the tests.
for _name, _value in {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "CREWAI_TESTING": "true",
}.items():
    os.environ[_name] = _value

sys.path.insert(0, str(Path(__file__).parent))
from redis_stream import read_stream  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


def wait_until(probe: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> object:
    """Polls ``probe`` until it returns something truthy; no fixed sleeps in tests."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except Exception as error:  # noqa: BLE001
            last_error = error
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f": {last_error}" if last_error else ""))
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ingest:
    def __init__(self, url: str, redis_url: str, stream_key: str) -> None:
        self.url = url
        self.redis_url = redis_url
        self.stream_key = stream_key

    def events(self) -> list[dict]:
        return read_stream(self.redis_url, self.stream_key)

    def wait_for(self, event_ids: list[str], timeout: float = 10.0) -> list[dict]:
        """The stream's events with these ids, in stream order, once they are all there."""
        wanted = set(event_ids)

        def probe():
            found = [e for e in self.events() if e["event_id"] in wanted]
            return found if {e["event_id"] for e in found} == wanted else None

        return wait_until(probe, timeout, f"{len(wanted)} events in {self.stream_key}")


@pytest.fixture(scope="session")
def ingest() -> Iterator[Ingest]:
    url = os.environ.get("AUREN_TEST_INGEST_URL")
    redis_url = os.environ.get("AUREN_TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    key = os.environ.get("AUREN_TEST_STREAM_KEY")
    if url:
        assert redis_url and key, "AUREN_TEST_INGEST_URL needs AUREN_TEST_REDIS_URL and AUREN_TEST_STREAM_KEY"
        yield Ingest(url, redis_url, key)
        return
    if not redis_url:
        pytest.fail("set REDIS_URL (a Redis for tests), or run these tests through npm test")
    main = ROOT / "dist" / "apps" / "ingest" / "src" / "main.js"
    if not main.exists():
        pytest.fail(f"{main} is missing: run `npm run build` in {ROOT} first")
    port = free_port()
    key = f"pytest:{uuid.uuid4().hex}"
    env = {"PATH": os.environ.get("PATH", ""), "REDIS_URL": redis_url, "AUREN_STREAM_KEY": key, "INGEST_PORT": str(port), "GRPC_PORT": str(free_port()), "AUREN_LOG_LEVEL": "warn"}
    process = subprocess.Popen(["node", str(main)], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"the ingest exited with code {process.returncode} (is dist/ being rebuilt? run `npm run build`)")
            return urllib.request.urlopen(f"{url}/health/ready", timeout=1).status == 200

        wait_until(ready, 30, "the ingest")
        yield Ingest(url, redis_url, key)
    finally:
        process.terminate()
        process.wait(10)
