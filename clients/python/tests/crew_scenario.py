"""A real CrewAI crew that runs offline: two agents, two tasks (the first uses a tool), and a
deterministic LLM that speaks CrewAI's ReAct format and reports token usage the way CrewAI's own
providers do. Used by tests/test_crewai.py and, as a script, by test/e2e/crewai.e2e.ts:

    python tests/crew_scenario.py --ingest http://127.0.0.1:3000   # prints the client's stats as JSON
"""

from __future__ import annotations

import os

for _name, _value in {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "CREWAI_TESTING": "true",
}.items():
    os.environ.setdefault(_name, _value)

import json  # noqa: E402
import re  # noqa: E402
from typing import Any  # noqa: E402

from crewai import Agent, Crew, Process, Task  # noqa: E402
from crewai.events.types.llm_events import LLMCallType  # noqa: E402
from crewai.llms.base_llm import BaseLLM, llm_call_context  # noqa: E402
from crewai.tools import tool  # noqa: E402

PROMPT_TOKENS = 120
COMPLETION_TOKENS = 30
MODEL = "fake-react-1"
TOOL_INPUTS = {"word_count": {"text": "live events for agents"}, "broken_lookup": {"query": "hrv"}}


class FakeLLM(BaseLLM):
    """Answers without a network: the first call of an agent that has tools asks for its first tool,
    every other call gives the final answer. Emits LLMCallStarted/Completed with usage, like
    CrewAI's OpenAI provider (prompt_tokens / completion_tokens / total_tokens)."""

    def call(
        self,
        messages: Any,
        tools: Any = None,
        callbacks: Any = None,
        available_functions: Any = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: Any = None,
    ) -> str:
        with llm_call_context():
            self._emit_call_started_event(
                messages=messages,
                tools=tools,
                callbacks=callbacks,
                available_functions=available_functions,
                from_task=from_task,
                from_agent=from_agent,
            )
            history = messages if isinstance(messages, list) else [{"role": "user", "content": messages}]
            text = "\n".join(str(m.get("content", "")) for m in history)
            asked_tool = any(m.get("role") == "assistant" for m in history)
            tool_names = re.search(r"only one name of \[([^\]]+)\]", text)
            if tool_names and not asked_tool:
                name = tool_names.group(1).split(",")[0].strip()
                args = json.dumps(TOOL_INPUTS.get(name, {}))
                answer = f"Thought: I should use {name} first.\nAction: {name}\nAction Input: {args}"
            else:
                answer = "Thought: I now know the final answer\nFinal Answer: The text has 4 words."
            usage = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS, "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS}
            self._track_token_usage_internal(usage)
            self._emit_call_completed_event(
                response=answer,
                call_type=LLMCallType.LLM_CALL,
                from_task=from_task,
                from_agent=from_agent,
                messages=messages,
                usage=usage,
                finish_reason="stop",
            )
            return answer

    def supports_function_calling(self) -> bool:
        return False  # ReAct text, parsed by CrewAI

    def get_input_tokens_count(self, messages: Any, tools: Any = None, response_model: Any = None) -> int:
        return PROMPT_TOKENS


@tool("word_count")
def word_count(text: str) -> int:
    """Counts the words of a text."""
    return len(text.split())


@tool("broken_lookup")
def broken_lookup(query: str) -> str:
    """Looks something up; always fails."""
    raise RuntimeError("lookup service unavailable")


def build_crew(tool_fn: Any = word_count) -> Crew:
    llm = FakeLLM(model=MODEL)
    researcher = Agent(
        role="Research Analyst",
        goal="Count the words of a text",
        backstory="Careful with numbers.",
        llm=llm,
        tools=[tool_fn],
        max_iter=3,
        verbose=False,
    )
    writer = Agent(
        role="Report Writer",
        goal="Write one sentence",
        backstory="Brief.",
        llm=llm,
        max_iter=2,
        verbose=False,
    )
    count = Task(
        description=f"Use the {tool_fn.name} tool on the text 'live events for agents'.",
        expected_output="the number of words",
        agent=researcher,
    )
    report = Task(description="Report the word count in one sentence.", expected_output="one sentence", agent=writer)
    return Crew(name="word desk", agents=[researcher, writer], tasks=[count, report], process=Process.sequential, verbose=False)


if __name__ == "__main__":
    import argparse
    import json
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from auren import AurenClient
    from auren.crewai import AurenCrewAIListener

    parser = argparse.ArgumentParser(description="Run the offline test crew with the AUREN listener.")
    parser.add_argument("--ingest", required=True, help="ingest URL, e.g. http://127.0.0.1:3000")
    parser.add_argument("--api-key", default="test-key")
    args = parser.parse_args()
    client = AurenClient(args.ingest, api_key=args.api_key, flush_interval=0.2)
    listener = AurenCrewAIListener(client)
    result = build_crew().kickoff()
    flushed = listener.flush(20)
    client.close(5)
    print(json.dumps({"result": str(result), "flushed": flushed, "listener_errors": listener.errors, **client.stats()}))
