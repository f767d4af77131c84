"""AurenCallbackHandler with real LangGraph graphs and langchain-core's fake chat models; the real
AurenClient posts to a local capture of the ingest's batch endpoint (tests/capture_ingest.py).

Runs in the frameworks venv (requirements-frameworks.txt); skipped where LangGraph is not installed.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import Counter
from typing import Any, Iterator

import pytest

pytest.importorskip("langgraph")
pytest.importorskip("langchain_core")

from capture_ingest import CaptureIngest  # noqa: E402
from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.messages import HumanMessage  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from langchain_core.runnables import RunnableLambda  # noqa: E402
from langgraph_scenario import (  # noqa: E402
    GRAPH_NAME,
    INPUT_TOKENS,
    MODEL,
    OUTPUT_TOKENS,
    ai,
    broken_lookup,
    build_graph,
    fake_model,
    run,
    word_count,
)

from auren import AurenClient  # noqa: E402
from auren.langchain import AurenCallbackHandler, handler_of, instrument  # noqa: E402

# Every connection the test process opens while a graph runs: nothing may leave the machine.
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


def sent(client: AurenClient) -> None:
    assert client.flush(10), client.stats()
    stats = client.stats()
    assert stats["dropped"] == stats["failed"] == stats["rejected"] == 0, stats


def kinds(events: list[dict[str, Any]]) -> Counter:
    return Counter((e["source_agent"]["id"], e["event_type"]) for e in events)


def test_a_two_node_graph_with_a_tool_arrives_as_agent_llm_tool_and_collaboration_events(capture, client):
    handler = AurenCallbackHandler(client)
    _connections.clear()
    _recording.set()
    try:
        result = run(build_graph(), config={"callbacks": [handler]})
    finally:
        _recording.clear()
    assert result["messages"][-1].content == "Report: 'live events for agents' has 4 words."
    sent(client)
    assert handler.errors == 0
    hosts = {str(target[0] if isinstance(target, tuple) else target) for _, target in _connections}
    assert hosts <= {"127.0.0.1", "localhost"}, _connections

    events = capture.events
    assert kinds(events) == Counter({
        (GRAPH_NAME, "agent_execution_started"): 1,
        ("researcher", "agent_execution_started"): 1,
        ("researcher", "llm_call"): 2,  # asks for the tool, then answers
        ("researcher", "tool_usage"): 1,
        ("researcher", "agent_execution_completed"): 1,
        ("writer", "agent_execution_started"): 1,
        ("writer", "llm_call"): 1,
        ("writer", "agent_execution_completed"): 1,
        (GRAPH_NAME, "agent_collaboration"): 1,
        (GRAPH_NAME, "agent_execution_completed"): 1,
    }), kinds(events)
    # In causal order: the graph starts first and ends last, each node's events inside its run.
    order = [(e["source_agent"]["id"], e["event_type"]) for e in events]
    assert order[0] == (GRAPH_NAME, "agent_execution_started") and order[-1] == (GRAPH_NAME, "agent_execution_completed")
    assert order.index(("researcher", "agent_execution_completed")) < order.index(("writer", "agent_execution_started"))
    assert len({e["trace_id"] for e in events}) == 1

    def of(agent: str, event_type: str) -> list[dict[str, Any]]:
        return capture.of(agent, event_type)

    (graph_start,) = of(GRAPH_NAME, "agent_execution_started")
    assert graph_start["source_agent"] == {"id": GRAPH_NAME, "role": "graph", "name": GRAPH_NAME}
    assert graph_start["payload"]["kind"] == "graph" and "live events for agents" in graph_start["payload"]["input"]
    for node in ("researcher", "writer"):
        (start,) = of(node, "agent_execution_started")
        (done,) = of(node, "agent_execution_completed")
        assert start["source_agent"] == {"id": node, "role": node}
        assert start["payload"]["kind"] == "graph_node" and start["parent_event_id"] == graph_start["event_id"]
        assert start["metadata"]["langgraph_node"] == node and start["metadata"]["source"] == "langgraph"
        assert done["parent_event_id"] == start["event_id"] and done["session_id"] == start["session_id"]
        assert done["performance_metrics"]["success"] is True and done["performance_metrics"]["latency_ms"] >= 0
        for call in of(node, "llm_call"):
            assert call["performance_metrics"]["model"] == MODEL
            assert call["performance_metrics"]["input_tokens"] == INPUT_TOKENS
            assert call["performance_metrics"]["output_tokens"] == OUTPUT_TOKENS
            assert call["performance_metrics"]["tokens_used"] == INPUT_TOKENS + OUTPUT_TOKENS
            assert call["performance_metrics"]["success"] is True and call["performance_metrics"]["latency_ms"] >= 0
            assert call["session_id"] == start["session_id"] and call["parent_event_id"] == start["event_id"]
    first_call = of("researcher", "llm_call")[0]
    assert first_call["payload"]["tool_calls"] == ["word_count"] and first_call["payload"]["finish_reason"] == "tool_calls"
    assert of("writer", "llm_call")[0]["payload"]["response"] == "Report: 'live events for agents' has 4 words."
    (tool,) = of("researcher", "tool_usage")
    assert tool["payload"] == {
        "tool_name": "word_count",
        "tool_input": {"text": "live events for agents"},
        "tool_output": "4",
        "tool_call_id": "call_words_1",
    }
    assert tool["performance_metrics"]["success"] is True and tool["performance_metrics"]["latency_ms"] >= 0
    (collab,) = of(GRAPH_NAME, "agent_collaboration")
    assert collab["payload"]["primary_agent"] == GRAPH_NAME
    assert collab["payload"]["collaborating_agents"] == ["researcher", "writer"] and collab["payload"]["consensus_reached"] is True
    (graph_done,) = of(GRAPH_NAME, "agent_execution_completed")
    assert graph_done["performance_metrics"]["success"] is True and graph_done["parent_event_id"] == graph_start["event_id"]
    assert graph_done["payload"]["agents"] == ["researcher", "writer"]
    assert graph_done["session_id"] == graph_start["session_id"] == graph_start["trace_id"]


def test_ainvoke_maps_the_same_way(capture, client):
    graph = build_graph()
    asyncio.run(run(graph, config={"callbacks": [AurenCallbackHandler(client)]}, invoke=graph.ainvoke))
    sent(client)
    assert sum(e["event_type"] == "llm_call" for e in capture.events) == 3
    assert capture.events[0]["event_type"] == "agent_execution_started" and capture.events[-1]["event_type"] == "agent_execution_completed"
    assert {e["source_agent"]["id"] for e in capture.of(event_type="tool_usage")} == {"researcher"}


def test_a_tool_run_by_a_prebuilt_tool_node_counts_for_the_agent_that_asked_for_it(capture, client):
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode, tools_condition

    call = {"name": "word_count", "args": {"text": "a b c"}, "id": "call_tn_1", "type": "tool_call"}
    model = fake_model(ai(tool_calls=[call]), ai("3 words"))
    builder = StateGraph(MessagesState)
    builder.add_node("assistant", lambda state: {"messages": [model.invoke(state["messages"])]})
    builder.add_node("tools", ToolNode([word_count]))
    builder.add_edge(START, "assistant")
    builder.add_conditional_edges("assistant", tools_condition)
    builder.add_edge("tools", "assistant")
    graph = builder.compile()
    graph.invoke({"messages": [HumanMessage("count a b c")]}, config={"callbacks": [AurenCallbackHandler(client)]})
    sent(client)

    (tool,) = capture.of(event_type="tool_usage")
    assert tool["source_agent"]["id"] == "assistant" and tool["payload"]["tool_output"] == "3"
    asked = capture.of("assistant", "llm_call")[0]
    assert tool["session_id"] == asked["session_id"] and tool["parent_event_id"] == asked["parent_event_id"]
    assert tool["metadata"]["langgraph_node"] == "assistant"
    # The ToolNode is a graph node too (an agent without an LLM); the assistant ran twice.
    assert kinds(capture.events)[("assistant", "agent_execution_started")] == 2
    assert kinds(capture.events)[("tools", "agent_execution_completed")] == 1
    (collab,) = capture.of(event_type="agent_collaboration")
    assert collab["source_agent"]["id"] == "langgraph"  # LangGraph's default graph name
    assert collab["payload"]["collaborating_agents"] == ["assistant", "tools"]


def test_a_failing_tool_and_a_failing_model_are_reported_and_the_error_still_reaches_the_caller(capture, client):
    class ModelDown(Exception):
        pass

    class BrokenModel(type(fake_model())):  # GenericFakeChatModel that fails like a provider outage
        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            raise ModelDown("model endpoint unavailable")

    graph = build_graph(tool_fn=broken_lookup, writer_model=BrokenModel(messages=iter([])))
    with pytest.raises(ModelDown, match="model endpoint unavailable"):
        run(graph, config={"callbacks": [AurenCallbackHandler(client, capture_content=False)]})
    sent(client)

    (tool,) = capture.of("researcher", "tool_usage")
    assert tool["performance_metrics"] == {"latency_ms": tool["performance_metrics"]["latency_ms"], "success": False, "error_type": "tool_error"}
    assert "lookup service unavailable" in tool["payload"]["error"] and tool["payload"]["tool_name"] == "broken_lookup"
    (failed_call,) = capture.of("writer", "llm_call")
    assert failed_call["performance_metrics"]["success"] is False and failed_call["performance_metrics"]["error_type"] == "llm_error"
    assert "model endpoint unavailable" in failed_call["payload"]["error"]
    (writer_done,) = capture.of("writer", "agent_execution_completed")
    assert writer_done["performance_metrics"]["success"] is False and writer_done["performance_metrics"]["error_type"] == "ModelDown"
    (graph_done,) = capture.of(GRAPH_NAME, "agent_execution_completed")
    assert graph_done["performance_metrics"]["success"] is False and "model endpoint unavailable" in graph_done["payload"]["error"]
    assert not capture.of(event_type="agent_collaboration")
    # capture_content=False: names, timings and tokens only.
    for event in capture.events:
        for key in ("input", "output", "response", "tool_input", "tool_output"):
            assert key not in event["payload"], (event["event_type"], key)


def test_an_interrupt_pauses_the_node_without_failing_it(capture, client):
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, MessagesState, StateGraph
    from langgraph.types import interrupt

    def approve(state: MessagesState) -> dict[str, Any]:
        answer = interrupt("approve?")
        return {"messages": [("ai", f"approved: {answer}")]}

    builder = StateGraph(MessagesState)
    builder.add_node("approver", approve)
    builder.add_edge(START, "approver")
    builder.add_edge("approver", END)
    graph = builder.compile(checkpointer=InMemorySaver(), name="approval")
    config = {"callbacks": [AurenCallbackHandler(client)], "configurable": {"thread_id": "thread-42"}}
    paused = graph.invoke({"messages": [HumanMessage("ship it")]}, config=config)
    assert "__interrupt__" in paused
    sent(client)

    (node_done,) = capture.of("approver", "agent_execution_completed")
    assert node_done["performance_metrics"]["success"] is True and node_done["payload"]["status"] == "interrupted"
    (graph_start,) = capture.of("approval", "agent_execution_started")
    assert graph_start["session_id"] == "thread-42"  # the LangGraph thread is the session
    (graph_done,) = capture.of("approval", "agent_execution_completed")
    assert graph_done["performance_metrics"]["success"] is True


class _Shelf(BaseRetriever):
    """A retriever over three fixed documents."""

    def _get_relevant_documents(self, query: str, *, run_manager: Any = None) -> list[Document]:
        return [Document(page_content=f"{query} {i}") for i in range(3)]


def test_a_plain_chain_with_a_retriever_is_an_agent_with_knowledge_access(capture, client):
    shelf = _Shelf()
    chain = RunnableLambda(lambda q: shelf.invoke(q)) | RunnableLambda(lambda docs: len(docs))
    assert chain.invoke("hrv", config={"callbacks": [AurenCallbackHandler(client)], "run_name": "Support Bot"}) == 3
    sent(client)

    assert kinds(capture.events) == Counter({
        ("support_bot", "agent_execution_started"): 1,
        ("support_bot", "knowledge_access"): 1,
        ("support_bot", "agent_execution_completed"): 1,
    })
    (start,) = capture.of("support_bot", "agent_execution_started")
    assert start["source_agent"] == {"id": "support_bot", "role": "chain", "name": "Support Bot"}
    assert start["metadata"]["source"] == "langchain" and start["payload"]["kind"] == "chain"
    (access,) = capture.of("support_bot", "knowledge_access")
    assert access["payload"] == {"source": "_Shelf", "query": "hrv", "results_count": 3}
    assert access["performance_metrics"]["success"] is True and access["parent_event_id"] == start["event_id"]


def test_a_model_called_on_its_own_is_an_llm_call_of_the_root_agent_id(capture, client):
    model = fake_model(ai("hi"))
    model.invoke("hello", config={"callbacks": [AurenCallbackHandler(client, root_agent_id="chatbot")]})
    sent(client)
    (call,) = capture.events
    assert call["event_type"] == "llm_call" and call["source_agent"]["id"] == "chatbot"
    assert call["performance_metrics"]["tokens_used"] == INPUT_TOKENS + OUTPUT_TOKENS


def test_the_handler_never_breaks_the_graph(capture, client):
    def bad_agent_id(name: str) -> str:
        raise RuntimeError("mapping bug")

    handler = AurenCallbackHandler(client, agent_id=bad_agent_id)
    result = run(build_graph(), config={"callbacks": [handler]})
    assert result["messages"][-1].content.startswith("Report:")
    assert handler.errors >= 1


def test_instrument_is_one_line(capture, monkeypatch):
    monkeypatch.setenv("AUREN_INGEST_URL", capture.url)
    graph = instrument(build_graph(), agent_id=lambda node: f"lg_{node}", flush_interval=0.05, flush_at_exit=False)
    handler = handler_of(graph)
    assert isinstance(handler, AurenCallbackHandler) and handler.client.url == capture.url
    run(graph)
    sent(handler.client)
    handler.client.close(2)
    assert {e["source_agent"]["id"] for e in capture.events} == {"lg_word_graph", "lg_researcher", "lg_writer"}
    assert handler_of(build_graph()) is None


def test_bad_arguments_are_refused_clearly(client):
    with pytest.raises(TypeError, match="auren.AurenClient"):
        AurenCallbackHandler("http://localhost:3000")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_content_chars"):
        AurenCallbackHandler(client, max_content_chars=0)
    with pytest.raises(TypeError, match="batch_size"):
        instrument(build_graph(), client, batch_size=10)
    with pytest.raises(TypeError, match="Runnable"):
        instrument(object(), client)
    assert isinstance(AurenCallbackHandler(client), BaseCallbackHandler)
