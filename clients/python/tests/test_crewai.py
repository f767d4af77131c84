"""A real CrewAI crew (offline, deterministic LLM) with AurenCrewAIListener, against a real ingest."""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from collections import Counter

import pytest
from crew_scenario import (
    COMPLETION_TOKENS,
    CUSTOM_COMPLETION_TOKENS,
    CUSTOM_MODEL,
    CUSTOM_PROMPT_TOKENS,
    MODEL,
    PROMPT_TOKENS,
    CustomLLM,
    FakeLLM,
    broken_lookup,
    build_crew,
    scripted_answer,
)

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
    assert listener.stats() == {
        "errors": 0,
        "unmapped": 0,
        "llm_calls": 3,
        "llm_calls_from_hooks": 0,  # FakeLLM emits CrewAI's LLM events: the hooks leave it to them
        "llm_paired_by_call_id": 3,
        "llm_paired_by_started_event_id": 0,
        "llm_paired_by_position": 0,
        "llm_pending": 0,
    }
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

    # Tokens: 3 calls of 150. Both agents share one LLM, which CrewAI's own total counts per agent.
    assert crew_done["payload"]["crewai_total_tokens"] == 3 * (PROMPT_TOKENS + COMPLETION_TOKENS) == 450
    assert crew_done["payload"]["crewai_reported_total_tokens"] == 2 * 450
    assert crew_done["payload"]["llm_call_tokens"] == 450
    assert "tokens_used" not in crew_done["performance_metrics"]

    # Task events name the agent run that executes the task.
    for agent in (researcher, writer):
        (start,) = of(agent, "agent_execution_started")
        (task_start,) = of(agent, "custom.task_started")
        (task_done,) = of(agent, "custom.task_completed")
        for task_event in (task_start, task_done):
            assert task_event["session_id"] == start["session_id"]
            assert task_event["payload"]["agent_run_event_id"] == start["event_id"]
        assert task_done["parent_event_id"] == task_start["event_id"]
        assert task_start["metadata"]["task_id"] == start["metadata"]["task_id"] == task_done["metadata"]["task_id"]


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


# ---------------------------------------------------------------------- custom LLMs


def of_run(events: list[dict], agent: str, event_type: str) -> list[dict]:
    return [e for e in events if e["source_agent"]["id"] == agent and e["event_type"] == event_type]


def test_a_custom_llm_that_emits_no_events_is_reported_through_crewai_hooks(ingest):
    crew_id = f"crew_{uuid.uuid4().hex[:8]}"
    client = AurenClient(ingest.url, flush_interval=0.1)
    listener = AurenCrewAIListener(client, crew_agent_id=crew_id)
    result = run_crew(listener, build_crew(llm=CustomLLM(model=CUSTOM_MODEL), name="custom desk"))
    assert "4 words" in str(result)
    assert result.token_usage.total_tokens == 2 * 3 * 240  # CrewAI's own figure: double
    client.close()
    events = run_events(ingest, crew_id)
    stats = listener.stats()
    assert stats["llm_calls"] == stats["llm_calls_from_hooks"] == 3 and stats["unmapped"] == stats["errors"] == 0, stats

    per_call = CUSTOM_PROMPT_TOKENS + CUSTOM_COMPLETION_TOKENS
    for agent, calls in (("research_analyst", 2), ("report_writer", 1)):
        (start,) = of_run(events, agent, "agent_execution_started")
        llm_calls = of_run(events, agent, "llm_call")
        assert len(llm_calls) == calls
        for call in llm_calls:
            assert call["source_agent"]["role"] == start["source_agent"]["role"]
            assert call["performance_metrics"]["model"] == CUSTOM_MODEL
            assert call["performance_metrics"]["input_tokens"] == CUSTOM_PROMPT_TOKENS
            assert call["performance_metrics"]["output_tokens"] == CUSTOM_COMPLETION_TOKENS
            assert call["performance_metrics"]["tokens_used"] == per_call
            assert call["performance_metrics"]["success"] is True and call["performance_metrics"]["latency_ms"] >= 0
            assert call["payload"]["paired_by"] == "hooks" and call["payload"]["llm_class"] == "CustomLLM"
            assert call["session_id"] == start["session_id"] and call["parent_event_id"] == start["event_id"]
            assert call["trace_id"] == start["trace_id"]
            assert call["metadata"]["task_id"] == start["metadata"]["task_id"]
    (crew_done,) = of_run(events, crew_id, "agent_execution_completed")
    assert crew_done["payload"]["crewai_total_tokens"] == crew_done["payload"]["llm_call_tokens"] == 3 * per_call == 720
    assert crew_done["payload"]["crewai_reported_total_tokens"] == 1440


