"""Two real OpenAI Agents SDK agents that run offline: ``Research Analyst`` (Chat Completions model,
a function tool, a handoff) hands off to ``Report Writer`` (Responses model). Both models are the
SDK's own OpenAI model classes, pointed at a tiny fake OpenAI API on 127.0.0.1 that answers canned
completions with token usage. Used by tests/test_openai_agents.py and, as a script, by
test/e2e/python-frameworks.e2e.ts:

    python tests/openai_agents_scenario.py --ingest http://127.0.0.1:3000   # prints the client's stats as JSON
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agents import (
    Agent,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    RunConfig,
    Runner,
    function_tool,
)
from openai import AsyncOpenAI

WORKFLOW = "word handoff"
RESEARCHER = "Research Analyst"
WRITER = "Report Writer"
CHAT_MODEL = "fake-chat-1"
RESPONSES_MODEL = "fake-resp-1"
CHAT_USAGE = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
RESPONSES_USAGE = {"input_tokens": 200, "output_tokens": 12, "total_tokens": 212}
TEXT = "live events for agents"
ANSWER = f"Report: '{TEXT}' has 4 words."


class FakeOpenAI:
    """``POST /v1/chat/completions`` and ``POST /v1/responses`` with canned answers: the researcher
    (the agent with a function tool) first calls its tool, then hands off; the writer answers.
    ``fail_responses`` makes the Responses endpoint answer 500 (a provider outage)."""

    def __init__(self, fail_responses: bool = False) -> None:
        self.requests: list[str] = []
        self.fail_responses = fail_responses
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                outer.requests.append(self.path)
                if self.path.endswith("/chat/completions"):
                    status, answer = 200, outer.chat(body)
                elif self.path.endswith("/responses"):
                    if outer.fail_responses:
                        status, answer = 500, {"error": {"message": "model endpoint unavailable", "type": "server_error"}}
                    else:
                        status, answer = 200, outer.response(body)
                else:
                    status, answer = 404, {"error": {"message": f"no route {self.path}"}}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/v1"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-openai", daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @staticmethod
    def chat(body: dict[str, Any]) -> dict[str, Any]:
        tools = [t["function"]["name"] for t in body.get("tools") or []]
        messages = body.get("messages") or []
        tool_results = [m for m in messages if m.get("role") == "tool"]
        handoff = next((t for t in tools if t.startswith("transfer_to_")), None)
        tool = next((t for t in tools if not t.startswith("transfer_to_")), None)
        if tool and not tool_results:
            call = {"id": "call_words_1", "type": "function", "function": {"name": tool, "arguments": json.dumps({"text": TEXT})}}
            message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
        elif handoff:
            call = {"id": "call_handoff_1", "type": "function", "function": {"name": handoff, "arguments": "{}"}}
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
        else:
            message = {"role": "assistant", "content": ANSWER}
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}],
            "usage": CHAT_USAGE,
        }

    @staticmethod
    def response(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "resp_fake_1",
            "object": "response",
            "created_at": int(time.time()),
            "model": body.get("model"),
            "status": "completed",
            "output": [
                {
                    "type": "message",
                    "id": "msg_fake_1",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": ANSWER, "annotations": []}],
                }
            ],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                **RESPONSES_USAGE,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        }


@function_tool
def word_count(text: str) -> int:
    """Counts the words of a text."""
    return len(text.split())


@function_tool
def broken_lookup(text: str) -> str:
    """Looks something up; always fails."""
    raise RuntimeError("lookup service unavailable")


def build_agents(api: FakeOpenAI, tool: Any = word_count) -> Agent:
    """The researcher, which hands off to the writer."""
    openai_client = AsyncOpenAI(base_url=api.url, api_key="test-key-not-used", max_retries=0)
    writer = Agent(
        name=WRITER,
        instructions="Write the report in one sentence.",
        model=OpenAIResponsesModel(model=RESPONSES_MODEL, openai_client=openai_client),
    )
    return Agent(
        name=RESEARCHER,
        instructions="Count the words with the tool, then hand off to the writer.",
        tools=[tool],
        handoffs=[writer],
        model=OpenAIChatCompletionsModel(model=CHAT_MODEL, openai_client=openai_client),
    )


async def run(api: FakeOpenAI, tool: Any = word_count) -> Any:
    return await Runner.run(
        build_agents(api, tool),
        f"How many words has '{TEXT}'?",
        run_config=RunConfig(workflow_name=WORKFLOW),
    )


if __name__ == "__main__":
    import argparse
    import asyncio
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from auren import AurenClient
    from auren.openai_agents import instrument

    parser = argparse.ArgumentParser(description="Run the offline agents with the AUREN tracing processor.")
    parser.add_argument("--ingest", required=True, help="ingest URL, e.g. http://127.0.0.1:3000")
    parser.add_argument("--api-key", default="test-key")
    args = parser.parse_args()
    client = AurenClient(args.ingest, api_key=args.api_key, flush_interval=0.2)
    processor = instrument(client, exclusive=True)
    fake = FakeOpenAI()
    result = asyncio.run(run(fake))
    fake.close()
    flushed = client.flush(20)
    client.close(5)
    print(
        json.dumps(
            {
                "result": str(result.final_output),
                "last_agent": result.last_agent.name,
                "flushed": flushed,
                "processor_errors": processor.errors,
                **client.stats(),
            }
        )
    )
