"""CrewAI integration: one line turns a crew's events into AUREN events.

    from auren import AurenClient
    from auren.crewai import AurenCrewAIListener

    AurenCrewAIListener(AurenClient("http://localhost:3000", api_key="test-key"))
    crew.kickoff()

Needs ``pip install "auren-realtime[crewai]"`` (CrewAI 1.x, ``crewai.events``).
What maps to what, and the limits: docs/integrations/crewai.md.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

try:
    from crewai.events import BaseEventListener, crewai_event_bus
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        'auren.crewai needs CrewAI 1.x: pip install "auren-realtime[crewai]" (or pip install crewai)'
    ) from error

from ._llm_pairing import Key, LLMCallPairer
from .client import AurenClient
from .events import to_iso

try:  # CrewAI's LLM call hooks: they see the calls of custom LLMs that emit no events
    from crewai.hooks import (
        register_after_llm_call_hook,
        register_before_llm_call_hook,
        unregister_after_llm_call_hook,
        unregister_before_llm_call_hook,
    )
except ImportError:  # pragma: no cover - older CrewAI: LLM calls are seen through events only
    register_before_llm_call_hook = register_after_llm_call_hook = None  # type: ignore[assignment]
    unregister_before_llm_call_hook = unregister_after_llm_call_hook = None  # type: ignore[assignment]

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
    if (start.tzinfo is None) != (end.tzinfo is None):  # a naive time is local time
        start, end = start.astimezone(), end.astimezone()
    return round(max(0.0, (end - start).total_seconds() * 1000), 3)


def _now() -> datetime:
    return datetime.now(timezone.utc)


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


@dataclass
class _Run:
    """One agent executing one task: the ids its AUREN events share. Made by whichever handler
    needs it first (the task's start usually comes before the agent's)."""

    session_id: str
    start_event_id: str  # event_id of its agent_execution_started
    started: datetime | None = None  # set when CrewAI's AgentExecutionStartedEvent was mapped


@dataclass
class _HookCall:
    """An LLM call seen through CrewAI's before/after LLM call hooks."""

    key: Key
    agent: Any
    task: Any
    llm: Any
    started: datetime
    usage: Any  # the LLM's cumulative usage before the call (UsageMetrics), or None
    messages: int | None


def _usage_of(llm: Any) -> Any:
    summary = getattr(llm, "get_token_usage_summary", None)
    if summary is None:
        return None
    try:
        return summary()
    except Exception:  # noqa: BLE001 - a custom LLM's accounting must not break the crew
        return None


def _usage_delta(before: Any, after: Any) -> tuple[int | None, int | None, int | None]:
    """(prompt, completion, total) tokens between two UsageMetrics; ``None`` when nothing was counted."""
    if before is None or after is None:
        return None, None, None

    def diff(name: str) -> int:
        value = getattr(after, name, 0) - getattr(before, name, 0)
        return max(0, int(value)) if isinstance(value, (int, float)) else 0

    prompt, completion, total = diff("prompt_tokens"), diff("completion_tokens"), diff("total_tokens")
    if not (prompt or completion or total):
        return None, None, None
    if prompt or completion:
        return prompt, completion, prompt + completion
    return None, None, total


