"""AurenTracingProcessor with the real OpenAI Agents SDK: two agents with a handoff and a function
tool, the SDK's own OpenAI model classes pointed at a fake OpenAI API on 127.0.0.1
(tests/openai_agents_scenario.py); the real AurenClient posts to a local capture of the ingest's
batch endpoint (tests/capture_ingest.py).

Runs in the frameworks venv (requirements-frameworks.txt); skipped where the SDK is not installed.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import Counter
from typing import Any, Iterator

import pytest

pytest.importorskip("agents")

from agents import (  # noqa: E402
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    RunConfig,
    Runner,
    input_guardrail,
    set_trace_processors,
)
from agents.tracing import TracingProcessor  # noqa: E402
from capture_ingest import CaptureIngest  # noqa: E402
from openai_agents_scenario import (  # noqa: E402
    ANSWER,
    CHAT_MODEL,
    CHAT_USAGE,
    RESPONSES_MODEL,
    RESPONSES_USAGE,
    FakeOpenAI,
    broken_lookup,
    build_agents,
    run,
)

from auren import AurenClient  # noqa: E402
from auren.openai_agents import AurenTracingProcessor, instrument  # noqa: E402

RESEARCHER = "research_analyst"
WRITER = "report_writer"
WORKFLOW = "word_handoff"

_connections: list = []
_recording = threading.Event()


def _audit(event: str, args: tuple) -> None:
    if _recording.is_set() and event in ("socket.connect", "socket.getaddrinfo"):
        _connections.append((event, args[1] if event == "socket.connect" else args[0]))


sys.addaudithook(_audit)


@pytest.fixture()
def capture() -> Iterator[CaptureIngest]:
    ingest = CaptureIngest()
    yield ingest
    ingest.close()


@pytest.fixture()
def client(capture: CaptureIngest) -> Iterator[AurenClient]:
    client = AurenClient(capture.url, api_key="test-key", flush_interval=0.05, flush_at_exit=False)
    yield client
    client.close(2)


@pytest.fixture()
def api() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def no_processors() -> Iterator[None]:
    """The SDK's processors are global: every test sets its own, none is left behind (and the
    default one, which exports to OpenAI, never runs)."""
    set_trace_processors([])
    yield
    set_trace_processors([])


def sent(client: AurenClient) -> None:
    assert client.flush(10), client.stats()
    stats = client.stats()
    assert stats["dropped"] == stats["failed"] == stats["rejected"] == 0, stats


def kinds(events: list[dict[str, Any]]) -> Counter:
    return Counter((e["source_agent"]["id"], e["event_type"]) for e in events)


def test_two_agents_with_a_tool_and_a_handoff_arrive_as_agent_llm_tool_and_collaboration_events(capture, client, api):
    processor = instrument(client, exclusive=True)
    _connections.clear()
    _recording.set()
    try:
        result = asyncio.run(run(api))
    finally:
        _recording.clear()
    assert result.final_output == ANSWER and result.last_agent.name == "Report Writer"
    sent(client)
    assert processor.errors == 0
    hosts = {str(target[0] if isinstance(target, tuple) else target) for _, target in _connections}
    assert hosts <= {"127.0.0.1", "localhost"}, _connections
    assert api.requests == ["/v1/chat/completions", "/v1/chat/completions", "/v1/responses"]

    events = capture.events
    assert kinds(events) == Counter({
        (WORKFLOW, "agent_execution_started"): 1,
        (RESEARCHER, "agent_execution_started"): 1,
        (RESEARCHER, "llm_call"): 2,  # asks for the tool, then for the handoff
        (RESEARCHER, "tool_usage"): 1,
        (RESEARCHER, "agent_collaboration"): 1,
        (RESEARCHER, "agent_execution_completed"): 1,
        (WRITER, "agent_execution_started"): 1,
        (WRITER, "llm_call"): 1,
        (WRITER, "agent_execution_completed"): 1,
        (WORKFLOW, "agent_execution_completed"): 1,
    }), kinds(events)
    assert (events[0]["source_agent"]["id"], events[0]["event_type"]) == (WORKFLOW, "agent_execution_started")
    assert (events[-1]["source_agent"]["id"], events[-1]["event_type"]) == (WORKFLOW, "agent_execution_completed")
    (trace_id,) = {e["trace_id"] for e in events}
    assert trace_id.startswith("trace_")  # the SDK's own trace id, to find the run in other tools

    (flow_start,) = capture.of(WORKFLOW, "agent_execution_started")
    assert flow_start["source_agent"] == {"id": WORKFLOW, "role": "workflow", "name": "word handoff"}
    for agent, name in ((RESEARCHER, "Research Analyst"), (WRITER, "Report Writer")):
        (start,) = capture.of(agent, "agent_execution_started")
        (done,) = capture.of(agent, "agent_execution_completed")
        assert start["source_agent"] == {"id": agent, "role": name}
        assert start["parent_event_id"] == flow_start["event_id"] and start["session_id"].startswith("span_")
        assert done["parent_event_id"] == start["event_id"] and done["session_id"] == start["session_id"]
        assert done["performance_metrics"]["success"] is True and done["performance_metrics"]["latency_ms"] >= 0
        for e in capture.events:
            if e["source_agent"]["id"] == agent and e["event_type"] in ("llm_call", "tool_usage", "agent_collaboration"):
                assert e["session_id"] == start["session_id"] and e["parent_event_id"] == start["event_id"]
    for call in capture.of(RESEARCHER, "llm_call"):
        assert call["performance_metrics"] == {
            "model": CHAT_MODEL,
            "input_tokens": CHAT_USAGE["prompt_tokens"],
            "output_tokens": CHAT_USAGE["completion_tokens"],
            "tokens_used": CHAT_USAGE["total_tokens"],
            "latency_ms": call["performance_metrics"]["latency_ms"],
            "success": True,
        }
        assert call["payload"]["api"] == "chat_completions" and call["metadata"]["span_type"] == "generation"
    assert [c["payload"]["tool_calls"] for c in capture.of(RESEARCHER, "llm_call")] == [["word_count"], ["transfer_to_report_writer"]]
    (answer,) = capture.of(WRITER, "llm_call")
    assert answer["performance_metrics"]["model"] == RESPONSES_MODEL
    assert answer["performance_metrics"]["input_tokens"] == RESPONSES_USAGE["input_tokens"]
    assert answer["performance_metrics"]["output_tokens"] == RESPONSES_USAGE["output_tokens"]
    assert answer["performance_metrics"]["tokens_used"] == RESPONSES_USAGE["total_tokens"]
    assert answer["payload"]["response"] == ANSWER and answer["payload"]["response_id"] == "resp_fake_1"
    assert answer["metadata"]["span_type"] == "response"
    (tool,) = capture.of(RESEARCHER, "tool_usage")
    assert tool["payload"] == {"tool_name": "word_count", "tool_input": {"text": "live events for agents"}, "tool_output": "4"}
    assert tool["performance_metrics"]["success"] is True and tool["performance_metrics"]["latency_ms"] >= 0
    (handoff,) = capture.of(RESEARCHER, "agent_collaboration")
    assert handoff["target_agent"] == {"id": WRITER, "role": "Report Writer"}
    assert handoff["payload"] == {
        "primary_agent": RESEARCHER,
        "collaborating_agents": [WRITER],
        "consensus_reached": True,
        "topic": "handoff",
    }
    (flow_done,) = capture.of(WORKFLOW, "agent_execution_completed")
    assert flow_done["performance_metrics"]["success"] is True and flow_done["payload"]["agents"] == [RESEARCHER, WRITER]
    assert flow_done["parent_event_id"] == flow_start["event_id"]


def test_a_failing_tool_is_an_unsuccessful_tool_usage_and_the_run_goes_on(capture, client, api):
    processor = instrument(client, exclusive=True, capture_content=False)
    result = asyncio.run(run(api, tool=broken_lookup))
    assert result.final_output == ANSWER  # the SDK hands the error to the model, which carries on
    sent(client)
    assert processor.errors == 0
    (tool,) = capture.of(RESEARCHER, "tool_usage")
    assert tool["payload"]["tool_name"] == "broken_lookup" and tool["payload"]["error"]
    assert tool["performance_metrics"]["success"] is False and tool["performance_metrics"]["error_type"] == "tool_error"
    # capture_content=False: no tool arguments or results, no model answers.
    assert "tool_input" not in tool["payload"] and "tool_output" not in tool["payload"]
    assert all("response" not in e["payload"] for e in capture.of(event_type="llm_call"))


def test_a_failing_model_ends_the_agent_and_the_workflow_unsuccessfully(capture, client):
    fake = FakeOpenAI(fail_responses=True)
    instrument(client, exclusive=True)
    try:
        with pytest.raises(Exception, match="model endpoint unavailable"):
            asyncio.run(run(fake))
    finally:
        fake.close()
    sent(client)
    (call,) = capture.of(WRITER, "llm_call")
    assert call["performance_metrics"]["success"] is False and call["performance_metrics"]["error_type"] == "llm_error"
    assert "model endpoint unavailable" in call["payload"]["error"]
    (writer_done,) = capture.of(WRITER, "agent_execution_completed")
    assert writer_done["performance_metrics"]["success"] is False
    (flow_done,) = capture.of(WORKFLOW, "agent_execution_completed")
    assert flow_done["performance_metrics"]["success"] is False
    # The handoff itself went through before the writer failed.
    assert capture.of(RESEARCHER, "agent_collaboration")[0]["payload"]["consensus_reached"] is True


def test_a_guardrail_is_an_agent_decision(capture, client, api):
    @input_guardrail
    def no_secrets(context: Any, agent: Agent, text: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info="secret found", tripwire_triggered="secret" in str(text))

    instrument(client, exclusive=True)
    agent = build_agents(api)
    agent.input_guardrails = [no_secrets]
    with pytest.raises(InputGuardrailTripwireTriggered):
        asyncio.run(Runner.run(agent, "tell me the secret", run_config=RunConfig(workflow_name="guarded")))
    sent(client)
    (decision,) = capture.of(RESEARCHER, "agent_decision")
    assert decision["payload"]["decision"] == "block" and decision["payload"]["guardrail"] == "no_secrets"
    assert decision["payload"]["triggered"] is True
    (flow_done,) = capture.of("guarded", "agent_execution_completed")
    assert flow_done["performance_metrics"]["success"] is False


def test_the_processor_never_breaks_the_run(capture, client, api):
    def bad_agent_id(name: str) -> str:
        raise RuntimeError("mapping bug")

    processor = AurenTracingProcessor(client, agent_id=bad_agent_id)
    set_trace_processors([processor])
    result = asyncio.run(run(api))
    assert result.final_output == ANSWER
    assert processor.errors >= 1


def test_instrument_is_one_line_and_adds_to_the_sdk_processors(capture, api, monkeypatch):
    class Recorder(TracingProcessor):
        def __init__(self) -> None:
            self.spans = 0

        def on_trace_start(self, trace: Any) -> None: ...
        def on_trace_end(self, trace: Any) -> None: ...
        def on_span_start(self, span: Any) -> None: ...
        def on_span_end(self, span: Any) -> None:
            self.spans += 1

        def shutdown(self) -> None: ...
        def force_flush(self) -> None: ...

    other = Recorder()
    set_trace_processors([other])
    monkeypatch.setenv("AUREN_INGEST_URL", capture.url)
    processor = instrument(workflow_agent_id="desk", flush_interval=0.05, flush_at_exit=False)
    assert processor.client.url == capture.url
    asyncio.run(run(api))
    processor.force_flush()
    processor.client.close(2)
    assert other.spans > 0  # added beside the existing processor, not instead of it
    assert {"desk", RESEARCHER, WRITER} == {e["source_agent"]["id"] for e in capture.events}


def test_bad_arguments_are_refused_clearly(client):
    with pytest.raises(TypeError, match="auren.AurenClient"):
        AurenTracingProcessor("http://localhost:3000")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_content_chars"):
        AurenTracingProcessor(client, max_content_chars=0)
    with pytest.raises(TypeError, match="batch_size"):
        instrument(client, batch_size=10)
