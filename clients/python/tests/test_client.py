"""AurenClient against a real ingest (Redis stream read back), a dead one, and servers that push back."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import free_port, wait_until

from auren import AurenClient, InvalidEventError

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def agent_name() -> str:
    return f"agent_{uuid.uuid4().hex[:8]}"


# --------------------------------------------------------------------------- real ingest


def test_every_track_method_reaches_the_stream_as_a_contract_event(ingest):
    me = {"id": agent_name(), "role": "Neuroscientist", "goal": "read HRV"}
    with AurenClient(ingest.url, api_key="test-key", flush_interval=0.1) as client:
        run = client.track_agent_start(me, task="analyse HRV")
        session_id, trace_id = run  # unpacks like a tuple
        ids = {
            "start": run.event_id,
            "llm": client.track_llm_call(me["id"], model="gpt-4o", input_tokens=812, output_tokens=164, latency_ms=930.5, token_cost=0.0123),
            "tool": client.track_tool_usage(me["id"], tool_name="hrv_lookup", tool_input={"days": 7}, latency_ms=12),
            "collab": client.track_collaboration(me["id"], collaborating_agents=["training_coach"], consensus_reached=True),
            "decision": client.track_decision(me["id"], decision="rest day", confidence=0.82, options=["rest", "train"]),
            "memory": client.track_memory_access(me["id"], tier="redis", operation="read", hit=True, latency_ms=1.5),
            "hypothesis": client.track_hypothesis(me["id"], hypothesis="HRV dip from sleep debt", confidence=0.6),
            "knowledge": client.track_knowledge_access(me["id"], source="papers", query="HRV", results_count=3),
            "custom": client.send({"event_type": "custom.sleep_score", "source_agent": {"id": me["id"]}, "payload": {"score": 71}}),
        }
        ids["complete"] = client.track_agent_complete(me["id"], result="rest advised")
        assert client.flush(10), client.stats()
        stats = client.stats()
    assert stats["sent"] == len(ids) and stats["dropped"] == stats["failed"] == stats["rejected"] == 0, stats

    events = {e["event_id"]: e for e in ingest.wait_for(list(ids.values()))}
    by = {name: events[event_id] for name, event_id in ids.items()}
    assert [by[n]["event_type"] for n in ids] == [
        "agent_execution_started", "llm_call", "tool_usage", "agent_collaboration", "agent_decision",
        "memory_tier_access", "hypothesis_formation", "knowledge_access", "custom.sleep_score", "agent_execution_completed",
    ]
    for event in events.values():
        uuid.UUID(event["event_id"])  # client-side uuid4
        assert event["source_agent"]["id"] == me["id"]
        assert event["stream_id"] and event["received_at"] and event["timestamp"]
        if event["event_id"] != ids["custom"]:  # send() is raw: it adds nothing of the run
            assert event["session_id"] == session_id and event["trace_id"] == trace_id, event["event_type"]
    assert "session_id" not in by["custom"]
    assert by["start"]["source_agent"] == me
    assert by["start"]["payload"] == {"task": "analyse HRV"}
    assert by["llm"]["performance_metrics"] == {
        "model": "gpt-4o", "input_tokens": 812, "output_tokens": 164, "tokens_used": 976,
        "latency_ms": 930.5, "token_cost": 0.0123, "success": True,
    }
    assert by["tool"]["payload"]["tool_name"] == "hrv_lookup" and by["tool"]["payload"]["tool_input"] == {"days": 7}
    assert by["collab"]["payload"] == {"primary_agent": me["id"], "collaborating_agents": ["training_coach"], "consensus_reached": True}
    assert by["decision"]["performance_metrics"]["confidence_score"] == 0.82
    assert by["memory"]["payload"] == {"tier": "redis", "operation": "read", "hit": True}
    assert by["hypothesis"]["payload"]["hypothesis"] == "HRV dip from sleep debt"
    assert by["knowledge"]["payload"] == {"source": "papers", "query": "HRV", "results_count": 3}
    assert by["custom"]["payload"] == {"score": 71}
    done = by["complete"]
    assert done["parent_event_id"] == run.event_id
    assert done["performance_metrics"]["success"] is True and done["performance_metrics"]["latency_ms"] >= 0


def test_batches_by_size_and_by_interval(ingest):
    me = agent_name()
    client = AurenClient(ingest.url, batch_size=50, flush_interval=3600)
    try:
        ids = [client.track_decision(me, decision=i) for i in range(120)]
        # Two full batches go without any flush; the last 20 wait for the (hour-long) interval.
        wait_until(lambda: client.stats()["sent"] == 100, 10, "two full batches")
        assert client.stats()["requests"] == 2 and client.stats()["buffered"] == 20
        assert client.flush(10)
        assert client.stats()["requests"] == 3
    finally:
        client.close()
    events = ingest.wait_for(ids)
    assert [e["event_id"] for e in events] == ids  # stream order is send order
    assert [e["payload"]["decision"] for e in events] == list(range(120))

    timed = AurenClient(ingest.url, batch_size=1000, flush_interval=0.2)
    try:
        event_id = timed.track_decision(me, decision="by interval")
        ingest.wait_for([event_id], timeout=10)  # no flush() call: the interval sent it
    finally:
        timed.close()


def test_same_event_id_twice_is_streamed_once(ingest):
    me = agent_name()
    event = {"event_id": str(uuid.uuid4()), "event_type": "agent_decision", "source_agent": {"id": me}}
    with AurenClient(ingest.url) as client:
        client.send(event)
        assert client.flush(10)
        client.send(event)
        assert client.flush(10)
        assert client.stats()["sent"] == 1 and client.stats()["duplicates"] == 1
    assert len([e for e in ingest.events() if e["event_id"] == event["event_id"]]) == 1


def test_concurrent_threads_lose_nothing(ingest):
    me = agent_name()
    client = AurenClient(ingest.url, batch_size=200, flush_interval=0.05)
    ids: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        mine = [client.track_tool_usage(f"{me}_{n}", tool_name="t", payload={"i": i}) for i in range(250)]
        with lock:
            ids.extend(mine)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert client.flush(20)
    client.close()
    stats = client.stats()
    assert stats["enqueued"] == stats["sent"] == 2000, stats
    events = ingest.wait_for(ids, timeout=20)
    assert len(events) == 2000
    for n in range(8):  # per-agent order kept
        seq = [e["payload"]["i"] for e in events if e["source_agent"]["id"] == f"{me}_{n}"]
        assert seq == list(range(250))


def test_values_json_cannot_hold_are_sent_as_text_and_the_payload_is_a_snapshot(ingest):
    class Thing:
        def __str__(self) -> str:
            return "a thing"

    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    payload = {"when": when, "tags": {"a"}, "thing": Thing(), "n": 1}
    with AurenClient(ingest.url) as client:
        event_id = client.track("custom.odd_values", agent_name(), payload=payload, timestamp=when)
        payload["n"] = 2  # changed after the call: not what was sent
        assert client.flush(10)
    (event,) = ingest.wait_for([event_id])
    assert event["payload"] == {"when": "2025-01-02T03:04:05.000Z", "tags": ["a"], "thing": "a thing", "n": 1}
    assert event["timestamp"] == "2025-01-02T03:04:05.000Z"


def test_the_buffer_is_sent_at_interpreter_exit(ingest):
    """No close(), no flush(): the atexit hook sends what is buffered."""
    event_id = str(uuid.uuid4())
    script = textwrap.dedent(
        f"""
        import sys; sys.path.insert(0, {str(PACKAGE_DIR)!r})
        from auren import AurenClient
        client = AurenClient({ingest.url!r}, flush_interval=3600)
        client.send({{"event_id": {event_id!r}, "event_type": "agent_decision", "source_agent": {{"id": "exit_agent"}}}})
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    ingest.wait_for([event_id])


