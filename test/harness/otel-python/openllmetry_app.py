"""An app instrumented with OpenLLMetry (traceloop-sdk), exporting OTLP to AUREN.

A workflow runs a task whose agent asks the (fake) OpenAI chat API once and calls one tool:
the Traceloop decorators make the workflow, task, agent and tool spans (`traceloop.span.kind`),
OpenLLMetry's OpenAI instrumentation the chat span. Configured by the standard OTEL_* variables
(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT...). Prints one JSON line: the trace id, what the fake
server was asked and what ingest answered to each export.

    python openllmetry_app.py        # next to a running ingest
"""

from __future__ import annotations

import json
import os
import sys

from fake_openai import FakeOpenAI
from otlp_answers import recording_exporter


def main() -> int:
    server = FakeOpenAI()
    exporter, answers = recording_exporter()

    import openai
    from opentelemetry import trace
    from traceloop.sdk import Traceloop
    from traceloop.sdk.decorators import agent, task, tool, workflow
    from traceloop.sdk.instruments import Instruments

    Traceloop.init(
        app_name=os.environ.get("OTEL_SERVICE_NAME", "openllmetry-app"),
        exporter=exporter,
        telemetry_enabled=False,
        instruments={Instruments.OPENAI},
    )
    client = openai.OpenAI(base_url=server.base_url, api_key="fake-key", max_retries=0)

    @tool(name="word_count")
    def word_count(text: str) -> int:
        return len(text.split())

    @agent(name="tl_researcher")
    def researcher(question: str) -> int:
        answer = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
        )
        return word_count(answer.choices[0].message.content or "")

    @task(name="summarise")
    def summarise(question: str) -> int:
        return researcher(question)

    trace_ids: list[str] = []

    @workflow(name="tl_research_flow")
    def research_flow() -> int:
        trace_ids.append(format(trace.get_current_span().get_span_context().trace_id, "032x"))
        return summarise("How many words?")

    words = research_flow()
    flushed = trace.get_tracer_provider().force_flush(10_000)  # type: ignore[attr-defined]
    print(
        json.dumps(
            {
                "trace_id": trace_ids[0],
                "words": words,
                "flushed": flushed,
                "requests": server.requests,
                "exports": answers,
            }
        )
    )
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
