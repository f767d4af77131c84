#!/usr/bin/env python3
"""A pretend agent that reports what it does to AUREN with the plain Python SDK.

    npm start                                   # in the repository: ingest :3000, live page :8765
    pip install ./clients/python                # or: export PYTHONPATH=clients/python
    python examples/python/plain_agent.py       # then watch http://localhost:8765/

Options: --url (default $AUREN_INGEST_URL or http://localhost:3000), --api-key (default
$AUREN_API_KEY or test-key, accepted in development mode), --runs.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
from auren import AurenClient  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="Send a few agent runs to an AUREN ingest with the Python SDK.")
    parser.add_argument("--url", default=os.environ.get("AUREN_INGEST_URL", "http://localhost:3000"))
    parser.add_argument("--api-key", default=os.environ.get("AUREN_API_KEY", "test-key"))
    parser.add_argument("--runs", type=int, default=3, help="agent runs to simulate (default 3)")
    args = parser.parse_args()

    with AurenClient(args.url, api_key=args.api_key, flush_interval=0.5) as client:
        for run in range(1, args.runs + 1):
            agent = {"id": "neuroscientist", "role": "Neuroscientist", "goal": "explain HRV changes"}
            session = client.track_agent_start(agent, task=f"analyse last night's HRV (run {run})")
            client.track_memory_access("neuroscientist", tier="redis", operation="read", hit=True, latency_ms=1.2)
            started = time.monotonic()
            time.sleep(random.uniform(0.05, 0.2))  # the "LLM call"
            client.track_llm_call(
                "neuroscientist",
                model="gpt-4o-mini",
                input_tokens=random.randint(400, 900),
                output_tokens=random.randint(80, 200),
                latency_ms=(time.monotonic() - started) * 1000,
                token_cost=0.0004,
            )
            client.track_tool_usage("neuroscientist", tool_name="hrv_lookup", tool_input={"days": 7}, latency_ms=18)
            client.track_hypothesis("neuroscientist", hypothesis="HRV dip follows short sleep", confidence=0.74)
            client.track_collaboration(
                "neuroscientist", collaborating_agents=["training_coach"], consensus_reached=True, topic="rest day"
            )
            client.track_decision("neuroscientist", decision="recommend a rest day", confidence=0.81)
            client.track_agent_complete("neuroscientist", session=session, result="rest day recommended")
            print(f"run {run}: session {session.session_id}")
        if not client.flush(10):
            print("could not send everything within 10 s; closing", file=sys.stderr)
    stats = client.stats()  # after close(): final counts
    print(f"sent {stats['sent']} events, dropped {stats['dropped']}, failed {stats['failed']}")
    if stats["failed"] or stats["rejected"]:
        print(f"last error: {stats['last_error']} (is `npm start` running at {args.url}?)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
