"""auren.grpc: the stubs are what the repository's .proto generates, they import beside the SDK,
and stubs generated the usual way do collide with it (why auren.grpc exists). Publishing over
gRPC to a real ingest is test/e2e/python-grpc.e2e.ts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SDK = Path(__file__).resolve().parents[1]
PROTO_ROOT = SDK.parents[1] / "libs" / "contracts" / "src" / "proto"


def test_the_committed_stubs_are_what_the_proto_generates():
    run = subprocess.run(
        [sys.executable, str(SDK / "scripts" / "generate_grpc.py"), "--check"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr + run.stdout
    # GENERATED_WITH (the versions the import error and pyproject's grpc extra name) is theirs.
    from auren.grpc import GENERATED_WITH, events_pb2_grpc

    header = (SDK / "auren" / "grpc" / "events_pb2.py").read_text()
    assert f"# Protobuf Python Version: {GENERATED_WITH['protobuf']}\n" in header
    assert events_pb2_grpc.GRPC_GENERATED_VERSION == GENERATED_WITH["grpcio"]
    pyproject = (SDK / "pyproject.toml").read_text()
    assert f'grpc = ["grpcio>={GENERATED_WITH["grpcio"]}", "protobuf>={GENERATED_WITH["protobuf"]},<8"]' in pyproject


def test_the_check_fails_when_the_proto_changed(tmp_path):
    proto = tmp_path / "events.proto"
    text = (PROTO_ROOT / "auren" / "events" / "v1" / "events.proto").read_text()
    proto.write_text(text.replace("message FieldViolation {", "message FieldViolation {\n  string hint = 3;"))
    run = subprocess.run(
        [sys.executable, str(SDK / "scripts" / "generate_grpc.py"), "--check", "--proto", str(proto)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and "events_pb2.py" in run.stderr and "generate_grpc.py" in run.stderr, run.stderr


def test_the_sdk_and_the_stubs_import_together():
    import auren
    import auren.events
    from auren import AurenClient
    from auren.grpc import AgentEvent, EventIngestStub, events_pb2

    assert callable(auren.events.validate) and AurenClient  # the SDK's module, not a stub package
    assert events_pb2.DESCRIPTOR.package == "auren.events.v1"
    service = events_pb2.DESCRIPTOR.services_by_name["EventIngest"]
    assert service.full_name == "auren.events.v1.EventIngest"
    assert sorted(m.name for m in service.methods) == ["Publish", "PublishBatch", "PublishStream"]
    assert AgentEvent.DESCRIPTOR.full_name == "auren.events.v1.AgentEvent"
    assert EventIngestStub.__module__ == "auren.grpc.events_pb2_grpc"


def test_stubs_generated_the_usual_way_are_hidden_by_the_sdk(tmp_path):
    """protoc -I libs/contracts/src/proto auren/events/v1/events.proto makes auren/events/v1/*.py:
    with the SDK importable, `auren` is the SDK and `auren.events` its module, not a package."""
    from grpc_tools import protoc

    code = protoc.main(
        ["protoc", f"-I{PROTO_ROOT}", f"-I{Path(protoc.__file__).parent / '_proto'}", f"--python_out={tmp_path}", "auren/events/v1/events.proto"]
    )
    assert code == 0 and (tmp_path / "auren" / "events" / "v1" / "events_pb2.py").is_file()
    for path in ([str(SDK), str(tmp_path)], [str(tmp_path), str(SDK)]):
        run = subprocess.run(
            [sys.executable, "-c", f"import sys; sys.path[:0] = {path!r}; import auren; import auren.events.v1.events_pb2"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 1 and "auren.events" in run.stderr and "is not a package" in run.stderr, run.stderr


def test_event_to_proto_carries_every_field_of_the_json_event():
    from datetime import datetime, timezone

    from google.protobuf import json_format

    from auren.grpc import event_to_proto

    message = event_to_proto(
        {
            "event_type": "llm_call",
            "event_id": "grpc-unit-1",
            "timestamp": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            "session_id": "s1",
            "trace_id": "t1",
            "parent_event_id": "p1",
            "user_id": "alice",
            "source_agent": {"id": "neuroscientist", "role": "Neuroscientist", "goal": "Map", "rank": 3},
            "target_agent": {"id": "coach"},
            "payload": {"tags": ["a", 1, None], "nested": {"ok": True}},
            "metadata": {"run": 7},
            "performance_metrics": {"tokens_used": 12, "latency_ms": 3.5, "success": True, "model": "m", "confidence_score": 0.5},
        }
    )
    as_json = json_format.MessageToDict(message, preserving_proto_field_name=True)
    assert as_json == {
        "event_id": "grpc-unit-1",
        "event_type": "llm_call",
        "timestamp": "2026-01-02T03:04:05.000Z",
        "trace_id": "t1",
        "session_id": "s1",
        "parent_event_id": "p1",
        "user_id": "alice",
        "source_agent": {"id": "neuroscientist", "role": "Neuroscientist", "extra": {"goal": "Map"}},  # non-strings dropped, as by the ingest
        "target_agent": {"id": "coach"},
        "payload": {"tags": ["a", 1.0, None], "nested": {"ok": True}},
        "metadata": {"run": 7.0},
        "performance_metrics": {"tokens_used": "12", "latency_ms": 3.5, "success": True, "model": "m", "confidence_score": 0.5},
    }
    assert event_to_proto({"event_type": "tool_usage", "source_agent": {"id": "a"}}).event_id  # made when absent


def test_event_to_proto_refuses_what_the_ingest_would():
    from auren import InvalidEventError
    from auren.grpc import event_to_proto

    with pytest.raises(InvalidEventError, match="event_type"):
        event_to_proto({"event_type": "nope", "source_agent": {"id": "a"}})
    with pytest.raises(InvalidEventError, match="source_agent.id"):
        event_to_proto({"event_type": "llm_call", "source_agent": {"id": ""}})
    with pytest.raises(ValueError, match="performance_metrics.gpu_percentage"):
        event_to_proto({"event_type": "llm_call", "source_agent": {"id": "a"}, "performance_metrics": {"gpu_percentage": 3}})


def _import_in_child(prelude: str) -> subprocess.CompletedProcess:
    code = f"import sys; sys.path.insert(0, {str(SDK)!r})\n{prelude}\nimport auren.grpc"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_an_older_protobuf_gets_an_import_error_that_says_what_to_install():
    # The runtime as an older protobuf would report itself.
    run = _import_in_child(
        "from google.protobuf import struct_pb2  # loaded first: protobuf's own gencode is checked too\n"
        "import google.protobuf.runtime_version as v; v.MAJOR, v.MINOR, v.PATCH = 7, 30, 0"
    )
    assert run.returncode == 1 and "ImportError: auren.grpc:" in run.stderr, run.stderr
    assert "protobuf>=7.35.1" in run.stderr and 'pip install "auren-realtime[grpc]"' in run.stderr, run.stderr


def test_a_second_copy_of_the_stubs_in_one_process_is_named_as_the_problem(tmp_path):
    generate = subprocess.run(
        [sys.executable, str(SDK / "scripts" / "generate_grpc.py"), "--package", "my_auren_stubs", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert generate.returncode == 0, generate.stderr
    run = _import_in_child(f"sys.path.insert(0, {str(tmp_path)!r}); import my_auren_stubs.events_pb2_grpc")
    assert run.returncode == 1 and "another copy of the auren.events.v1 stubs is already loaded" in run.stderr, run.stderr