def test_invalid_events_raise_at_the_call_and_are_not_queued(ingest):
    client = AurenClient(ingest.url)
    cases = [
        (lambda: client.send({"event_type": "agent_exploded", "source_agent": {"id": "a"}}), "event_type"),
        (lambda: client.send({"event_type": "llm_call", "source_agent": {}}), "source_agent.id"),
        (lambda: client.send({"event_type": "llm_call", "source_agent": {"id": "x" * 129}}), "source_agent.id"),
        (lambda: client.track_llm_call("a", model="m", input_tokens=-1), "performance_metrics.input_tokens"),
        (lambda: client.track_decision("a", decision="d", confidence=1.5), "performance_metrics.confidence_score"),
        (lambda: client.track("custom.deep", "a", payload=_nested(40)), "payload"),
        (lambda: client.send({"event_type": "llm_call", "source_agent": {"id": "a"}, "timestamp": "yesterday"}), "timestamp"),
        (lambda: client.track("custom.big", "a", payload={"blob": "x" * (1024 * 1024)}), "(event)"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidEventError) as info:
            call()
        assert info.value.field == field, str(info.value)
    assert "custom.<name>" in str(pytest.raises(ValueError, cases[0][0]).value)
    assert client.stats()["enqueued"] == 0
    client.close()


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"x": value}
    return value


# --------------------------------------------------------------------------- dead ingest


