#!/usr/bin/env python3
"""A two-agent CrewAI crew whose every step shows up live in AUREN. One line does it:
``AurenCrewAIListener(client)``.

    npm start                                            # in the repository
    pip install "./clients/python[crewai]"              # auren-realtime with CrewAI
    OPENAI_API_KEY=sk-... python examples/python/crewai_crew.py            # a real model
    python examples/python/crewai_crew.py --offline                         # no model, no network

--offline uses the deterministic test LLM of clients/python/tests/crew_scenario.py, so the example
runs anywhere. Options: --url, --api-key, --model (default gpt-4o-mini).
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.join(HERE, "..", "..", "clients", "python")
sys.path.insert(0, SDK)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run a small CrewAI crew instrumented with AUREN.")
    parser.add_argument("--url", default=os.environ.get("AUREN_INGEST_URL", "http://localhost:3000"))
    parser.add_argument("--api-key", default=os.environ.get("AUREN_API_KEY", "test-key"))
    parser.add_argument("--model", default="gpt-4o-mini", help="a CrewAI model name (needs its API key)")
    parser.add_argument("--offline", action="store_true", help="use a scripted LLM: no API key, no network")
    args = parser.parse_args()
    if args.offline:
        os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
        os.environ.setdefault("OTEL_SDK_DISABLED", "true")
        os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
    elif not os.environ.get("OPENAI_API_KEY") and args.model.startswith("gpt"):
        print("set OPENAI_API_KEY (or pass --model for another provider, or --offline)", file=sys.stderr)
        return 2

    try:
        from crewai import LLM, Agent, Crew, Process, Task
    except ImportError:
        print('CrewAI is not installed: pip install "./clients/python[crewai]"', file=sys.stderr)
        return 2
    from auren import AurenClient
    from auren.crewai import AurenCrewAIListener

    client = AurenClient(args.url, api_key=args.api_key)
    listener = AurenCrewAIListener(client)  # <- the one line

    if args.offline:
        sys.path.insert(0, os.path.join(SDK, "tests"))
        from crew_scenario import build_crew

        crew = build_crew()
    else:
        llm = LLM(model=args.model)
        researcher = Agent(role="Sleep Researcher", goal="Find what affects HRV", backstory="Reads studies.", llm=llm)
        coach = Agent(role="Training Coach", goal="Turn findings into advice", backstory="Practical.", llm=llm)
        crew = Crew(
            agents=[researcher, coach],
            tasks=[
                Task(description="List two factors that lower HRV.", expected_output="two bullet points", agent=researcher),
                Task(description="Give one training tip from those factors.", expected_output="one sentence", agent=coach),
            ],
            process=Process.sequential,
        )
    result = crew.kickoff()
    listener.flush(10)
    client.close()
    stats = client.stats()
    print(f"\nresult: {result}\nAUREN: sent {stats['sent']} events, dropped {stats['dropped']}, failed {stats['failed']}")
    if stats["failed"] or stats["rejected"]:
        print(f"last error: {stats['last_error']} (is `npm start` running at {args.url}?)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
