#!/usr/bin/env python3
"""Agent events over gRPC from Python, with the stubs the SDK ships (``auren.grpc``) next to the
SDK itself (``auren.AurenClient``, over HTTP) in one process.

    npm start                                        # in the repository: gRPC :50051, HTTP :3000
    pip install "./clients/python[grpc]"             # the SDK with grpcio and protobuf
    python examples/python/grpc_publish.py           # then watch http://localhost:8765/

Sends, as agent ``grpc_python``: one event with ``Publish``, two with ``PublishBatch``, three
with ``PublishStream`` (one of them refused: an unknown event type), and one over HTTP with
``AurenClient``. Prints one JSON line with the acknowledgements. Options: --target (default
$AUREN_GRPC_TARGET or 127.0.0.1:50051), --url (HTTP ingest, default $AUREN_INGEST_URL or
http://localhost:3000), --api-key (default $AUREN_API_KEY or test-key), --agent, --session.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))

from auren import AurenClient, InvalidEventError  # noqa: E402

try:
    import grpc
    from google.protobuf import json_format

    from auren.grpc import AgentEventBatch, EventIngestStub, event_to_proto
except ImportError as error:
    print(f"{error}\n(pip install \"./clients/python[grpc]\")", file=sys.stderr)
    sys.exit(2)


def main() -> int:
    parser = argparse.ArgumentParser(description="Publish agent events over gRPC with auren.grpc.")
    parser.add_argument("--target", default=os.environ.get("AUREN_GRPC_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--url", default=os.environ.get("AUREN_INGEST_URL", "http://localhost:3000"))
    parser.add_argument("--api-key", default=os.environ.get("AUREN_API_KEY", "test-key"))
    parser.add_argument("--agent", default="grpc_python")
    parser.add_argument("--session", default=f"grpc-python-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()

    agent = {"id": args.agent, "role": "gRPC Publisher", "goal": "show auren.grpc"}
    common = {"source_agent": agent, "session_id": args.session}
    credentials = [("authorization", f"Bearer {args.api_key}")]
    out: dict = {"session_id": args.session}
    try:
        with grpc.insecure_channel(args.target) as channel:
            stub = EventIngestStub(channel)
            ack = stub.Publish(
                event_to_proto(
                    {
                        **common,
                        "event_type": "llm_call",
                        "payload": {"prompt": "hello", "tags": ["a", "b"], "nested": {"ok": True}},
                        "performance_metrics": {"model": "gpt-4o-mini", "input_tokens": 812, "output_tokens": 164, "tokens_used": 976, "latency_ms": 840.5},
                    }
                ),
                metadata=credentials,
                timeout=10,
            )
            out["publish"] = json_format.MessageToDict(ack, preserving_proto_field_name=True)
            batch = AgentEventBatch(
                events=[
                    event_to_proto({**common, "event_type": "tool_usage", "payload": {"tool_name": "hrv_lookup"}}),
                    event_to_proto({**common, "event_type": "agent_decision", "performance_metrics": {"confidence_score": 0.8}}),
                ]
            )
            out["publish_batch"] = json_format.MessageToDict(
                stub.PublishBatch(batch, metadata=credentials, timeout=10), preserving_proto_field_name=True
            )
            stream = [
                event_to_proto({**common, "event_type": "custom.stream_step", "payload": {"step": 1}}),
                # Refused by the ingest (not by event_to_proto, which would raise InvalidEventError).
                event_to_proto({**common, "event_type": "custom.stream_step", "payload": {"step": 2}}),
                event_to_proto({**common, "event_type": "custom.stream_step", "payload": {"step": 3}}),
            ]
            stream[1].event_type = "not_a_type"
            out["publish_stream"] = json_format.MessageToDict(
                stub.PublishStream(iter(stream), metadata=credentials, timeout=10), preserving_proto_field_name=True
            )
    except grpc.RpcError as error:
        print(f"gRPC {error.code().name}: {error.details()} (is the ingest's gRPC port at {args.target}?)", file=sys.stderr)
        return 1
    try:
        event_to_proto({**common, "event_type": "not_a_type"})
    except InvalidEventError as error:
        out["checked_locally"] = str(error)

    # The SDK's HTTP client in the same process.
    with AurenClient(args.url, api_key=args.api_key, flush_interval=0.2) as client:
        client.track_agent_complete(agent, session_id=args.session, result="sent over gRPC and HTTP")
        client.flush(10)
    out["http"] = {k: v for k, v in client.stats().items() if k in ("sent", "failed", "rejected")}
    print(json.dumps(out))
    return 0 if out["http"]["sent"] == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
