"""A real LangGraph graph that runs offline: two nodes (``researcher`` uses a tool, then ``writer``)
and langchain-core's GenericFakeChatModel answering canned messages that carry token usage the way
provider integrations report it (``AIMessage.usage_metadata``). Used by tests/test_langchain.py and,
as a script, by test/e2e/python-frameworks.e2e.ts:

    python tests/langgraph_scenario.py --ingest http://127.0.0.1:3000   # prints the client's stats as JSON
"""

from __future__ import annotations

import os

# LangSmith tracing stays off whatever the environment says: nothing may leave the machine.
os.environ["LANGSMITH_TRACING"] = "false"
os.environ["LANGCHAIN_TRACING_V2"] = "false"

import operator  # noqa: E402
from typing import Annotated, Any, Callable, TypedDict  # noqa: E402

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage  # noqa: E402
from langchain_core.tools import BaseTool, tool  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402

GRAPH_NAME = "word_graph"
MODEL = "fake-chat-1"
INPUT_TOKENS = 120
OUTPUT_TOKENS = 30
TEXT = "live events for agents"


def usage(input_tokens: int = INPUT_TOKENS, output_tokens: int = OUTPUT_TOKENS) -> dict[str, int]:
    return {"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens}


def ai(content: str = "", tool_calls: list[dict[str, Any]] | None = None) -> AIMessage:
    """A model answer as a provider integration returns it: with usage and the model's name."""
    return AIMessage(
        content=content,
        tool_calls=tool_calls or [],
        usage_metadata=usage(),  # type: ignore[arg-type]
        response_metadata={"model_name": MODEL, "finish_reason": "tool_calls" if tool_calls else "stop"},
    )


def fake_model(*answers: AIMessage) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter(answers))


@tool
def word_count(text: str) -> int:
    """Counts the words of a text."""
    return len(text.split())


@tool
def broken_lookup(text: str) -> str:
    """Looks something up; always fails."""
    raise RuntimeError("lookup service unavailable")


class State(TypedDict):
    messages: Annotated[list[AnyMessage], operator.add]


def build_graph(tool_fn: BaseTool = word_count, writer_model: Any = None) -> Any:
    """``researcher`` asks its model, runs the tool the model asked for, asks again; ``writer``
    asks its model once. Fresh fake models each time (their answers are an iterator)."""
    call = {"name": tool_fn.name, "args": {"text": TEXT}, "id": "call_words_1", "type": "tool_call"}
    researcher_model = fake_model(ai(tool_calls=[call]), ai("The text has 4 words."))
    writer_model = writer_model or fake_model(ai(f"Report: '{TEXT}' has 4 words."))

    def researcher(state: State) -> dict[str, Any]:
        history = list(state["messages"])
        asked = researcher_model.invoke(history)
        new = [asked]
        for tool_call in asked.tool_calls:
            try:
                new.append(tool_fn.invoke(tool_call))
            except Exception as error:  # noqa: BLE001 - the node carries on, like ToolNode does
                from langchain_core.messages import ToolMessage

                new.append(ToolMessage(content=f"error: {error}", tool_call_id=tool_call["id"], status="error"))
        new.append(researcher_model.invoke(history + new))
        return {"messages": new}

    def writer(state: State) -> dict[str, Any]:
        return {"messages": [writer_model.invoke(state["messages"])]}

    builder = StateGraph(State)
    builder.add_node("researcher", researcher)
    builder.add_node("writer", writer)
    builder.add_edge(START, "researcher")
    builder.add_edge("researcher", "writer")
    builder.add_edge("writer", END)
    return builder.compile(name=GRAPH_NAME)


def question() -> dict[str, Any]:
    return {"messages": [HumanMessage(f"How many words has '{TEXT}'?")]}


def run(graph: Any, config: dict[str, Any] | None = None, invoke: Callable[..., Any] | None = None) -> Any:
    return (invoke or graph.invoke)(question(), config=config)


if __name__ == "__main__":
    import argparse
    import json
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from auren import AurenClient
    from auren.langchain import handler_of, instrument

    parser = argparse.ArgumentParser(description="Run the offline test graph with the AUREN callback handler.")
    parser.add_argument("--ingest", required=True, help="ingest URL, e.g. http://127.0.0.1:3000")
    parser.add_argument("--api-key", default="test-key")
    args = parser.parse_args()
    client = AurenClient(args.ingest, api_key=args.api_key, flush_interval=0.2)
    graph = instrument(build_graph(), client)
    result = run(graph)
    flushed = client.flush(20)
    client.close(5)
    handler = handler_of(graph)
    print(json.dumps({"result": result["messages"][-1].content, "flushed": flushed, "handler_errors": handler.errors if handler else None, **client.stats()}))
