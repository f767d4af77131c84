"""A real CrewAI crew that runs offline: two agents, two tasks (the first uses a tool), and a
deterministic LLM that speaks CrewAI's ReAct format. Two LLMs:

- ``FakeLLM`` emits CrewAI's LLM call events with token usage, the way CrewAI's own providers do;
- ``CustomLLM`` is a custom LLM written the way CrewAI's "Custom LLM" guide shows: a ``BaseLLM``
  subclass whose ``call`` just returns the text and emits no events; it reports its token usage
  to CrewAI's counters (``report_usage``), as CrewAI's providers do.

Used by tests/test_crewai.py and, as a script, by test/e2e/crewai.e2e.ts:

    python tests/crew_scenario.py --ingest http://127.0.0.1:3000   # prints the stats as JSON
    python tests/crew_scenario.py --ingest ... --crews word,custom  # both crews, one process

Crew "word desk" uses FakeLLM, crew "custom desk" CustomLLM; running both in one process saves
the seconds that importing CrewAI takes (a crew runs in a fraction of one).
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
# CustomLLM's counts per call, different from FakeLLM's so a test can tell them apart.
CUSTOM_PROMPT_TOKENS = 200
CUSTOM_COMPLETION_TOKENS = 40
CUSTOM_MODEL = "custom-react-1"
TOOL_INPUTS = {"word_count": {"text": "live events for agents"}, "broken_lookup": {"query": "hrv"}}


def scripted_answer(messages: Any) -> str:
    """The first call of an agent that has tools asks for its first tool; every other call gives
    the final answer."""
    history = messages if isinstance(messages, list) else [{"role": "user", "content": messages}]
    text = "\n".join(str(m.get("content", "")) for m in history)
    asked_tool = any(m.get("role") == "assistant" for m in history)
    tool_names = re.search(r"only one name of \[([^\]]+)\]", text)
    if tool_names and not asked_tool:
        name = tool_names.group(1).split(",")[0].strip()
        args = json.dumps(TOOL_INPUTS.get(name, {}))
        return f"Thought: I should use {name} first.\nAction: {name}\nAction Input: {args}"
    return "Thought: I now know the final answer\nFinal Answer: The text has 4 words."


class FakeLLM(BaseLLM):
    """Answers without a network (:func:`scripted_answer`). Emits LLMCallStarted/Completed with
    usage, like CrewAI's OpenAI provider (prompt_tokens / completion_tokens / total_tokens)."""

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
            answer = scripted_answer(messages)
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


class CustomLLM(BaseLLM):
    """A custom LLM as CrewAI's "Custom LLM Implementation" guide writes one: ``__init__`` calls
    ``super().__init__(model=..., temperature=...)``, ``call`` turns a string into messages and
    returns the answer's text, ``supports_function_calling`` and ``get_context_window_size`` are
    overridden. It emits no CrewAI events (the guide's example does not). Instead of an HTTP
    request it answers with :func:`scripted_answer`. ``**kwargs``: CrewAI 1.15 also passes
    ``from_task``, ``from_agent`` and ``response_model``, which the guide's signature lacks."""

    def __init__(self, model: str, temperature: float | None = None, report_usage: bool = True) -> None:
        super().__init__(model=model, temperature=temperature)
        self.report_usage = report_usage

    def call(
        self,
        messages: str | list[dict[str, str]],
        tools: list[dict] | None = None,
        callbacks: list[Any] | None = None,
        available_functions: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str:
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        answer = scripted_answer(messages)
        if self.report_usage:
            # What CrewAI's own providers do with a response's usage: CrewAI's counters
            # (crew.usage_metrics) and the AUREN listener read it.
            self._track_token_usage_internal(
                {
                    "prompt_tokens": CUSTOM_PROMPT_TOKENS,
                    "completion_tokens": CUSTOM_COMPLETION_TOKENS,
                    "total_tokens": CUSTOM_PROMPT_TOKENS + CUSTOM_COMPLETION_TOKENS,
                }
            )
        return answer

    def supports_function_calling(self) -> bool:
        return False

    def get_context_window_size(self) -> int:
        return 8192


@tool("word_count")
def word_count(text: str) -> int:
    """Counts the words of a text."""
    return len(text.split())


@tool("broken_lookup")
def broken_lookup(query: str) -> str:
    """Looks something up; always fails."""
    raise RuntimeError("lookup service unavailable")


def build_crew(tool_fn: Any = word_count, llm: BaseLLM | None = None, name: str = "word desk") -> Crew:
    """Both agents share one LLM instance (as with ``llm=`` passed to each agent), which CrewAI's
    own token total counts once per agent."""
    llm = llm or FakeLLM(model=MODEL)
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
    return Crew(name=name, agents=[researcher, writer], tasks=[count, report], process=Process.sequential, verbose=False)


if __name__ == "__main__":
    import argparse
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from auren import AurenClient
    from auren.crewai import AurenCrewAIListener

    parser = argparse.ArgumentParser(description="Run the offline test crews with the AUREN listener.")
    parser.add_argument("--ingest", required=True, help="ingest URL, e.g. http://127.0.0.1:3000")
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument(
        "--crews",
        default="word",
        help='comma-separated, run in this order: "word" (crew "word desk", FakeLLM), "custom" (crew "custom desk", CustomLLM)',
    )
    args = parser.parse_args()
    makers = {"word": build_crew, "custom": lambda: build_crew(llm=CustomLLM(model=CUSTOM_MODEL), name="custom desk")}
    names = [n.strip() for n in args.crews.split(",") if n.strip()]
    if not names or any(n not in makers for n in names):
        parser.error(f"--crews takes a comma-separated list of {', '.join(makers)}")
    client = AurenClient(args.ingest, api_key=args.api_key, flush_interval=0.2)
    listener = AurenCrewAIListener(client)
    results = {}
    for name in names:
        crew = makers[name]()
        output = crew.kickoff()
        # CrewAI's own token total, to compare with what the listener reports.
        results[crew.name] = {"result": str(output), "crewai_total_tokens": output.token_usage.total_tokens}
    flushed = listener.flush(20)
    client.close(5)
    summary = {
        "result": next(iter(results.values()))["result"],
        "crews": results,
        "flushed": flushed,
        "listener_errors": listener.errors,
        "listener": listener.stats(),
        **client.stats(),
    }
    print(json.dumps(summary))