class AurenCrewAIListener(BaseEventListener):
    """A CrewAI ``BaseEventListener`` that sends each crew, agent, task, LLM, tool, memory and
    knowledge event to AUREN through ``client``. Creating it is enough: it registers itself on
    CrewAI's event bus, and on CrewAI's LLM call hooks (which see the calls of custom ``BaseLLM``
    subclasses that emit no events). Handlers only enqueue (see :class:`~auren.AurenClient`) and
    never raise.

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
        self._crew_starts = _Bounded()  # kickoff start event id / ("crew", id) -> (trace_id, start time, usage)
        self._runs = _Bounded()  # (agent uuid, task id) -> _Run
        self._tasks = _Bounded()  # task id -> (start time, custom.task_started event id, _Run or None)
        self._pairer = LLMCallPairer()  # LLM start/end events waiting for their other half
        self._hook_calls: dict[Key, _HookCall] = {}  # LLM calls between the before and after hooks
        self._llm_emits: dict[type, bool] = {}  # LLM class -> does it emit CrewAI's LLM events itself?
        self._emitting_classes: set[type] = set()  # LLM classes seen as the source of LLM events
        self._trace_tokens = _Bounded()  # trace_id -> tokens of the llm_call events sent for it
        self._tools = _Bounded()  # (agent, tool) -> start time
        self._handlers: list[tuple[type, Callable[..., None]]] = []
        self._hooks: list[tuple[Callable[..., Any], Callable[..., Any]]] = []
        self._installed = True
        self._warned_unmapped = False
        self._forgotten = 0
        self.errors = 0  # CrewAI events whose mapping raised (logged with the traceback)
        self.unmapped = 0  # LLM call halves that could not be paired (logged once, see _unmapped)
        self.llm_calls = 0  # llm_call events sent
        self.llm_calls_from_hooks = 0  # ... of which seen through the LLM call hooks
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
        if register_before_llm_call_hook is not None:
            register_before_llm_call_hook(self._before_llm_call)
            register_after_llm_call_hook(self._after_llm_call)
            self._hooks.append((unregister_before_llm_call_hook, self._before_llm_call))
            self._hooks.append((unregister_after_llm_call_hook, self._after_llm_call))

    def uninstall(self) -> None:
        """Stops listening (the client stays open)."""
        self._installed = False
        for event_class, handler in self._handlers:
            crewai_event_bus.off(event_class, handler)
        self._handlers.clear()
        for unregister, hook in self._hooks:
            unregister(hook)
        self._hooks.clear()

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits for CrewAI's handlers, settles LLM calls still waiting for their other half
        (see :meth:`stats`), then waits for the client to send everything."""
        deadline = time.monotonic() + timeout
        crewai_event_bus.flush(timeout=timeout)
        self._settle(None, final=True)
        return self.client.flush(max(0.0, deadline - time.monotonic()))

    def stats(self) -> dict[str, int]:
        """Counters of the mapping (the client has its own, ``client.stats()``).

        ``errors``: CrewAI events whose mapping failed (logged); ``unmapped``: LLM call events that
        could not be paired (a start that never ended, an end without a start: that one is still
        sent, without latency), logged once with what to do; ``llm_calls``: llm_call events sent,
        ``llm_calls_from_hooks`` of them seen through CrewAI's LLM call hooks (custom LLMs that
        emit no events); ``llm_paired_by_*``: how event pairs were matched; ``llm_pending``:
        calls still waiting for their other half.
        """
        with self._lock:
            paired = dict(self._pairer.paired)
            return {
                "errors": self.errors,
                "unmapped": self.unmapped,
                "llm_calls": self.llm_calls,
                "llm_calls_from_hooks": self.llm_calls_from_hooks,
                "llm_paired_by_call_id": paired["call_id"],
                "llm_paired_by_started_event_id": paired["started_event_id"],
                "llm_paired_by_position": paired["position"],
                "llm_pending": len(self._pairer) + len(self._hook_calls),
            }

    def _guard(self, method: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def handler(source: Any, event: Any) -> None:
            try:
                method(event, source)
            except Exception:  # noqa: BLE001 - observability must never break the crew
                self._error("could not map CrewAI event %s", getattr(event, "type", event))

        handler.__name__ = f"auren_{method.__name__}"
        return handler

    def _error(self, message: str, *args: Any) -> None:
        with self._lock:
            self.errors += 1
        log.warning("auren: " + message, *args, exc_info=True)

    def _unmapped(self, count: int, what: str) -> None:
        if count <= 0:
            return
        with self._lock:
            self.unmapped += count
            first = not self._warned_unmapped
            self._warned_unmapped = True
        if first:
            log.warning(
                "auren: %d CrewAI LLM call event(s) could not be paired (%s); counted in "
                "listener.stats()['unmapped'], further ones are not logged. A custom BaseLLM that "
                "emits LLM events should emit LLMCallStartedEvent and then LLMCallCompletedEvent or "
                "LLMCallFailedEvent (also when it fails), both inside one `with llm_call_context():` "
                "block (crewai.llms.base_llm), or emit no LLM events at all and leave the call to "
                "the listener's LLM call hooks. See docs/integrations/crewai.md.",
                count,
                what,
            )

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

    def _common(self, event: Any, task: Any = None, **extra: Any) -> dict[str, Any]:
        """Timestamp and metadata (source, CrewAI event type, task name and id: the event's, or
        ``task``'s) of an AUREN event, plus ``extra`` top-level fields."""
        fields: dict[str, Any] = {"timestamp": to_iso(event.timestamp) if getattr(event, "timestamp", None) else None}
        metadata = {"source": "crewai", "crewai_event": getattr(event, "type", None)}
        task_name = getattr(event, "task_name", None) or getattr(task, "name", None) or getattr(task, "description", None)
        if task_name:
            metadata["task"] = _text(task_name, 200)
        task_id = getattr(event, "task_id", None) or getattr(task, "id", None)
        if task_id:
            metadata["task_id"] = str(task_id)
        fields["metadata"] = metadata
        fields.update(extra)
        return {k: v for k, v in fields.items() if v is not None}

    def _content(self, value: Any) -> Any:
        return _text(value, self.max_content_chars) if self.capture_content else None

    def _run_for(self, agent_uuid: Any, task_id: Any, create: bool = True) -> _Run | None:
        """The run of this agent on this task; made when ``create`` and none is open."""
        if agent_uuid is None:
            return None
        key = (str(agent_uuid), str(task_id) if task_id else None)
        with self._lock:
            run = self._runs.get(key)
            if run is None and create:
                run = _Run(str(uuid.uuid4()), str(uuid.uuid4()))
                self._runs.put(key, run)
            return run

    # ------------------------------------------------------------------ crew

    @staticmethod
    def _usage_sources(crew: Any) -> dict[int, Any]:
        """The crew's LLMs (and token counters of agents without one), each once: CrewAI's own
        total adds an LLM shared by several agents once per agent."""
        sources: dict[int, Any] = {}
        agents = list(getattr(crew, "agents", None) or [])
        manager = getattr(crew, "manager_agent", None)
        if manager is not None:
            agents.append(manager)
        for agent in agents:
            llm = getattr(agent, "llm", None)
            if hasattr(llm, "get_token_usage_summary"):
                sources[id(llm)] = llm
            else:
                process = getattr(agent, "_token_process", None)
                if hasattr(process, "get_summary"):
                    sources[id(process)] = process
        return sources

    @staticmethod
    def _total_tokens(source: Any) -> int:
        summary = source.get_summary() if hasattr(source, "get_summary") else _usage_of(source)
        total = getattr(summary, "total_tokens", 0)
        return total if isinstance(total, int) else 0

    def _on_crew_kickoff_started_event(self, event: Any, source: Any = None) -> None:
        # CrewAI waits for these handlers before the crew starts: the agents' trace is known in time.
        crew = self._crew_of(event, source)
        trace_id = uuid.uuid4().hex
        agents = [self.agent_id(a.role) for a in getattr(crew, "agents", None) or []]
        usage = {key: self._total_tokens(s) for key, s in self._usage_sources(crew).items()} if crew is not None else {}
        for agent in getattr(crew, "agents", None) or []:
            self._add_hooks_to_executor(getattr(agent, "agent_executor", None))
        with self._lock:
            for agent in getattr(crew, "agents", None) or []:
                self._traces[str(agent.id)] = trace_id
            self._crew_starts.put(event.event_id, (trace_id, event.timestamp, usage))
            if crew is not None:  # a failed kickoff's event does not name its start
                self._crew_starts.put(("crew", str(crew.id)), (trace_id, event.timestamp, usage))
        self.client.track(
            "agent_execution_started",
            self._crew_ref(event, crew),
            payload={"kind": "crew_kickoff", "crew_name": event.crew_name, "agents": agents, "inputs": event.inputs},
            **self._common(event, event_id=str(uuid.uuid4()), trace_id=trace_id, session_id=trace_id),
        )

    def _add_hooks_to_executor(self, executor: Any) -> None:
        """CrewAI copies the global hooks into an agent's executor when it makes it: an executor
        made before this listener (an earlier kickoff) gets them here."""
        if executor is None or not self._hooks:
            return
        for attribute, hook in (("before_llm_call_hooks", self._before_llm_call), ("after_llm_call_hooks", self._after_llm_call)):
            hooks = getattr(executor, attribute, None)
            if isinstance(hooks, list) and hook not in hooks:
                hooks.append(hook)

    def _crew_done(self, event: Any, source: Any, success: bool, error: str | None) -> None:
        crew = self._crew_of(event, source)
        with self._lock:
            by_crew = self._crew_starts.pop(("crew", str(crew.id)), None) if crew is not None else None
            by_event = self._crew_starts.pop(getattr(event, "started_event_id", None), None)
            trace_id, started, usage_before = by_event or by_crew or (None, None, None)
        ref = self._crew_ref(event, crew)
        crew_agents = list(getattr(crew, "agents", None) or [])
        manager = getattr(crew, "manager_agent", None)
        uuids = {str(a.id) for a in crew_agents + ([manager] if manager is not None else [])}
        # CrewAI flushes its handlers before a completion (not before a failure): after one, the
        # LLM calls still unpaired never will be. After a failure, listener.flush() settles them.
        self._settle(lambda key: key[0] in uuids, final=success)
        with self._lock:
            llm_call_tokens = self._trace_tokens.pop(trace_id, 0) if trace_id else None
        real = None
        if crew is not None and usage_before is not None:
            real = sum(max(0, self._total_tokens(s) - usage_before.get(k, 0)) for k, s in self._usage_sources(crew).items())
        agents = list(dict.fromkeys(self.agent_id(a.role) for a in crew_agents))
        common = self._common(event, trace_id=trace_id, session_id=trace_id)
        if success and len(agents) > 1:
            self.client.track_collaboration(ref, collaborating_agents=agents, consensus_reached=True, **common)
        reported = getattr(event, "total_tokens", None)
        self.client.track(
            "agent_execution_completed",
            ref,
            payload={
                "kind": "crew_kickoff",
                "crew_name": event.crew_name,
                "output": self._content(getattr(event, "output", None)),
                "error": error,
                # Not tokens_used: the agents' llm_call events carry them, summaries would count twice.
                # CrewAI's usage counters over this kickoff, each LLM counted once.
                "crewai_total_tokens": real,
                # CrewAI's own figure: an LLM shared by n agents counted n times, since its creation.
                "crewai_reported_total_tokens": reported if isinstance(reported, int) else None,
                # The tokens of the llm_call events this listener sent for this kickoff.
                "llm_call_tokens": llm_call_tokens,
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
        run = self._run_for(agent.id, task_id)
        assert run is not None
        with self._lock:
            if run.started is not None:  # a retry of the same task: a run of its own
                run = _Run(str(uuid.uuid4()), str(uuid.uuid4()))
                self._runs.put((str(agent.id), str(task_id) if task_id else None), run)
            run.started = event.timestamp
        tools = [getattr(t, "name", str(t)) for t in event.tools or []]
        self.client.track(
            "agent_execution_started",
            self._agent(agent.role, agent.id, agent),
            payload={"task": self._content(getattr(task, "description", None)), "tools": tools},
            **self._common(
                event,
                event_id=run.start_event_id,
                session_id=run.session_id,
                trace_id=self._trace(agent.id),
                task=task,
            ),
        )

    def _agent_done(self, event: Any, success: bool, output: Any, error: str | None) -> None:
        agent, task = event.agent, event.task
        task_id = getattr(task, "id", None)
        key = (str(agent.id), str(task_id) if task_id else None)
        with self._lock:
            hook_call = self._hook_calls.pop(key, None)
        if hook_call is not None:  # its after hook never ran: it raised, or answered tool calls
            self._close_hook_call(hook_call, event.timestamp, success, None, error, observed=False)
        self._settle(lambda k: k == key, final=False)
        with self._lock:
            run = self._runs.pop(key, None)
        self.client.track(
            "agent_execution_completed",
            self._agent(agent.role, agent.id),
            payload={"output": self._content(output), "error": error},
            performance_metrics={
                "latency_ms": _ms_between(run.started if run else None, event.timestamp),
                "success": success,
                "error_type": None if success else "agent_execution_error",
            },
            **self._common(
                event,
                task=task,
                session_id=run.session_id if run else None,
                parent_event_id=run.start_event_id if run else None,
                trace_id=self._trace(agent.id),
            ),
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
        # The task starts before its agent does: the agent's run gets its ids here.
        run = self._run_for(agent_uuid, event.task_id)
        event_id = str(uuid.uuid4())
        with self._lock:
            self._tasks.put(str(event.task_id), (event.timestamp, event_id, run))
        self.client.track(
            "custom.task_started",
            ref,
            payload={
                "task": self._content(event.task_name),
                "context": self._content(event.context),
                "agent_run_event_id": run.start_event_id if run else None,
            },
            **self._common(
                event,
                event_id=event_id,
                session_id=run.session_id if run else None,
                trace_id=self._trace(agent_uuid),
            ),
        )

    def _task_done(self, event: Any, success: bool, output: Any, error: str | None) -> None:
        ref, agent_uuid = self._task_agent(event)
        with self._lock:
            started, start_id, run = self._tasks.pop(str(event.task_id), None) or (None, None, None)
        run = run or self._run_for(agent_uuid, event.task_id, create=False)
        self.client.track(
            "custom.task_completed",
            ref,
            payload={
                "task": self._content(event.task_name),
                "output": self._content(output),
                "error": error,
                "agent_run_event_id": run.start_event_id if run else None,
            },
            performance_metrics={
                "latency_ms": _ms_between(started, event.timestamp),
                "success": success,
                "error_type": None if success else "task_failed",
            },
            **self._common(
                event,
                session_id=run.session_id if run else None,
                parent_event_id=start_id,
                trace_id=self._trace(agent_uuid),
            ),
        )

    def _on_task_completed_event(self, event: Any, source: Any = None) -> None:
        self._task_done(event, True, event.output, None)

    def _on_task_failed_event(self, event: Any, source: Any = None) -> None:
        self._task_done(event, False, None, _text(event.error, 2000))

    # ------------------------------------------------------------------ LLM calls: events

    def _on_llm_call_started_event(self, event: Any, source: Any = None) -> None:
        # CrewAI runs handlers on a thread pool: the end's handler may run first.
        with self._lock:
            if source is not None:
                self._emitting_classes.add(type(source))
            pairs = self._pairer.add_start(event)
        for started, ended, how in pairs:
            self._llm_call(started, ended, how)

    def _on_llm_call_completed_event(self, event: Any, source: Any = None) -> None:
        self._llm_end(event, source)

    def _on_llm_call_failed_event(self, event: Any, source: Any = None) -> None:
        self._llm_end(event, source)

    def _llm_end(self, event: Any, source: Any) -> None:
        with self._lock:
            if source is not None:
                self._emitting_classes.add(type(source))
            pairs = self._pairer.add_end(event)
        for started, ended, how in pairs:
            self._llm_call(started, ended, how)

    def _settle(self, match: Callable[[Key], bool] | None, final: bool) -> None:
        """Pairs waiting LLM events by position; final: reports ends without a start (without
        latency) and counts them, and starts without an end, as unmapped."""
        with self._lock:
            settled = self._pairer.settle(match, final=final)
            forgotten, self._forgotten = self._pairer.forgotten - self._forgotten, self._pairer.forgotten
        # A final settle comes after the agents' runs ended: no new run for a late call.
        for started, ended, how in settled.pairs:
            self._llm_call(started, ended, how, open_run=not final)
        for ended in settled.lone_ends:
            self._llm_call(None, ended, "none", open_run=False)
        self._unmapped(len(settled.lone_ends), "LLM call end(s) without a start, sent without latency")
        self._unmapped(len(settled.lone_starts), "LLM call start(s) that never ended, not sent")
        self._unmapped(forgotten, "LLM call events that waited too long for their other half")

    def _llm_call(self, started: Any, ended: Any, paired_by: str, open_run: bool = True) -> None:
        try:
            self._send_llm_event_call(started, ended, paired_by, open_run)
        except Exception:  # noqa: BLE001 - called from handlers and settles alike
            self._error("could not map a CrewAI LLM call (%s)", getattr(ended, "type", ended))

    def _send_llm_event_call(self, started: Any, ended: Any, paired_by: str, open_run: bool) -> None:
        failed = getattr(ended, "error", None) is not None and ended.type == "llm_call_failed"
        input_tokens, output_tokens = _usage_tokens(getattr(ended, "usage", None))
        role = ended.agent_role or getattr(started, "agent_role", None)
        agent_uuid = ended.agent_id or getattr(started, "agent_id", None)
        run = self._run_for(agent_uuid, ended.task_id or getattr(started, "task_id", None), create=open_run)
        messages = getattr(started, "messages", None)
        self._send_llm_call(
            self._agent(role, agent_uuid) if role else {"id": self.crew_agent_id or "crew", "role": "crew"},
            trace_id=self._trace(agent_uuid),
            model=ended.model or getattr(started, "model", None) or "unknown",
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=None,
            latency_ms=_ms_between(getattr(started, "timestamp", None), ended.timestamp),
            success=not failed,
            response=getattr(ended, "response", None),
            error_type="llm_call_failed" if failed else None,
            payload={
                "call_id": ended.call_id,
                "paired_by": paired_by,
                "call_type": getattr(getattr(ended, "call_type", None), "value", None),
                "finish_reason": getattr(ended, "finish_reason", None),
                "error": _text(getattr(ended, "error", None), 2000) if failed else None,
                "messages": len(messages) if isinstance(messages, list) else None,
            },
            common=self._common(
                ended,
                session_id=run.session_id if run else None,
                parent_event_id=run.start_event_id if run else None,
            ),
            from_hooks=False,
        )

    def _send_llm_call(
        self,
        agent: dict[str, str],
        *,
        trace_id: str | None,
        model: str,
        input_tokens: int | None,
        output_tokens: int | None,
        total_tokens: int | None,
        latency_ms: float | None,
        success: bool | None,
        response: Any,
        error_type: str | None,
        payload: dict[str, Any],
        common: dict[str, Any],
        from_hooks: bool,
    ) -> None:
        if input_tokens is not None or output_tokens is not None:
            total_tokens = (input_tokens or 0) + (output_tokens or 0)
        # As AurenClient.track_llm_call builds it, but `success` may be unknown (left out).
        self.client.track(
            "llm_call",
            agent,
            payload={"model": model, "response": self._content(response), **payload},
            performance_metrics={
                "model": model,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "tokens_used": total_tokens,
                "latency_ms": latency_ms,
                "success": success,
                "error_type": error_type,
            },
            trace_id=trace_id,
            **common,
        )
        tokens = total_tokens
        with self._lock:
            self.llm_calls += 1
            self.llm_calls_from_hooks += 1 if from_hooks else 0
            if trace_id and tokens:
                self._trace_tokens.put(trace_id, self._trace_tokens.get(trace_id, 0) + tokens)

    # ------------------------------------------------------------------ LLM calls: hooks
    # CrewAI runs these in the agent's own thread around every LLM call of an agent, whatever the
    # LLM class. A custom BaseLLM written as CrewAI's docs show emits no LLM events: its calls are
    # reported from here. An LLM that does emit events is left to the event handlers.

    def _hook_key(self, context: Any) -> Key | None:
        agent, task = getattr(context, "agent", None), getattr(context, "task", None)
        agent_uuid = getattr(agent, "id", None)
        if agent_uuid is None:
            return None
        task_id = getattr(task, "id", None)
        return (str(agent_uuid), str(task_id) if task_id else None)

    def _before_llm_call(self, context: Any) -> None:
        if not self._installed:
            return None
        try:
            key = self._hook_key(context)
            if key is None:
                return None
            llm = getattr(context, "llm", None)
            messages = getattr(context, "messages", None)
            call = _HookCall(
                key=key,
                agent=context.agent,
                task=getattr(context, "task", None),
                llm=llm,
                started=_now(),
                usage=_usage_of(llm),
                messages=len(messages) if isinstance(messages, list) else None,
            )
            with self._lock:
                previous = self._hook_calls.pop(key, None)
                self._hook_calls[key] = call
            if previous is not None:  # the previous call's after hook never ran (tool calls, or it raised)
                self._close_hook_call(previous, call.started, None, None, None, observed=False)
        except Exception:  # noqa: BLE001 - a hook must never break the crew (None: do not block)
            self._error("could not map an LLM call (before_llm_call hook)")
        return None

    def _after_llm_call(self, context: Any) -> None:
        # Returns None: a string would replace the LLM's answer.
        if not self._installed:
            return None
        try:
            key = self._hook_key(context)
            with self._lock:
                call = self._hook_calls.pop(key, None) if key is not None else None
            if call is not None:
                self._close_hook_call(call, _now(), True, getattr(context, "response", None), None, observed=True)
        except Exception:  # noqa: BLE001
            self._error("could not map an LLM call (after_llm_call hook)")
        return None

    def _emits_events(self, llm: Any, observed: bool) -> bool:
        """Does this LLM report its calls through CrewAI's LLM events (then the handlers map them)?

        Learned once per LLM class, at the end of its first observed call: the listener waits for
        CrewAI's handlers of the events emitted so far (``crewai_event_bus.flush``), then looks
        whether an LLM event came from an LLM of this class."""
        cls = type(llm)
        with self._lock:
            known = self._llm_emits.get(cls)
            seen = cls in self._emitting_classes
        if known is not None or seen:
            return bool(known) or seen
        if not observed:  # the call raised or answered tool calls: no waiting, take what is known
            return False
        crewai_event_bus.flush(timeout=2.0)
        with self._lock:
            emits = cls in self._emitting_classes
            self._llm_emits[cls] = emits
        return emits

    def _close_hook_call(
        self, call: _HookCall, ended: datetime, success: bool | None, response: Any, error: str | None, observed: bool
    ) -> None:
        if self._emits_events(call.llm, observed):
            return
        prompt, completion, total = _usage_delta(call.usage, _usage_of(call.llm))
        agent = call.agent
        task = call.task
        run = self._run_for(agent.id, getattr(task, "id", None))
        metadata: dict[str, Any] = {"source": "crewai", "crewai_event": "llm_call_hooks"}
        if task is not None:
            metadata["task"] = _text(getattr(task, "name", None) or getattr(task, "description", None), 200)
            metadata["task_id"] = str(task.id)
        self._send_llm_call(
            self._agent(getattr(agent, "role", None), agent.id),
            trace_id=self._trace(agent.id),
            model=getattr(call.llm, "model", None) or "unknown",
            input_tokens=prompt,
            output_tokens=completion,
            total_tokens=total,
            latency_ms=_ms_between(call.started, ended),
            success=success,
            response=response,
            error_type="llm_call_failed" if success is False else None,
            payload={
                "paired_by": "hooks",
                "llm_class": type(call.llm).__name__,
                "error": error,
                "messages": call.messages,
                # The after hook did not run: the call raised, or answered with native tool calls.
                "outcome": None if observed else "not_observed",
            },
            common={
                "timestamp": to_iso(ended),
                "metadata": {k: v for k, v in metadata.items() if v is not None},
                **({"session_id": run.session_id, "parent_event_id": run.start_event_id} if run else {}),
            },
            from_hooks=True,
        )

    # ------------------------------------------------------------------ tools

    def _tool_key(self, event: Any) -> tuple[str, str]:
        return (str(event.agent_id or event.agent_key or event.agent_role), event.tool_name)

    def _on_tool_usage_started_event(self, event: Any, source: Any = None) -> None:
        with self._lock:
            self._tools.put(self._tool_key(event), event.timestamp)

    def _tool(self, event: Any, success: bool, latency_ms: float | None, output: Any, error: Any) -> None:
        agent_uuid = event.agent_id
        run = self._run_for(agent_uuid, event.task_id)
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
                session_id=run.session_id if run else None,
                parent_event_id=run.start_event_id if run else None,
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
