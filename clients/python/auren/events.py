"""Event shape and client-side checks (CONTRACT §1).

The ingest validates every event again; checking here keeps one bad event from getting a whole
batch refused (a batch is all-or-nothing) and reports the mistake where it was made.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timezone
from typing import Any, Mapping

AGENT_EVENT_TYPES = (
    "agent_execution_started",
    "agent_execution_completed",
    "agent_collaboration",
    "agent_decision",
    "llm_call",
    "tool_usage",
    "memory_tier_access",
    "hypothesis_formation",
    "knowledge_access",
)
SYSTEM_EVENT_TYPES = ("system_health", "performance_metric", "conversation_event")
KNOWN_EVENT_TYPES = frozenset(AGENT_EVENT_TYPES + SYSTEM_EVENT_TYPES)
_CUSTOM = re.compile(r"^custom\.[A-Za-z0-9_.:-]{1,120}$")

ID_MAX = 128
ROLE_MAX = 256
AGENT_EXTRA_MAX = 8192
AGENT_EXTRA_FIELDS_MAX = 32
MAX_DEPTH = 32
MAX_BODY_BYTES = 1024 * 1024
MAX_BATCH = 1000

_INT_METRICS = ("tokens_used", "input_tokens", "output_tokens")
_NONNEG_METRICS = ("latency_ms", "token_cost", "memory_usage_mb")
_STR_METRICS = {"model": 256, "error_type": 256}


class InvalidEventError(ValueError):
    """An event the ingest would refuse; ``field`` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def is_event_type(value: Any) -> bool:
    return isinstance(value, str) and (value in KNOWN_EVENT_TYPES or bool(_CUSTOM.match(value)))


def new_event_id() -> str:
    return str(uuid.uuid4())


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (
        value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def agent_ref(agent: str | Mapping[str, Any], field: str = "source_agent") -> dict[str, str]:
    """``"neuroscientist"`` or ``{"id": ..., "role": ..., other string fields}`` as an agent object."""
    if isinstance(agent, str):
        ref: dict[str, str] = {"id": agent}
    elif isinstance(agent, Mapping):
        # Non-string extras are dropped by the ingest; leave them out here already.
        ref = {k: v for k, v in agent.items() if isinstance(v, str)}
    else:
        raise InvalidEventError(field, f"must be an agent id (str) or a mapping with 'id', got {type(agent).__name__}")
    return ref


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    for attr in ("model_dump", "to_dict", "dict"):
        method = getattr(value, attr, None)
        if callable(method):
            try:
                return method()
            except Exception:  # noqa: BLE001 - fall through to str()
                break
    return str(value)


def encode(event: Mapping[str, Any]) -> bytes:
    """Compact JSON; values JSON cannot hold (datetimes, objects) become strings."""
    return json.dumps(event, default=_json_default, separators=(",", ":"), ensure_ascii=False).encode()


def _depth(value: Any, limit: int) -> int:
    """Nesting depth as the ingest counts it (an object or list is one level), stopping past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _check_id(event: Mapping[str, Any], key: str, required: bool = False) -> None:
    value = event.get(key)
    if value is None:
        if required:
            raise InvalidEventError(key, "is required")
        return
    if not isinstance(value, str) or not 1 <= len(value) <= ID_MAX:
        raise InvalidEventError(key, f"must be a string of 1..{ID_MAX} characters")


def _check_agent(value: Any, field: str) -> None:
    if not isinstance(value, Mapping):
        raise InvalidEventError(field, "must be an object with an id")
    agent_id = value.get("id")
    if not isinstance(agent_id, str) or not 1 <= len(agent_id) <= ID_MAX:
        raise InvalidEventError(f"{field}.id", f"must be a string of 1..{ID_MAX} characters")
    role = value.get("role")
    if role is not None and (not isinstance(role, str) or len(role) > ROLE_MAX):
        raise InvalidEventError(f"{field}.role", f"must be a string of at most {ROLE_MAX} characters")
    extras = [k for k, v in value.items() if k not in ("id", "role") and isinstance(v, str)]
    if len(extras) > AGENT_EXTRA_FIELDS_MAX:
        raise InvalidEventError(field, f"has more than {AGENT_EXTRA_FIELDS_MAX} extra fields")
    for key in extras:
        if len(value[key]) > AGENT_EXTRA_MAX:
            raise InvalidEventError(f"{field}.{key}", f"must be at most {AGENT_EXTRA_MAX} characters")


def _check_metrics(metrics: Any) -> None:
    if not isinstance(metrics, Mapping):
        raise InvalidEventError("performance_metrics", "must be an object")
    for key, value in metrics.items():
        field = f"performance_metrics.{key}"
        if value is None:
            continue
        if key in _INT_METRICS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidEventError(field, "must be an integer >= 0")
        elif key in _NONNEG_METRICS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise InvalidEventError(field, "must be a number >= 0")
        elif key == "confidence_score":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise InvalidEventError(field, "must be a number between 0 and 1")
        elif key == "cpu_percentage":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
                raise InvalidEventError(field, "must be a number between 0 and 100")
        elif key == "success":
            if not isinstance(value, bool):
                raise InvalidEventError(field, "must be true or false")
        elif key in _STR_METRICS:
            if not isinstance(value, str) or len(value) > _STR_METRICS[key]:
                raise InvalidEventError(field, f"must be a string of at most {_STR_METRICS[key]} characters")


def validate(event: Mapping[str, Any]) -> None:
    """Raises :class:`InvalidEventError` for what the ingest would answer 400."""
    event_type = event.get("event_type")
    if not is_event_type(event_type):
        allowed = ", ".join(sorted(KNOWN_EVENT_TYPES))
        raise InvalidEventError("event_type", f"{event_type!r} is not one of {allowed}, or custom.<name>")
    _check_id(event, "event_id")
    for key in ("trace_id", "session_id", "parent_event_id", "user_id"):
        _check_id(event, key)
    _check_agent(event.get("source_agent"), "source_agent")
    if event.get("target_agent") is not None:
        _check_agent(event["target_agent"], "target_agent")
    timestamp = event.get("timestamp")
    if timestamp is not None:
        # The server takes RFC 3339 date-times: a time and an offset are required (docs/ingest.md).
        text = str(timestamp)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None or "T" not in text.upper():
            raise InvalidEventError(
                "timestamp",
                "must be an RFC 3339 date-time string with an offset, such as 2025-01-24T10:30:00.000Z",
            ) from None
    for key in ("payload", "metadata"):
        value = event.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise InvalidEventError(key, "must be an object")
        if _depth(value, MAX_DEPTH) > MAX_DEPTH:
            raise InvalidEventError(key, f"is nested deeper than {MAX_DEPTH} levels")
    if event.get("performance_metrics") is not None:
        _check_metrics(event["performance_metrics"])


def clean(mapping: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy without the ``None`` values."""
    return {k: v for k, v in (mapping or {}).items() if v is not None}