def test_a_custom_llm_that_reports_no_usage_gets_calls_without_token_counts(ingest):
    crew_id = f"crew_{uuid.uuid4().hex[:8]}"
    client = AurenClient(ingest.url, flush_interval=0.1)
    listener = AurenCrewAIListener(client, crew_agent_id=crew_id)
    run_crew(listener, build_crew(llm=CustomLLM(model=CUSTOM_MODEL, report_usage=False)))
    client.close()
    events = run_events(ingest, crew_id)
    calls = [e for e in events if e["event_type"] == "llm_call"]
    assert len(calls) == 3
    for call in calls:
        metrics = call["performance_metrics"]
        assert metrics["model"] == CUSTOM_MODEL and metrics["success"] is True and metrics["latency_ms"] >= 0
        assert not {"input_tokens", "output_tokens", "tokens_used"} & set(metrics), metrics
    (crew_done,) = of_run(events, crew_id, "agent_execution_completed")
    assert crew_done["payload"]["crewai_total_tokens"] == crew_done["payload"]["llm_call_tokens"] == 0


class FailingCustomLLM(CustomLLM):
    def call(self, messages, tools=None, callbacks=None, available_functions=None, **kwargs):
        raise ConnectionError("custom endpoint unreachable")


def test_a_failing_custom_llm_is_reported_as_a_failed_llm_call(ingest):
    crew_id = f"crew_{uuid.uuid4().hex[:8]}"
    client = AurenClient(ingest.url, flush_interval=0.1)
    listener = AurenCrewAIListener(client, crew_agent_id=crew_id)
    crew = build_crew(llm=FailingCustomLLM(model="down-1"))
    for agent in crew.agents:
        agent.max_retry_limit = 0
    with pytest.raises(Exception, match="custom endpoint unreachable"):
        run_crew(listener, crew)
    client.close()

    from conftest import wait_until

    def probe():
        found = [e for e in ingest.events() if e["source_agent"]["id"] == crew_id]
        return found and any(e["event_type"] == "agent_execution_completed" for e in found) and found

    trace = wait_until(probe, 10, "the failed run")[0]["trace_id"]
    events = [e for e in ingest.events() if e.get("trace_id") == trace]
    (call,) = [e for e in events if e["event_type"] == "llm_call"]
    assert call["source_agent"]["id"] == "research_analyst" and call["payload"]["paired_by"] == "hooks"
    assert call["performance_metrics"]["success"] is False and call["performance_metrics"]["error_type"] == "llm_call_failed"
    assert "custom endpoint unreachable" in call["payload"]["error"] and call["payload"]["outcome"] == "not_observed"


class NoContextLLM(FakeLLM):
    """Emits CrewAI's LLM events without ``llm_call_context()``: start and end get different call
    ids. ``end_in_thread``: the end comes from another thread, outside CrewAI's event scope too."""

    end_in_thread: bool = False

    def call(self, messages, tools=None, callbacks=None, available_functions=None, from_task=None, from_agent=None, response_model=None):
        from crewai.events.types.llm_events import LLMCallType

        self._emit_call_started_event(messages=messages, from_task=from_task, from_agent=from_agent)
        answer = scripted_answer(messages)

        def finish() -> None:
            usage = {"prompt_tokens": 11, "completion_tokens": 4}
            self._emit_call_completed_event(response=answer, call_type=LLMCallType.LLM_CALL, from_task=from_task, from_agent=from_agent, usage=usage)

        if self.end_in_thread:
            worker = threading.Thread(target=finish)
            worker.start()
            worker.join()
        else:
            finish()
        return answer


