#!/usr/bin/env python3
"""A CrewAI crew on a custom LLM (a ``BaseLLM`` subclass, written as CrewAI's "Custom LLM" guide
shows), with every step live in AUREN. The custom LLM emits no CrewAI events; the listener sees
its calls through CrewAI's LLM call hooks and takes the token counts the LLM reports.

    npm start                                                # in the repository
    pip install "./clients/python[crewai]"                   # auren-realtime with CrewAI
    python examples/python/crewai_custom_llm.py --offline    # scripted answers: no key, no network
    LLM_API_KEY=sk-... python examples/python/crewai_custom_llm.py \\
        --endpoint https://api.openai.com/v1/chat/completions --model gpt-4o-mini

--endpoint takes any OpenAI-compatible chat completions URL. Other options: --url (the ingest,
default $AUREN_INGEST_URL or http://localhost:3000), --api-key (default $AUREN_API_KEY or
test-key). Prints the crew's answer, what the listener counted and the client's stats.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))


def main() -> int:
    parser = argparse.ArgumentParser(description="A CrewAI crew on a custom BaseLLM, instrumented with AUREN.")
    parser.add_argument("--url", default=os.environ.get("AUREN_INGEST_URL", "http://localhost:3000"))
    parser.add_argument("--api-key", default=os.environ.get("AUREN_API_KEY", "test-key"))
    parser.add_argument("--endpoint", help="an OpenAI-compatible chat completions URL (key in $LLM_API_KEY)")
    parser.add_argument("--model", default="my-custom-model")
    parser.add_argument("--offline", action="store_true", help="scripted answers: no endpoint, no network")
    args = parser.parse_args()
    if not args.offline and not args.endpoint:
        parser.error("pass --endpoint URL (a real model) or --offline")
    if args.offline:
        for name in ("CREWAI_DISABLE_TELEMETRY", "OTEL_SDK_DISABLED"):
            os.environ.setdefault(name, "true")
        os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")

    try:
        from crewai import Agent, BaseLLM, Crew, Process, Task
    except ImportError:
        print('CrewAI is not installed: pip install "./clients/python[crewai]"', file=sys.stderr)
        return 2
    from auren import AurenClient
    from auren.crewai import AurenCrewAIListener

    class ChatCompletionsLLM(BaseLLM):
        """CrewAI's guide, with the standard library's HTTP client and usage reporting."""

        def __init__(self, model: str, endpoint: str | None = None, api_key: str | None = None, temperature: float | None = None):
            super().__init__(model=model, temperature=temperature)
            self.endpoint = endpoint
            self.api_key = api_key

        def call(
            self,
            messages: str | list[dict[str, str]],
            tools: list[dict] | None = None,
            callbacks: list[Any] | None = None,
            available_functions: dict[str, Any] | None = None,
            **kwargs: Any,  # CrewAI 1.15 also passes from_task, from_agent, response_model
        ) -> str:
            if isinstance(messages, str):
                messages = [{"role": "user", "content": messages}]
            if self.endpoint is None:
                text = "Thought: I now know the final answer\nFinal Answer: Sleep and steady training keep HRV up."
                prompt_chars = sum(len(str(m.get("content", ""))) for m in messages)
                usage = {"prompt_tokens": (prompt_chars + 3) // 4, "completion_tokens": (len(text) + 3) // 4}
            else:
                request = urllib.request.Request(
                    self.endpoint,
                    data=json.dumps({"model": self.model, "messages": messages, "temperature": self.temperature, "stop": self.stop or None}).encode(),
                    headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
                )
                with urllib.request.urlopen(request, timeout=60) as response:
                    result = json.load(response)
                text = result["choices"][0]["message"]["content"]
                usage = result.get("usage") or {}
            # Report the usage to CrewAI's counters (crew.usage_metrics); AUREN's listener reads it
            # per call. Without it the llm_call events carry no token counts.
            self._track_token_usage_internal(usage)
            return text

        def supports_function_calling(self) -> bool:
            return False

        def get_context_window_size(self) -> int:
            return 8192

    client = AurenClient(args.url, api_key=args.api_key)
    listener = AurenCrewAIListener(client)  # <- the one line

    llm = ChatCompletionsLLM(model=args.model, endpoint=args.endpoint, api_key=os.environ.get("LLM_API_KEY"))
    researcher = Agent(role="Sleep Researcher", goal="Find what affects HRV", backstory="Reads studies.", llm=llm)
    coach = Agent(role="Training Coach", goal="Turn findings into advice", backstory="Practical.", llm=llm)
    crew = Crew(
        name="hrv desk",
        agents=[researcher, coach],
        tasks=[
            Task(description="Name one factor that lowers HRV.", expected_output="one sentence", agent=researcher),
            Task(description="Give one training tip from it.", expected_output="one sentence", agent=coach),
        ],
        process=Process.sequential,
    )
    result = crew.kickoff()
    listener.flush(10)
    client.close()
    stats = client.stats()
    counted = listener.stats()
    print(f"\nresult: {result}")
    print(f"listener: {counted['llm_calls']} llm_call events ({counted['llm_calls_from_hooks']} through CrewAI's hooks), unmapped {counted['unmapped']}")
    print(f"AUREN: sent {stats['sent']} events, dropped {stats['dropped']}, failed {stats['failed']}")
    if stats["failed"] or stats["rejected"]:
        print(f"last error: {stats['last_error']} (is `npm start` running at {args.url}?)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
