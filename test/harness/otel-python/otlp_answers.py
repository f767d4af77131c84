"""An OTLP/HTTP span exporter that keeps what the receiver answered.

The Python exporter reads only the status code of an export's answer; the body, an
`ExportTraceServiceResponse` whose `partial_success` says which spans AUREN did not store and
why, goes unread. The tests want it, so the exporter's `requests` session records every answer.
"""

from __future__ import annotations

from typing import Any, TypedDict

import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse


class ExportAnswer(TypedDict):
    status: int
    rejected_spans: int
    error_message: str


def recording_exporter() -> tuple[OTLPSpanExporter, list[ExportAnswer]]:
    """An exporter configured by the OTEL_EXPORTER_OTLP_* variables, and the list it fills."""
    answers: list[ExportAnswer] = []

    def record(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        answer: ExportAnswer = {"status": response.status_code, "rejected_spans": 0, "error_message": ""}
        if response.status_code == 200 and response.content:
            decoded = ExportTraceServiceResponse()
            decoded.ParseFromString(response.content)
            answer["rejected_spans"] = decoded.partial_success.rejected_spans
            answer["error_message"] = decoded.partial_success.error_message
        answers.append(answer)

    session = requests.Session()
    session.hooks["response"].append(record)
    return OTLPSpanExporter(session=session), answers