def test_closed_port_retries_then_counts_the_events_as_failed():
    port = free_port()  # nothing listens there
    client = AurenClient(f"http://127.0.0.1:{port}", max_retries=3, backoff_base=0.01, backoff_max=0.05)
    ids = [client.track_llm_call("a", model="m", input_tokens=1) for _ in range(5)]
    assert len(set(ids)) == 5
    assert client.flush(10)
    stats = client.stats()
    assert stats["failed"] == 5 and stats["sent"] == 0 and stats["retries"] == 3 and stats["requests"] == 4, stats
    assert "cannot reach" in stats["last_error"] and "Connection refused" in stats["last_error"]
    assert client.close(1)


def test_a_hanging_ingest_never_blocks_the_agent_and_the_buffer_stays_bounded():
    """An ingest that accepts the connection and never answers: the sender is stuck in its
    request, yet every track_* call returns, the buffer holds max_buffer events and the rest are
    dropped and counted."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)  # never accept(): connections wait in the backlog, requests never answered
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    client = AurenClient(url, batch_size=5, max_buffer=10, flush_interval=0.01, timeout=5)
    try:
        client.track_decision("a", decision=0)
        wait_until(lambda: client.stats()["requests"] == 1, 5, "the sender to be stuck in its first request")
        for i in range(49):
            client.track_decision("a", decision=i + 1)
        stats = client.stats()
        assert stats["enqueued"] == 10 and stats["buffered"] == 10 and stats["dropped"] == 40, stats
        assert client.close(timeout=0.2) is False  # could not flush: says so instead of hanging
        after = client.stats()
        assert after["failed"] == 9, after  # what was still queued at close (one is in the stuck request)
        client.track_decision("a", decision="late")
        assert client.stats()["dropped"] == 41
    finally:
        server.close()


# --------------------------------------------------------------------------- pushback (429/503/400)


class _Script(BaseHTTPRequestHandler):
    """Answers POSTs from a script of (status, headers, body) and records when each came."""

    script: list = []
    seen: list = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((time.monotonic(), body, dict(self.headers)))
        status, headers, reply = type(self).script.pop(0) if type(self).script else (202, {}, None)
        if reply is None:
            reply = {"accepted": len(body["events"]), "results": [{"event_id": e["event_id"], "stream_id": "1-0", "duplicate": False} for e in body["events"]]}
        data = json.dumps(reply).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def scripted():
    handler = type("Handler", (_Script,), {"script": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_429_waits_for_retry_after_then_delivers(scripted):
    handler, url = scripted
    handler.script = [(429, {"Retry-After": "1"}, {"statusCode": 429, "error": "Too Many Requests", "message": "slow down"})]
    with AurenClient(url, api_key="test-key", backoff_base=0.01) as client:
        client.track_decision("a", decision="x")
        assert client.flush(10)
        stats = client.stats()
    assert stats["sent"] == 1 and stats["retries"] == 1 and "HTTP 429: slow down" in stats["last_error"], stats
    (first, _, headers), (second, _, _) = handler.seen
    assert second - first >= 0.95  # honoured Retry-After (1 s), not the 10 ms backoff
    assert headers["Authorization"] == "Bearer test-key" and headers["Content-Type"] == "application/json"


def test_503_without_retry_after_backs_off_exponentially_and_gives_up(scripted):
    handler, url = scripted
    handler.script = [(503, {}, {"message": "stream backend down"})] * 10
    client = AurenClient(url, max_retries=3, backoff_base=0.1, backoff_max=1)
    client.track_decision("a", decision="x")
    assert client.flush(10)
    times = [t for t, _, _ in handler.seen]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) == 4 and client.stats()["failed"] == 1, client.stats()
    # jitter keeps each wait within [0.5, 1] x 0.1 * 2^n
    for n, gap in enumerate(gaps):
        assert 0.05 * 2**n * 0.9 <= gap, gaps
    client.close()


def test_a_400_naming_one_event_resends_the_others(scripted):
    handler, url = scripted
    handler.script = [(400, {}, {"statusCode": 400, "message": "events[1]: nope", "details": [{"index": 1, "field": "events[1].payload", "message": "nope"}]})]
    client = AurenClient(url)
    ids = [client.track_decision("a", decision=i) for i in range(3)]
    assert client.flush(10)
    stats = client.stats()
    assert stats["rejected"] == 1 and stats["sent"] == 2, stats
    resent = [e["event_id"] for e in handler.seen[1][1]["events"]]
    assert resent == [ids[0], ids[2]]
    client.close()


def test_401_is_not_retried(scripted):
    handler, url = scripted
    handler.script = [(401, {}, {"statusCode": 401, "message": "missing or bad credential"})]
    client = AurenClient(url, max_retries=5)
    client.track_decision("a", decision="x")
    assert client.flush(10)
    assert len(handler.seen) == 1 and client.stats()["rejected"] == 1
    assert "401" in client.stats()["last_error"]
    client.close()
