"""A real CrewAI crew (offline, deterministic LLM) with AurenCrewAIListener, against a real ingest."""

from __future__ import annotations

import sys
import threading
import uuid
from collections import Counter

import pytest
from crew_scenario import COMPLETION_TOKENS, MODEL, PROMPT_TOKENS, FakeLLM, broken_lookup, build_crew

from auren import AurenClient
from auren.crewai import AurenCrewAIListener, instrument, role_to_agent_id

# Every connection the test process opens while a crew runs; CrewAI must not leave the machine.
_connections: list = []
_recording = threading.Event()


def _audit(event: str, args: tuple) -> None:
    if _recording.is_set() and event in ("socket.connect", "socket.getaddrinfo"):
        _connections.append((event, args[1] if event == "socket.connect" else args[0]))


sys.addaudithook(_audit)


def run_crew(listener: AurenCrewAIListener, crew=None):
    _connections.clear()
    _recording.set()
    try:
        return (crew or build_crew()).kickoff()
    finally:
        # Also when the crew raised: its failure events may still be in CrewAI's handler pool.
        flushed = listener.flush(20)
        _recording.clear()
        listener.uninstall()
        assert flushed, listener.client.stats()


def run_events(ingest, crew_agent_id: str) -> list[dict]:
    """This run's events: those sharing the trace of the crew's start event."""
    def probe():
        events = ingest.events()
        starts = [e for e in events if e["source_agent"]["id"] == crew_agent_id and e["event_type"] == "agent_execution_started"]
        done = [e for e in events if e["source_agent"]["id"] == crew_agent_id and e["event_type"] == "agent_execution_completed"]
        return starts and done and [e for e in events if e.get("trace_id") == starts[0]["trace_id"]]

    from conftest import wait_until

    return wait_until(probe, 10, f"the run of {crew_agent_id}")


def test_a_crew_run_arrives_as_agent_llm_and_tool_events(ingest):
    crew_id = f"crew_{uuid.uuid4().hex[:8]}"
    client = AurenClient(ingest.url, api_key="test-key", flush_interval=0.1)
    listener = AurenCrewAIListener(client, crew_agent_id=crew_id)
    result = run_crew(listener)
    assert "4 words" in str(result)
    stats = client.stats()
    client.close()
    assert listener.errors == 0
    assert stats["dropped"] == stats["failed"] == stats["rejected"] == 0 and stats["sent"] >= 15, stats

    # Only the ingest on 127.0.0.1 was contacted: no telemetry, no tracing, no model lookups.
    hosts = {str(target[0] if isinstance(target, tuple) else target) for _, target in _connections}
    assert hosts <= {"127.0.0.1", "localhost"}, _connections

    events = run_events(ingest, crew_id)
    researcher, writer = "research_analyst", "report_writer"
    assert role_to_agent_id("Research Analyst") == researcher
    kinds = Counter((e["source_agent"]["id"], e["event_type"]) for e in events)
    assert kinds == Counter({
        (crew_id, "agent_execution_started"): 1,
        (crew_id, "agent_collaboration"): 1,
        (crew_id, "agent_execution_completed"): 1,
        (researcher, "custom.task_started"): 1,
        (researcher, "agent_execution_started"): 1,
        (researcher, "llm_call"): 2,  # asks for the tool, then answers
        (researcher, "tool_usage"): 1,
        (researcher, "agent_execution_completed"): 1,
        (researcher, "custom.task_completed"): 1,
        (writer, "custom.task_started"): 1,
        (writer, "agent_execution_started"): 1,
        (writer, "llm_call"): 1,
        (writer, "agent_execution_completed"): 1,
        (writer, "custom.task_completed"): 1,
    }), kinds

    def of(agent: str, event_type: str) -> list[dict]:
        return [e for e in events if e["source_agent"]["id"] == agent and e["event_type"] == event_type]

    for agent, role in ((researcher, "Research Analyst"), (writer, "Report Writer")):
        (start,) = of(agent, "agent_execution_started")
        (done,) = of(agent, "agent_execution_completed")
        assert start["source_agent"]["role"] == role and start["source_agent"]["crewai_id"]
        assert done["parent_event_id"] == start["event_id"] and done["session_id"] == start["session_id"]
        assert done["performance_metrics"]["success"] is True and done["performance_metrics"]["latency_ms"] >= 0
        for call in of(agent, "llm_call"):
            assert call["performance_metrics"]["model"] == MODEL
            assert call["performance_metrics"]["input_tokens"] == PROMPT_TOKENS
            assert call["performance_metrics"]["output_tokens"] == COMPLETION_TOKENS
            assert call["performance_metrics"]["tokens_used"] == PROMPT_TOKENS + COMPLETION_TOKENS
            assert call["performance_metrics"]["latency_ms"] >= 0 and call["performance_metrics"]["success"] is True
            assert call["session_id"] == start["session_id"] and call["parent_event_id"] == start["event_id"]
            assert call["metadata"]["source"] == "crewai" and call["metadata"]["crewai_event"] == "llm_call_completed"
    (tool,) = of(researcher, "tool_usage")
    assert tool["payload"]["tool_name"] == "word_count" and tool["payload"]["tool_output"] == "4"
    assert tool["performance_metrics"]["success"] is True and tool["performance_metrics"]["latency_ms"] >= 0
    (collab,) = of(crew_id, "agent_collaboration")
    assert collab["payload"]["primary_agent"] == crew_id
    assert collab["payload"]["collaborating_agents"] == [researcher, writer] and collab["payload"]["consensus_reached"] is True
    (crew_done,) = of(crew_id, "agent_execution_completed")
    assert crew_done["performance_metrics"]["success"] is True and crew_done["performance_metrics"]["latency_ms"] > 0
    assert len({e["trace_id"] for e in events}) == 1


