"""CrewAI integration: one line turns a crew's events into AUREN events.

    from auren import AurenClient
    from auren.crewai import AurenCrewAIListener

    AurenCrewAIListener(AurenClient("http://localhost:3000", api_key="test-key"))
    crew.kickoff()

Needs ``pip install "auren-realtime[crewai]"`` (CrewAI 1.x, ``crewai.events``).
What maps to what is listed in docs/sdk-python.md.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from datetime import datetime
from typing import Any, Callable

try:
    from crewai.events import BaseEventListener, crewai_event_bus
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        'auren.crewai needs CrewAI 1.x: pip install "auren-realtime[crewai]" (or pip install crewai)'
    ) from error

from .client import AurenClient
from .events import to_iso

log = logging.getLogger("auren.crewai")

_SLUG = re.compile(r"[^a-z0-9]+")
# The CrewAI event classes this listener maps, by module; classes a CrewAI version lacks are skipped.
_EVENT_CLASSES = {
    "crewai.events.types.crew_events": ("CrewKickoffStartedEvent", "CrewKickoffCompletedEvent", "CrewKickoffFailedEvent"),
    "crewai.events.types.agent_events": (
        "AgentExecutionStartedEvent",
        "AgentExecutionCompletedEvent",
        "AgentExecutionErrorEvent",
    ),
    "crewai.events.types.task_events": ("TaskStartedEvent", "TaskCompletedEvent", "TaskFailedEvent"),
    "crewai.events.types.llm_events": ("LLMCallStartedEvent", "LLMCallCompletedEvent", "LLMCallFailedEvent"),
    "crewai.events.types.tool_usage_events": ("ToolUsageStartedEvent", "ToolUsageFinishedEvent", "ToolUsageErrorEvent"),
    "crewai.events.types.memory_events": (
        "MemoryQueryCompletedEvent",
        "MemoryQueryFailedEvent",
        "MemorySaveCompletedEvent",
        "MemorySaveFailedEvent",
        "MemoryRetrievalCompletedEvent",
        "MemoryRetrievalFailedEvent",
    ),
    "crewai.events.types.knowledge_events": (
        "KnowledgeRetrievalCompletedEvent",
        "KnowledgeQueryFailedEvent",
        "KnowledgeSearchQueryFailedEvent",
    ),
}


def role_to_agent_id(role: str | None) -> str:
    """``"Senior Data Researcher"`` → ``"senior_data_researcher"``: stable across runs (CrewAI's ids are not)."""
    slug = _SLUG.sub("_", (role or "").strip().lower()).strip("_")
    return (slug or "crewai_agent")[:128]


def _usage_tokens(usage: Any) -> tuple[int | None, int | None]:
    """(input, output) tokens from a provider usage dict, with the aliases CrewAI's providers use."""
    if not isinstance(usage, dict) or not usage:
        return None, None

    def first(*keys: str) -> int | None:
        for key in keys:
            value = usage.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return max(0, int(value))
        return None

    prompt = first("prompt_tokens", "input_tokens", "prompt_token_count")
    completion = first("completion_tokens", "output_tokens", "candidates_token_count")
    if completion is None and prompt is not None:
        total = first("total_tokens", "total_token_count")
        completion = max(0, total - prompt) if total is not None else None
    return prompt, completion


def _ms_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds() * 1000), 3)


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(getattr(value, "raw", value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Bounded(OrderedDict):
    """A dict that forgets its oldest entries past ``limit`` (pairs whose other half never came)."""

    def __init__(self, limit: int = 2048) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        while len(self) > self.limit:
            self.popitem(last=False)


class AurenCrewAIListener(BaseEventListener):
    """A CrewAI ``BaseEventListener`` that sends each crew, agent, task, LLM, tool, memory and
    knowledge event to AUREN through ``client``. Creating it is enough: it registers itself on
    CrewAI's event bus. Handlers only enqueue (see :class:`~auren.AurenClient`) and never raise.

    ``agent_id`` maps a CrewAI role to the AUREN agent id (default: :func:`role_to_agent_id`).
    ``capture_content`` sends task outputs, LLM responses and tool inputs/outputs, cut to
    ``max_content_chars``; off, only sizes and names are sent.
    """

    def __init__(
        self,
        client: AurenClient,
        *,
        agent_id: Callable[[str | None], str] = role_to_agent_id,
        crew_agent_id: str | None = None,
        capture_content: bool = True,
        max_content_chars: int = 2000,
    ) -> None:
        self.client = client
        self.agent_id = agent_id
        self.crew_agent_id = crew_agent_id
        self.capture_content = capture_content
        self.max_content_chars = max_content_chars
        self._lock = threading.Lock()
        self._traces: dict[str, str] = {}  # crewai agent uuid -> trace_id of its crew's latest kickoff
        self._crew_starts = _Bounded()  # kickoff start event id -> (trace_id, start time)
        self._runs = _Bounded()  # (agent uuid, task id) -> (session_id, start event id, start time)
        self._tasks = _Bounded()  # task id -> start time
        self._llm_calls = _Bounded()  # call_id -> started event or completion waiting for it
        self._tools = _Bounded()  # (agent, tool) -> start time
        self._handlers: list[tuple[type, Callable[..., None]]] = []
        self.errors = 0
        super().__init__()

    # ------------------------------------------------------------------ registration

    def setup_listeners(self, crewai_event_bus: Any) -> None:  # noqa: D102 - CrewAI's hook
        import importlib

        for module_name, class_names in _EVENT_CLASSES.items():
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                log.debug("auren: %s not in this CrewAI version", module_name)
                continue
            for class_name in class_names:
                event_class = getattr(module, class_name, None)
                method = getattr(self, f"_on_{_snake(class_name)}", None)
                if event_class is None or method is None:
                    continue
                handler = self._guard(method)
                crewai_event_bus.on(event_class)(handler)
                self._handlers.append((event_class, handler))

    def uninstall(self) -> None:
        """Stops listening (the client stays open)."""
        for event_class, handler in self._handlers:
            crewai_event_bus.off(event_class, handler)
        self._handlers.clear()

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits for CrewAI's handlers to finish, then for the client to send everything."""
        deadline = time.monotonic() + timeout
        crewai_event_bus.flush(timeout=timeout)
        return self.client.flush(max(0.0, deadline - time.monotonic()))

    def _guard(self, method: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def handler(source: Any, event: Any) -> None:
            try:
                method(event, source)
            except Exception:  # noqa: BLE001 - observability must never break the crew
                self.errors += 1
                log.warning("auren: could not map CrewAI event %s", getattr(event, "type", event), exc_info=True)

        handler.__name__ = f"auren_{method.__name__}"
        return handler

    # ------------------------------------------------------------------ helpers

    def _agent(self, role: str | None, crewai_id: Any = None, agent: Any = None) -> dict[str, str]:
        ref = {"id": self.agent_id(role), "role": role or "agent"}
        if crewai_id:
            ref["crewai_id"] = str(crewai_id)
        goal = getattr(agent, "goal", None)
        if isinstance(goal, str) and goal:
            ref["goal"] = goal[:8192]
        return ref

    def _crew_ref(self, event: Any, crew: Any) -> dict[str, str]:
        name = getattr(event, "crew_name", None) or getattr(crew, "name", None) or "crew"
        ref = {"id": self.crew_agent_id or role_to_agent_id(f"crew {name}"), "role": "crew"}
        if getattr(crew, "id", None):
            ref["crewai_id"] = str(crew.id)
        return ref

    @staticmethod
    def _crew_of(event: Any, source: Any) -> Any:
        crew = getattr(event, "crew", None) or source
        return crew if hasattr(crew, "agents") else None

    def _trace(self, *keys: Any) -> str | None:
        with self._lock:
            for key in keys:
                if key is not None and str(key) in self._traces:
                    return self._traces[str(key)]
        return None

    def _common(self, event: Any, **extra: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {"timestamp": to_iso(event.timestamp) if getattr(event, "timestamp", None) else None}
        metadata = {"source": "crewai", "crewai_event": getattr(event, "type", None)}
        task_name = getattr(event, "task_name", None)
        if task_name:
            metadata["task"] = _text(task_name, 200)
        if getattr(event, "task_id", None):
            metadata["task_id"] = str(event.task_id)
        fields["metadata"] = metadata
        fields.update(extra)
        return {k: v for k, v in fields.items() if v is not None}

    def _content(self, value: Any) -> Any:
        return _text(value, self.max_content_chars) if self.capture_content else None

    def _run_of(self, agent_uuid: Any, task_id: Any) -> tuple[str, str, datetime] | None:
        with self._lock:
            return self._runs.get((str(agent_uuid), str(task_id)))

    # ------------------------------------------------------------------ crew

    def _on_crew_kickoff_started_event(self, event: Any, source: Any = None) -> None:
        # CrewAI waits for these handlers before the crew starts: the agents' trace is known in time.
        crew = self._crew_of(event, source)
        trace_id = uuid.uuid4().hex
        agents = [self.agent_id(a.role) for a in getattr(crew, "agents", None) or []]
        with self._lock:
            for agent in getattr(crew, "agents", None) or []:
                self._traces[str(agent.id)] = trace_id
            self._crew_starts.put(event.event_id, (trace_id, event.timestamp))
            if crew is not None:  # a failed kickoff's event does not name its start
                self._crew_starts.put(("crew", str(crew.id)), (trace_id, event.timestamp))
        self.client.track(
            "agent_execution_started",
            self._crew_ref(event, crew),
            payload={"kind": "crew_kickoff", "crew_name": event.crew_name, "agents": agents, "inputs": event.inputs},
            **self._common(event, event_id=str(uuid.uuid4()), trace_id=trace_id, session_id=trace_id),
        )

    def _crew_done(self, event: Any, source: Any, success: bool, error: str | None) -> None:
        crew = self._crew_of(event, source)
        with self._lock:
            by_crew = self._crew_starts.pop(("crew", str(crew.id)), None) if crew is not None else None
            by_event = self._crew_starts.pop(getattr(event, "started_event_id", None), None)
            trace_id, started = by_event or by_crew or (None, None)
        ref = self._crew_ref(event, crew)
        agents = list(dict.fromkeys(self.agent_id(a.role) for a in getattr(crew, "agents", None) or []))
        common = self._common(event, trace_id=trace_id, session_id=trace_id)
        if success and len(agents) > 1:
            self.client.track_collaboration(ref, collaborating_agents=agents, consensus_reached=True, **common)
        total = getattr(event, "total_tokens", None)
        self.client.track(
            "agent_execution_completed",
            ref,
            payload={
                "kind": "crew_kickoff",
                "crew_name": event.crew_name,
                "output": self._content(getattr(event, "output", None)),
                "error": error,
                # CrewAI's own count; not tokens_used, or per-agent token totals would count twice.
                "crewai_total_tokens": total if isinstance(total, int) else None,
            },
            performance_metrics={
                "latency_ms": _ms_between(started, event.timestamp),
                "success": success,
                "error_type": None if success else "crew_kickoff_failed",
            },
            **common,
        )
        self.client.flush(timeout=0)  # a nudge: send now, do not wait

    def _on_crew_kickoff_completed_event(self, event: Any, source: Any = None) -> None:
        self._crew_done(event, source, True, None)

    def _on_crew_kickoff_failed_event(self, event: Any, source: Any = None) -> None:
        self._crew_done(event, source, False, _text(event.error, 2000))

    # ------------------------------------------------------------------ agents

    def _on_agent_execution_started_event(self, event: Any, source: Any = None) -> None:
        agent, task = event.agent, event.task
        task_id = getattr(task, "id", None)
        session_id = str(uuid.uuid4())
        start_id = str(uuid.uuid4())
        with self._lock:
            self._runs.put((str(agent.id), str(task_id)), (session_id, start_id, event.timestamp))
        tools = [getattr(t, "name", str(t)) for t in event.tools or []]
        self.client.track(
            "agent_execution_started",
            self._agent(agent.role, agent.id, agent),
            payload={"task": self._content(getattr(task, "description", None)), "tools": tools},
            **self._common(
                event,
                event_id=start_id,
                session_id=session_id,
                trace_id=self._trace(agent.id),
                task_id=str(task_id) if task_id else None,
            ),
        )

    def _agent_done(self, event: Any, success: bool, output: Any, error: str | None) -> None:
        agent, task = event.agent, event.task
        task_id = getattr(task, "id", None)
        with self._lock:
            run = self._runs.pop((str(agent.id), str(task_id)), None)
        session_id, start_id, started = run if run else (None, None, None)
        self.client.track(
            "agent_execution_completed",
            self._agent(agent.role, agent.id),
            payload={"output": self._content(output), "error": error},
            performance_metrics={
                "latency_ms": _ms_between(started, event.timestamp),
                "success": success,
                "error_type": None if success else "agent_execution_error",
            },
            **self._common(event, session_id=session_id, parent_event_id=start_id, trace_id=self._trace(agent.id)),
        )

    def _on_agent_execution_completed_event(self, event: Any, source: Any = None) -> None:
        self._agent_done(event, True, event.output, None)

    def _on_agent_execution_error_event(self, event: Any, source: Any = None) -> None:
        self._agent_done(event, False, None, _text(event.error, 2000))

    # ------------------------------------------------------------------ tasks (custom.* events)

    def _task_agent(self, event: Any) -> tuple[dict[str, str], Any]:
        task = getattr(event, "task", None)
        agent = getattr(task, "agent", None)
        if agent is not None:
            return self._agent(agent.role, agent.id), agent.id
        return {"id": self.crew_agent_id or "crew", "role": "crew"}, None

    def _on_task_started_event(self, event: Any, source: Any = None) -> None:
        ref, agent_uuid = self._task_agent(event)
        with self._lock:
            self._tasks.put(str(event.task_id), event.timestamp)
        self.client.track(
            "custom.task_started",
            ref,
            payload={"task": self._content(event.task_name), "context": self._content(event.context)},
            **self._common(event, trace_id=self._trace(agent_uuid)),
        )

    def _task_done(self, event: Any, success: bool, output: Any, error: str | None) -> None:
        ref, agent_uuid = self._task_agent(event)
        with self._lock:
            started = self._tasks.pop(str(event.task_id), None)
        self.client.track(
            "custom.task_completed",
            ref,
            payload={"task": self._content(event.task_name), "output": self._content(output), "error": error},
            performance_metrics={
                "latency_ms": _ms_between(started, event.timestamp),
                "success": success,
                "error_type": None if success else "task_failed",
            },
            **self._common(event, trace_id=self._trace(agent_uuid)),
        )

    def _on_task_completed_event(self, event: Any, source: Any = None) -> None:
        self._task_done(event, True, event.output, None)

    def _on_task_failed_event(self, event: Any, source: Any = None) -> None:
        self._task_done(event, False, None, _text(event.error, 2000))

    # ------------------------------------------------------------------ LLM calls

    def _on_llm_call_started_event(self, event: Any, source: Any = None) -> None:
        # CrewAI runs handlers on a thread pool: the completion's handler may run first.
        with self._lock:
            pending = self._llm_calls.pop(event.call_id, None)
            if pending is None:
                self._llm_calls.put(event.call_id, ("started", event))
                return
        self._llm_call(event, pending[1])

    def _on_llm_call_completed_event(self, event: Any, source: Any = None) -> None:
        self._llm_end(event)

    def _on_llm_call_failed_event(self, event: Any, source: Any = None) -> None:
        self._llm_end(event)

    def _llm_end(self, event: Any) -> None:
        with self._lock:
            pending = self._llm_calls.pop(event.call_id, None)
            if pending is None:
                self._llm_calls.put(event.call_id, ("ended", event))
                return
        self._llm_call(pending[1], event)

    def _llm_call(self, started: Any, ended: Any) -> None:
        failed = getattr(ended, "error", None) is not None and ended.type == "llm_call_failed"
        input_tokens, output_tokens = _usage_tokens(getattr(ended, "usage", None))
        role = ended.agent_role or started.agent_role
        agent_uuid = ended.agent_id or started.agent_id
        run = self._run_of(agent_uuid, ended.task_id or started.task_id)
        self.client.track_llm_call(
            self._agent(role, agent_uuid) if role else {"id": self.crew_agent_id or "crew", "role": "crew"},
            model=ended.model or started.model or "unknown",
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            latency_ms=_ms_between(started.timestamp, ended.timestamp),
            success=not failed,
            response=self._content(getattr(ended, "response", None)),
            error_type="llm_call_failed" if failed else None,
            payload={
                "call_id": ended.call_id,
                "call_type": getattr(getattr(ended, "call_type", None), "value", None),
                "finish_reason": getattr(ended, "finish_reason", None),
                "error": _text(getattr(ended, "error", None), 2000) if failed else None,
                "messages": len(started.messages) if isinstance(started.messages, list) else None,
            },
            **self._common(
                ended,
                session_id=run[0] if run else None,
                parent_event_id=run[1] if run else None,
                trace_id=self._trace(agent_uuid),
            ),
        )

    # ------------------------------------------------------------------ tools

    def _tool_key(self, event: Any) -> tuple[str, str]:
        return (str(event.agent_id or event.agent_key or event.agent_role), event.tool_name)

    def _on_tool_usage_started_event(self, event: Any, source: Any = None) -> None:
        with self._lock:
            self._tools.put(self._tool_key(event), event.timestamp)

    def _tool(self, event: Any, success: bool, latency_ms: float | None, output: Any, error: Any) -> None:
        agent_uuid = event.agent_id
        run = self._run_of(agent_uuid, event.task_id)
        self.client.track_tool_usage(
            self._agent(event.agent_role, agent_uuid),
            tool_name=event.tool_name,
            tool_input=self._content(event.tool_args) if self.capture_content else None,
            tool_output=self._content(output),
            latency_ms=latency_ms,
            success=success,
            error=_text(error, 2000),
            error_type=None if success else "tool_error",
            payload={"run_attempts": event.run_attempts, "from_cache": getattr(event, "from_cache", None)},
            **self._common(
                event,
                session_id=run[0] if run else None,
                parent_event_id=run[1] if run else None,
                trace_id=self._trace(agent_uuid),
            ),
        )

    def _on_tool_usage_finished_event(self, event: Any, source: Any = None) -> None:
        with self._lock:
            self._tools.pop(self._tool_key(event), None)
        failure = getattr(event, "failure", None)
        self._tool(
            event,
            failure is None,
            _ms_between(event.started_at, event.finished_at),
            event.output,
            getattr(failure, "message", failure) if failure is not None else None,
        )

    def _on_tool_usage_error_event(self, event: Any, source: Any = None) -> None:
        with self._lock:
            started = self._tools.pop(self._tool_key(event), None)
        self._tool(event, False, _ms_between(started, event.timestamp), None, event.error)

    # ------------------------------------------------------------------ memory and knowledge

    def _memory(self, event: Any, operation: str, hit: bool | None, latency: float | None, error: str | None) -> None:
        role = event.agent_role
        ref = self._agent(role, event.agent_id) if role else {"id": self.crew_agent_id or "crew", "role": "crew"}
        self.client.track_memory_access(
            ref,
            tier=getattr(event, "source_type", None) or "crewai_memory",
            operation=operation,
            hit=hit,
            latency_ms=latency,
            payload={"query": self._content(getattr(event, "query", None)), "error": error},
            performance_metrics={"success": error is None},
            **self._common(event, trace_id=self._trace(event.agent_id)),
        )

    def _on_memory_query_completed_event(self, event: Any, source: Any = None) -> None:
        self._memory(event, "query", bool(event.results), event.query_time_ms, None)

    def _on_memory_query_failed_event(self, event: Any, source: Any = None) -> None:
        self._memory(event, "query", None, None, _text(event.error, 2000))

    def _on_memory_save_completed_event(self, event: Any, source: Any = None) -> None:
        self._memory(event, "save", None, event.save_time_ms, None)

    def _on_memory_save_failed_event(self, event: Any, source: Any = None) -> None:
        self._memory(event, "save", None, None, _text(event.error, 2000))

    def _on_memory_retrieval_completed_event(self, event: Any, source: Any = None) -> None:
        self._memory(event, "retrieve", bool(event.memory_content), event.retrieval_time_ms, None)

    def _on_memory_retrieval_failed_event(self, event: Any, source: Any = None) -> None:
        self._memory(event, "retrieve", None, None, _text(event.error, 2000))

    def _knowledge(self, event: Any, query: str | None, retrieved: str | None, error: str | None) -> None:
        role = event.agent_role
        ref = self._agent(role, event.agent_id) if role else {"id": self.crew_agent_id or "crew", "role": "crew"}
        self.client.track_knowledge_access(
            ref,
            source="crewai_knowledge",
            query=self._content(query),
            payload={"retrieved_chars": len(retrieved) if retrieved else 0, "error": error},
            performance_metrics={"success": error is None},
            **self._common(event, trace_id=self._trace(event.agent_id)),
        )

    def _on_knowledge_retrieval_completed_event(self, event: Any, source: Any = None) -> None:
        self._knowledge(event, event.query, event.retrieved_knowledge, None)

    def _on_knowledge_query_failed_event(self, event: Any, source: Any = None) -> None:
        self._knowledge(event, None, None, _text(event.error, 2000))

    def _on_knowledge_search_query_failed_event(self, event: Any, source: Any = None) -> None:
        self._knowledge(event, event.query, None, _text(event.error, 2000))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower().replace("l_l_m", "llm")


def instrument(client: AurenClient | None = None, **options: Any) -> AurenCrewAIListener:
    """One line: ``auren.crewai.instrument()`` (a client for ``AUREN_INGEST_URL``/``AUREN_API_KEY``),
    or ``instrument(client)``. Options go to the client when one is created, else to the listener."""
    listener_keys = {"agent_id", "crew_agent_id", "capture_content", "max_content_chars"}
    listener_options = {k: options.pop(k) for k in list(options) if k in listener_keys}
    if client is None:
        client = AurenClient(**options)
    elif options:
        raise TypeError(f"unexpected options with an existing client: {', '.join(options)}")
    return AurenCrewAIListener(client, **listener_options)
