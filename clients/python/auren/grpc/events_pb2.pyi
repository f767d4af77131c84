from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AgentRef(_message.Message):
    __slots__ = ("id", "role", "extra")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    id: str
    role: str
    extra: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., role: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class PerformanceMetrics(_message.Message):
    __slots__ = ("latency_ms", "token_cost", "success", "confidence_score", "tokens_used", "input_tokens", "output_tokens", "model", "memory_usage_mb", "cpu_percentage", "error_type")
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COST_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_SCORE_FIELD_NUMBER: _ClassVar[int]
    TOKENS_USED_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MEMORY_USAGE_MB_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    latency_ms: float
    token_cost: float
    success: bool
    confidence_score: float
    tokens_used: int
    input_tokens: int
    output_tokens: int
    model: str
    memory_usage_mb: float
    cpu_percentage: float
    error_type: str
    def __init__(self, latency_ms: _Optional[float] = ..., token_cost: _Optional[float] = ..., success: _Optional[bool] = ..., confidence_score: _Optional[float] = ..., tokens_used: _Optional[int] = ..., input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., model: _Optional[str] = ..., memory_usage_mb: _Optional[float] = ..., cpu_percentage: _Optional[float] = ..., error_type: _Optional[str] = ...) -> None: ...

class AgentEvent(_message.Message):
    __slots__ = ("event_id", "event_type", "timestamp", "trace_id", "session_id", "parent_event_id", "user_id", "source_agent", "target_agent", "payload", "metadata", "performance_metrics", "received_at", "stream_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_AGENT_FIELD_NUMBER: _ClassVar[int]
    TARGET_AGENT_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PERFORMANCE_METRICS_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event_type: str
    timestamp: str
    trace_id: str
    session_id: str
    parent_event_id: str
    user_id: str
    source_agent: AgentRef
    target_agent: AgentRef
    payload: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    performance_metrics: PerformanceMetrics
    received_at: str
    stream_id: str
    def __init__(self, event_id: _Optional[str] = ..., event_type: _Optional[str] = ..., timestamp: _Optional[str] = ..., trace_id: _Optional[str] = ..., session_id: _Optional[str] = ..., parent_event_id: _Optional[str] = ..., user_id: _Optional[str] = ..., source_agent: _Optional[_Union[AgentRef, _Mapping]] = ..., target_agent: _Optional[_Union[AgentRef, _Mapping]] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., performance_metrics: _Optional[_Union[PerformanceMetrics, _Mapping]] = ..., received_at: _Optional[str] = ..., stream_id: _Optional[str] = ...) -> None: ...

class AgentEventBatch(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AgentEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[AgentEvent, _Mapping]]] = ...) -> None: ...

class PublishAck(_message.Message):
    __slots__ = ("accepted", "event_id", "stream_id", "duplicate")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    event_id: str
    stream_id: str
    duplicate: bool
    def __init__(self, accepted: _Optional[int] = ..., event_id: _Optional[str] = ..., stream_id: _Optional[str] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class PublishResult(_message.Message):
    __slots__ = ("index", "event_id", "stream_id", "duplicate")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    index: int
    event_id: str
    stream_id: str
    duplicate: bool
    def __init__(self, index: _Optional[int] = ..., event_id: _Optional[str] = ..., stream_id: _Optional[str] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class FieldViolation(_message.Message):
    __slots__ = ("field", "message")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    field: str
    message: str
    def __init__(self, field: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class RejectedEvent(_message.Message):
    __slots__ = ("index", "message", "violations")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    index: int
    message: str
    violations: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    def __init__(self, index: _Optional[int] = ..., message: _Optional[str] = ..., violations: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ...) -> None: ...

class PublishBatchAck(_message.Message):
    __slots__ = ("accepted", "results", "rejected")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    results: _containers.RepeatedCompositeFieldContainer[PublishResult]
    rejected: _containers.RepeatedCompositeFieldContainer[RejectedEvent]
    def __init__(self, accepted: _Optional[int] = ..., results: _Optional[_Iterable[_Union[PublishResult, _Mapping]]] = ..., rejected: _Optional[_Iterable[_Union[RejectedEvent, _Mapping]]] = ...) -> None: ...