def test_a_failing_tool_is_reported_as_an_unsuccessful_tool_usage(ingest):
    crew_id = f"crew_{uuid.uuid4().hex[:8]}"
    client = AurenClient(ingest.url, flush_interval=0.1)
    listener = AurenCrewAIListener(client, crew_agent_id=crew_id, capture_content=False)
    run_crew(listener, build_crew(tool_fn=broken_lookup))
    client.close()
    events = run_events(ingest, crew_id)
    tools = [e for e in events if e["event_type"] == "tool_usage"]
    assert tools and all(t["payload"]["tool_name"] == "broken_lookup" for t in tools)
    failed = [t for t in tools if t["performance_metrics"]["success"] is False]
    assert failed and "lookup service unavailable" in failed[0]["payload"]["error"]
    assert failed[0]["performance_metrics"]["error_type"] == "tool_error"
    # capture_content=False: no tool input/output, no LLM response text.
    assert all("tool_input" not in t["payload"] and "tool_output" not in t["payload"] for t in tools)
    assert all("response" not in e["payload"] for e in events if e["event_type"] == "llm_call")


class BrokenLLM(FakeLLM):
    """Fails like a provider whose API is down: LLMCallFailedEvent, then the exception."""

    def call(self, messages, tools=None, callbacks=None, available_functions=None, from_task=None, from_agent=None, response_model=None):
        from crewai.llms.base_llm import llm_call_context

        with llm_call_context():
            self._emit_call_started_event(messages=messages, from_task=from_task, from_agent=from_agent)
            self._emit_call_failed_event(error="model endpoint unavailable", from_task=from_task, from_agent=from_agent)
            raise RuntimeError("model endpoint unavailable")


def test_a_failing_llm_ends_the_agent_and_the_crew_unsuccessfully(ingest):
    crew_id = f"crew_{uuid.uuid4().hex[:8]}"
    client = AurenClient(ingest.url, flush_interval=0.1)
    listener = AurenCrewAIListener(client, crew_agent_id=crew_id)
    crew = build_crew()
    for agent in crew.agents:
        agent.llm = BrokenLLM(model="broken-1")
        agent.max_retry_limit = 0
    with pytest.raises(Exception, match="model endpoint unavailable"):
        run_crew(listener, crew)
    client.close()

    def probe():
        events = ingest.events()
        starts = [e for e in events if e["source_agent"]["id"] == crew_id and e["event_type"] == "agent_execution_started"]
        return starts and [e for e in events if e.get("trace_id") == starts[0]["trace_id"]]

    from conftest import wait_until

    events = wait_until(lambda: (found := probe()) and any(e["source_agent"]["id"] == crew_id and e["event_type"] == "agent_execution_completed" for e in found) and found, 10, "the failed run")
    calls = [e for e in events if e["event_type"] == "llm_call"]
    assert calls and all(c["performance_metrics"]["success"] is False and c["performance_metrics"]["model"] == "broken-1" for c in calls)
    assert "model endpoint unavailable" in calls[0]["payload"]["error"]
    agent_done = [e for e in events if e["event_type"] == "agent_execution_completed" and e["source_agent"]["id"] == "research_analyst"]
    assert agent_done and agent_done[0]["performance_metrics"]["success"] is False
    (crew_done,) = [e for e in events if e["event_type"] == "agent_execution_completed" and e["source_agent"]["id"] == crew_id]
    assert crew_done["performance_metrics"]["success"] is False and "model endpoint unavailable" in crew_done["payload"]["error"]
    assert not [e for e in events if e["event_type"] == "agent_collaboration"]


def test_instrument_is_one_line(ingest, monkeypatch):
    crew_id = f"crew_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("AUREN_INGEST_URL", ingest.url)
    listener = instrument(crew_agent_id=crew_id, flush_interval=0.1)
    assert listener.client.url == ingest.url
    run_crew(listener)
    listener.client.close()
    events = run_events(ingest, crew_id)
    assert sum(e["event_type"] == "llm_call" for e in events) == 3
    with pytest.raises(TypeError, match="batch_size"):
        instrument(listener.client, batch_size=10)


def test_after_uninstall_a_crew_sends_nothing(ingest):
    client = AurenClient(ingest.url, flush_interval=0.1)
    listener = AurenCrewAIListener(client)
    listener.uninstall()
    build_crew().kickoff()
    from crewai.events import crewai_event_bus

    crewai_event_bus.flush(10)
    assert client.stats()["enqueued"] == 0
    client.close()
