"""gRPC stubs of the AUREN ingest (proto package ``auren.events.v1``, service ``EventIngest``),
shipped with the SDK. Needs ``pip install "auren-realtime[grpc]"`` (grpcio, protobuf).

    import grpc
    from auren.grpc import EventIngestStub, event_to_proto

    with grpc.insecure_channel("127.0.0.1:50051") as channel:
        ack = EventIngestStub(channel).Publish(
            event_to_proto({"event_type": "llm_call", "source_agent": {"id": "neuroscientist"}}),
            metadata=[("authorization", "Bearer test-key")],
        )
    print(ack.event_id, ack.stream_id)

``events_pb2`` and ``events_pb2_grpc`` are generated from the repository's
``libs/contracts/src/proto/auren/events/v1/events.proto`` by ``scripts/generate_grpc.py`` (a test
checks that they are current). They live under ``auren.grpc`` because stubs generated the usual
way form a package ``auren.events.v1``, which the SDK's ``auren.events`` module hides. The wire
is the same: method paths and message names are those of ``auren.events.v1``. See docs/grpc.md.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

try:
    import grpc  # noqa: F401 - checked here for a clear message
    from google.protobuf import struct_pb2  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError('auren.grpc needs grpcio and protobuf: pip install "auren-realtime[grpc]"') from error

#: The grpcio-tools (and protobuf) the stubs were generated with: the oldest grpcio / protobuf they load with.
GENERATED_WITH = {"grpcio": "1.85.1", "protobuf": "7.35.1"}

try:
    from . import events_pb2, events_pb2_grpc
except Exception as error:  # protobuf's VersionError, grpc's RuntimeError, a descriptor pool clash
    if "duplicate symbol" in str(error):
        hint = (
            "another copy of the auren.events.v1 stubs is already loaded in this process (protobuf's "
            "default pool takes one definition of each message): use either that copy or auren.grpc"
        )
    else:
        hint = (
            f"the stubs need grpcio>={GENERATED_WITH['grpcio']} and protobuf>={GENERATED_WITH['protobuf']}: "
            'pip install "auren-realtime[grpc]", or generate stubs for your versions with '
            "scripts/generate_grpc.py --package <your package> (docs/grpc.md)"
        )
    raise ImportError(f"auren.grpc: {error}; {hint}") from error

from ..events import encode, new_event_id, validate  # noqa: E402

AgentEvent = events_pb2.AgentEvent
AgentEventBatch = events_pb2.AgentEventBatch
AgentRef = events_pb2.AgentRef
PerformanceMetrics = events_pb2.PerformanceMetrics
PublishAck = events_pb2.PublishAck
PublishBatchAck = events_pb2.PublishBatchAck
EventIngestStub = events_pb2_grpc.EventIngestStub

_SCALARS = ("event_id", "event_type", "timestamp", "trace_id", "session_id", "parent_event_id", "user_id")
_INT_METRICS = frozenset({"tokens_used", "input_tokens", "output_tokens"})


def _agent(message: Any, agent: Mapping[str, Any]) -> None:
    message.id = agent["id"]
    if agent.get("role") is not None:
        message.role = agent["role"]
    extra = {k: v for k, v in agent.items() if k not in ("id", "role") and isinstance(v, str)}
    if extra:
        message.extra.update(extra)


def event_to_proto(event: Mapping[str, Any]) -> Any:
    """The JSON agent event (CONTRACT §1, field names as ``AurenClient.send`` takes them) as an
    ``AgentEvent`` message.

    Checked first with the SDK's rules: :class:`auren.InvalidEventError` for what the ingest would
    refuse. Values JSON cannot hold become strings as in the SDK (a ``datetime`` an ISO string);
    an ``event_id`` is made when absent (so a resend is de-duplicated), the ``timestamp`` is left
    to the server. Performance metrics the proto does not know are refused (``ValueError``).
    """
    body = json.loads(encode(event))
    body.setdefault("event_id", new_event_id())
    validate(body)
    message = AgentEvent()
    for name in _SCALARS:
        if body.get(name) is not None:
            setattr(message, name, str(body[name]))
    _agent(message.source_agent, body["source_agent"])
    if body.get("target_agent") is not None:
        _agent(message.target_agent, body["target_agent"])
    for name in ("payload", "metadata"):
        if body.get(name):
            getattr(message, name).update(body[name])
    known = set(PerformanceMetrics.DESCRIPTOR.fields_by_name)
    for name, value in (body.get("performance_metrics") or {}).items():
        if value is None:
            continue
        if name not in known:
            raise ValueError(f"performance_metrics.{name} is not a field of auren.events.v1.PerformanceMetrics")
        setattr(message.performance_metrics, name, int(value) if name in _INT_METRICS else value)
    return message


__all__ = [
    "AgentEvent",
    "AgentEventBatch",
    "AgentRef",
    "EventIngestStub",
    "GENERATED_WITH",
    "PerformanceMetrics",
    "PublishAck",
    "PublishBatchAck",
    "event_to_proto",
    "events_pb2",
    "events_pb2_grpc",
]
