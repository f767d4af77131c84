"""An app instrumented with OpenInference, exporting OTLP to AUREN.

An agent span (OITracer's `@tracer.agent`) holds a chain step, and in it a chat call and an
embeddings call to the (fake) OpenAI API, instrumented by openinference-instrumentation-openai,
and one tool (`@tracer.tool`); all of it in a session (`using_session`). Configured by the
standard OTEL_* variables. Prints one JSON line: the trace id, what the fake server was asked
and what ingest answered to each export (the chain span maps to no AUREN event, so the answer's
partial_success names it).

    python openinference_app.py      # next to a running ingest
"""

from __future__ import annotations

import json
import sys

from fake_openai import FakeOpenAI
from otlp_answers import recording_exporter


def main() -> int:
    server = FakeOpenAI()
    exporter, answers = recording_exporter()

    import openai
    from openinference.instrumentation import TracerProvider, using_session
    from openinference.instrumentation.openai import OpenAIInstrumentor
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()  # OpenInference's: its tracers have the @agent/@chain/@tool decorators
    provider.add_span_processor(BatchSpanProcessor(exporter))
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    tracer = provider.get_tracer("openinference-app")
    client = openai.OpenAI(base_url=server.base_url, api_key="fake-key", max_retries=0)

    @tracer.tool(name="web_search")
    def web_search(query: str) -> str:
        return f"3 results for {query}"

    @tracer.chain(name="plan_steps")
    def plan_steps(question: str) -> str:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}])
        client.embeddings.create(model="text-embedding-3-small", input=question)
        return web_search(question)

    trace_ids: list[str] = []

    @tracer.agent(name="oi_planner")
    def planner(question: str) -> str:
        trace_ids.append(format(trace.get_current_span().get_span_context().trace_id, "032x"))
        return plan_steps(question)

    with using_session("oi-session-1"):
        result = planner("Which papers?")
    flushed = provider.force_flush(10_000)
    print(
        json.dumps(
            {
                "trace_id": trace_ids[0],
                "result": result,
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