@pytest.mark.parametrize(("end_in_thread", "paired_by"), [(False, "started_event_id"), (True, "position")])
def test_llm_events_without_a_shared_call_id_are_still_paired(ingest, end_in_thread, paired_by):
    crew_id = f"crew_{uuid.uuid4().hex[:8]}"
    client = AurenClient(ingest.url, flush_interval=0.1)
    listener = AurenCrewAIListener(client, crew_agent_id=crew_id)
    run_crew(listener, build_crew(llm=NoContextLLM(model="no-context-1", end_in_thread=end_in_thread)))
    client.close()
    stats = listener.stats()
    assert stats[f"llm_paired_by_{paired_by}"] == 3 and stats["unmapped"] == 0 and stats["llm_calls_from_hooks"] == 0, stats
    events = run_events(ingest, crew_id)
    calls = [e for e in events if e["event_type"] == "llm_call"]
    assert Counter(c["source_agent"]["id"] for c in calls) == {"research_analyst": 2, "report_writer": 1}
    for call in calls:
        assert call["payload"]["paired_by"] == paired_by
        assert call["performance_metrics"]["tokens_used"] == 15 and call["performance_metrics"]["latency_ms"] >= 0
        (start,) = of_run(events, call["source_agent"]["id"], "agent_execution_started")
        assert call["session_id"] == start["session_id"]
    (crew_done,) = of_run(events, crew_id, "agent_execution_completed")
    assert crew_done["payload"]["llm_call_tokens"] == 45


class StartOnlyLLM(FakeLLM):
    """Emits a start and never an end (a custom LLM that forgot the completion)."""

    def call(self, messages, tools=None, callbacks=None, available_functions=None, from_task=None, from_agent=None, response_model=None):
        from crewai.llms.base_llm import llm_call_context

        with llm_call_context():
            self._emit_call_started_event(messages=messages, from_task=from_task, from_agent=from_agent)
            return scripted_answer(messages)


def test_calls_the_listener_cannot_map_are_counted_and_logged_once(ingest, caplog):
    crew_id = f"crew_{uuid.uuid4().hex[:8]}"
    client = AurenClient(ingest.url, flush_interval=0.1)
    listener = AurenCrewAIListener(client, crew_agent_id=crew_id)
    with caplog.at_level(logging.WARNING, logger="auren.crewai"):
        run_crew(listener, build_crew(llm=StartOnlyLLM(model="start-only-1")))
    client.close()
    stats = listener.stats()
    assert stats["unmapped"] == 3 and stats["llm_calls"] == 0 and stats["llm_pending"] == 0, stats
    warnings = [r.getMessage() for r in caplog.records if r.name == "auren.crewai"]
    assert len(warnings) == 1 and "could not be paired" in warnings[0] and "llm_call_context" in warnings[0], warnings
    events = run_events(ingest, crew_id)
    assert not [e for e in events if e["event_type"] == "llm_call"]


def test_the_custom_llm_example_runs_and_reports_its_calls(ingest):
    """examples/python/crewai_custom_llm.py --offline, as docs/integrations/crewai.md runs it."""
    import os
    import subprocess
    from pathlib import Path

    example = Path(__file__).resolve().parents[3] / "examples" / "python" / "crewai_custom_llm.py"
    run = subprocess.run(
        [sys.executable, str(example), "--offline", "--url", ingest.url], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "listener: 2 llm_call events (2 through CrewAI's hooks), unmapped 0" in run.stdout, run.stdout

    from conftest import wait_until

    def probe():
        events = ingest.events()
        done = [e for e in events if e["source_agent"]["id"] == "crew_hrv_desk" and e["event_type"] == "agent_execution_completed"]
        return done and (done[-1], [e for e in events if e.get("trace_id") == done[-1]["trace_id"]])

    crew_done, events = wait_until(probe, 10, "the example's crew")
    calls = [e for e in events if e["event_type"] == "llm_call"]
    assert sorted(c["source_agent"]["id"] for c in calls) == ["sleep_researcher", "training_coach"]
    assert all(c["performance_metrics"]["model"] == "my-custom-model" and c["performance_metrics"]["tokens_used"] > 0 for c in calls)
    total = sum(c["performance_metrics"]["tokens_used"] for c in calls)
    assert crew_done["payload"]["llm_call_tokens"] == crew_done["payload"]["crewai_total_tokens"] == total
    assert crew_done["payload"]["crewai_reported_total_tokens"] == 2 * total
