"""OpenAI Agents SDK integration: a tracing processor that turns agent runs into AUREN events.

    from auren import AurenClient
    from auren.openai_agents import instrument

    instrument(AurenClient("http://localhost:3000", api_key="test-key"))   # one line, before Runner.run
    result = await Runner.run(triage_agent, "...")

Needs ``pip install "auren-realtime[openai-agents]"`` (``openai-agents``, module ``agents``).
``instrument`` adds the processor beside the SDK's own exporter; ``instrument(client, exclusive=True)``
makes it the only one (nothing then goes to OpenAI's trace viewer). Agent ids are the agents'
names, slugified (``"Research Analyst"`` → ``research_analyst``). What maps to what is listed in
docs/integrations/openai-agents.md.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

try:
    from agents.tracing import TracingProcessor, add_trace_processor, set_trace_processors
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        'auren.openai_agents needs the OpenAI Agents SDK: pip install "auren-realtime[openai-agents]" (or pip install openai-agents)'
    ) from error

from ._integrations import Bounded, guarded, iso, ms_between, slug, truncate, usage_tokens
from .client import AurenClient

log = logging.getLogger("auren.openai_agents")

__all__ = ["AurenTracingProcessor", "instrument"]


# Spans whose failure fails the agent run they belong to, and its workflow.
_FATAL_SPANS = frozenset({"agent", "turn", "task", "generation", "response"})


@dataclass
class _Workflow:
    """One trace of the SDK: a ``Runner.run`` (or a ``trace()`` block around several)."""

    trace_id: str
    agent: dict[str, str]
    session_id: str
    start_event_id: str
    started: float = field(default_factory=time.monotonic)
    agents: list[str] = field(default_factory=list)
    failed: bool = False


@dataclass
class _AgentRun:
    """One agent span: an agent's turn at the conversation, until it answers or hands off."""

    agent: dict[str, str]
    session_id: str
    start_event_id: str
    started_at: Any
    error: str | None = None  # the first failure inside the run (a turn, a model call)


@dataclass
class _Span:
    kind: str
    run: _AgentRun | None  # the agent run the span belongs to


def _error_text(error: Any) -> str | None:
    if not error:
        return None
    if isinstance(error, Mapping):
        message = error.get("message")
        data = error.get("data")
        text = str(message or "error")
        if data:
            text += f" ({json.dumps(data, default=str, ensure_ascii=False)})"
        return truncate(text, 2000)
    return truncate(str(error), 2000)


def _generation_output(output: Any) -> tuple[Any, list[str]]:
    """(answer text, names of the tools it calls) of a generation's output (chat messages)."""
    if not isinstance(output, list):
        return output, []
    text = None
    calls: list[str] = []
    for message in output:
        if not isinstance(message, Mapping):
            continue
        content = message.get("content")
        if content:
            text = content if isinstance(content, str) else json.dumps(content, default=str, ensure_ascii=False)
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, Mapping) else None
            if isinstance(function, Mapping) and function.get("name"):
                calls.append(str(function["name"]))
    return text, calls


def _response_output(response: Any) -> tuple[str | None, list[str]]:
    """(answer text, names of the tools it calls) of a Responses API response."""
    text = getattr(response, "output_text", None)
    calls = [
        str(item.name)
        for item in getattr(response, "output", None) or []
        if getattr(item, "type", None) == "function_call" and getattr(item, "name", None)
    ]
    return (text if isinstance(text, str) and text else None), calls


class AurenTracingProcessor(TracingProcessor):
    """An ``agents.tracing.TracingProcessor`` that sends each trace, agent, LLM (generation and
    response), function-tool, handoff and guardrail span to AUREN through ``client``. Register it
    with :func:`instrument` (or ``agents.add_trace_processor``/``set_trace_processors``). Hooks
    only enqueue (see :class:`~auren.AurenClient`) and never raise; a span that could not be
    mapped is logged and counted in :attr:`errors`.

    ``agent_id`` maps an agent's name to the AUREN agent id (default: lower-case,
    non-alphanumerics to ``_``); ``workflow_agent_id`` fixes the id of the workflow (the trace;
    default: its workflow name, slugified). ``capture_content`` sends LLM answers and tool
    arguments and results, cut to ``max_content_chars``; off, only names, timings and token counts.
    """

    def __init__(
        self,
        client: AurenClient,
        *,
        agent_id: Callable[[str], str] = slug,
        workflow_agent_id: str | None = None,
        capture_content: bool = True,
        max_content_chars: int = 2000,
    ) -> None:
        if not isinstance(client, AurenClient):
            raise TypeError(f"client must be an auren.AurenClient, got {type(client).__name__}")
        if max_content_chars < 1:
            raise ValueError(f"max_content_chars must be at least 1, got {max_content_chars}")
        self.client = client
        self.agent_id = agent_id
        self.workflow_agent_id = workflow_agent_id
        self.capture_content = capture_content
        self.max_content_chars = max_content_chars
        self.errors = 0
        self._lock = threading.Lock()
        self._workflows: Bounded = Bounded(2048)  # trace_id -> _Workflow
        self._spans: Bounded = Bounded()  # span_id -> _Span

    # ------------------------------------------------------------------ helpers

    def _content(self, value: Any) -> Any:
        if not self.capture_content or value is None:
            return None
        if not isinstance(value, str):
            value = json.dumps(value, default=str, ensure_ascii=False)
        return truncate(value, self.max_content_chars)

    def _agent_ref(self, name: Any) -> dict[str, str]:
        text = str(name or "agent")
        return {"id": self.agent_id(text), "role": text}

    def _workflow(self, trace_id: Any) -> _Workflow | None:
        with self._lock:
            return self._workflows.get(str(trace_id))

    def _fields(self, span: Any, run: _AgentRun | None, kind: str, **extra: Any) -> dict[str, Any]:
        workflow = self._workflow(span.trace_id)
        fields: dict[str, Any] = {
            "timestamp": iso(span.ended_at),
            "trace_id": str(span.trace_id)[:128],
            "session_id": run.session_id if run else (workflow.session_id if workflow else None),
            "parent_event_id": run.start_event_id if run else (workflow.start_event_id if workflow else None),
            "metadata": {"source": "openai_agents", "span_type": kind, "span_id": span.span_id},
        }
        fields.update(extra)
        return {k: v for k, v in fields.items() if v is not None}

    def _who(self, run: _AgentRun | None, span: Any) -> dict[str, str]:
        if run is not None:
            return run.agent
        workflow = self._workflow(span.trace_id)
        return workflow.agent if workflow is not None else {"id": "openai_agents", "role": "workflow"}

    # ------------------------------------------------------------------ traces (workflows)

    @guarded(log)
    def on_trace_start(self, trace: Any) -> None:
        name = getattr(trace, "name", None) or "Agent workflow"
        exported = (trace.export() if hasattr(trace, "export") else None) or {}
        group_id = exported.get("group_id")
        workflow = _Workflow(
            trace_id=str(trace.trace_id)[:128],
            agent={"id": self.workflow_agent_id or self.agent_id(name), "role": "workflow", "name": str(name)},
            session_id=str(group_id or trace.trace_id)[:128],
            start_event_id=str(uuid.uuid4()),
        )
        with self._lock:
            self._workflows.put(str(trace.trace_id), workflow)
        self.client.track(
            "agent_execution_started",
            workflow.agent,
            payload={"kind": "workflow", "workflow_name": str(name), "group_id": group_id},
            event_id=workflow.start_event_id,
            trace_id=workflow.trace_id,
            session_id=workflow.session_id,
            metadata={"source": "openai_agents", "trace_metadata": exported.get("metadata") or None},
        )

    @guarded(log)
    def on_trace_end(self, trace: Any) -> None:
        with self._lock:
            workflow = self._workflows.pop(str(trace.trace_id), None)
        if workflow is None:
            return
        self.client.track(
            "agent_execution_completed",
            workflow.agent,
            payload={"kind": "workflow", "agents": workflow.agents or None},
            performance_metrics={
                "latency_ms": round((time.monotonic() - workflow.started) * 1000, 3),
                "success": not workflow.failed,
                "error_type": "agent_error" if workflow.failed else None,
            },
            trace_id=workflow.trace_id,
            session_id=workflow.session_id,
            parent_event_id=workflow.start_event_id,
            metadata={"source": "openai_agents"},
        )
        self.client.flush(timeout=0)  # a nudge: send now, do not wait

    # ------------------------------------------------------------------ spans

    @guarded(log)
    def on_span_start(self, span: Any) -> None:
        data = span.span_data
        kind = getattr(data, "type", "unknown")
        with self._lock:
            parent = self._spans.get(str(span.parent_id)) if span.parent_id else None
        run = parent.run if parent is not None else None
        if kind == "agent":
            workflow = self._workflow(span.trace_id)
            run = _AgentRun(
                agent=self._agent_ref(data.name),
                session_id=str(span.span_id)[:128],
                start_event_id=str(uuid.uuid4()),
                started_at=span.started_at,
            )
            with self._lock:
                if workflow is not None and run.agent["id"] not in workflow.agents:
                    workflow.agents.append(run.agent["id"])
            self.client.track(
                "agent_execution_started",
                run.agent,
                payload={"kind": "agent", "name": str(data.name)},
                event_id=run.start_event_id,
                **self._fields(
                    span,
                    None,
                    kind,
                    timestamp=iso(span.started_at),
                    session_id=run.session_id,
                    parent_event_id=workflow.start_event_id if workflow else None,
                ),
            )
        with self._lock:
            self._spans.put(str(span.span_id), _Span(kind, run))

    @guarded(log)
    def on_span_end(self, span: Any) -> None:
        with self._lock:
            known = self._spans.pop(str(span.span_id), None)
        data = span.span_data
        kind = getattr(data, "type", "unknown")
        run = known.run if known is not None else None
        error = _error_text(span.error)
        latency = ms_between(span.started_at, span.ended_at)
        if error and kind in _FATAL_SPANS:
            # A failed turn (a guardrail tripwire, an exception) or model call fails the agent run
            # and the workflow; a failed function tool does not (the model gets the error and goes on).
            if run is not None and run.error is None:
                run.error = error
            workflow = self._workflow(span.trace_id)
            if workflow is not None:
                workflow.failed = True
        handler = getattr(self, f"_end_{kind}", None)
        if handler is not None:
            handler(span, data, run, error, latency)

    def _end_agent(self, span: Any, data: Any, run: _AgentRun | None, error: str | None, latency: float | None) -> None:
        if run is None:  # started before this processor was registered
            return
        error = error or run.error
        self.client.track(
            "agent_execution_completed",
            run.agent,
            payload={
                "tools": list(data.tools or []) or None,
                "handoffs": list(data.handoffs or []) or None,
                "output_type": data.output_type,
                "error": error,
            },
            performance_metrics={"latency_ms": latency, "success": error is None, "error_type": "agent_error" if error else None},
            **self._fields(span, run, "agent"),
        )

    def _end_generation(self, span: Any, data: Any, run: _AgentRun | None, error: str | None, latency: float | None) -> None:
        input_tokens, output_tokens = usage_tokens(data.usage)
        text, calls = _generation_output(data.output)
        self.client.track_llm_call(
            self._who(run, span),
            model=str(data.model or "unknown"),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            latency_ms=latency,
            success=error is None,
            error_type="llm_error" if error else None,
            response=self._content(text),
            payload={"api": "chat_completions", "tool_calls": calls or None, "error": error},
            **self._fields(span, run, "generation"),
        )

    def _end_response(self, span: Any, data: Any, run: _AgentRun | None, error: str | None, latency: float | None) -> None:
        response = data.response
        usage = getattr(data, "usage", None) or getattr(response, "usage", None)
        input_tokens, output_tokens = usage_tokens(usage)
        text, calls = _response_output(response)
        self.client.track_llm_call(
            self._who(run, span),
            model=str(getattr(response, "model", None) or "unknown"),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            latency_ms=latency,
            success=error is None,
            error_type="llm_error" if error else None,
            response=self._content(text),
            payload={"api": "responses", "response_id": getattr(response, "id", None), "tool_calls": calls or None, "error": error},
            **self._fields(span, run, "response"),
        )

    def _end_function(self, span: Any, data: Any, run: _AgentRun | None, error: str | None, latency: float | None) -> None:
        arguments: Any = data.input
        if self.capture_content and isinstance(arguments, str):
            try:
                parsed = json.loads(arguments)
                if isinstance(parsed, dict) and len(arguments) <= self.max_content_chars:
                    arguments = parsed
            except ValueError:
                pass
        self.client.track_tool_usage(
            self._who(run, span),
            tool_name=str(data.name),
            tool_input=(arguments if isinstance(arguments, dict) else self._content(arguments)) if self.capture_content else None,
            tool_output=self._content(data.output) if error is None else None,
            latency_ms=latency,
            success=error is None,
            error=error,
            error_type="tool_error" if error else None,
            payload={"mcp": data.mcp_data or None},
            **self._fields(span, run, "function"),
        )

    def _end_handoff(self, span: Any, data: Any, run: _AgentRun | None, error: str | None, latency: float | None) -> None:
        source = self._agent_ref(data.from_agent) if data.from_agent else self._who(run, span)
        target = self._agent_ref(data.to_agent) if data.to_agent else None
        self.client.track_collaboration(
            source,
            collaborating_agents=[target["id"]] if target else [],
            consensus_reached=error is None and target is not None,
            topic="handoff",
            target_agent=target,
            payload={"error": error},
            performance_metrics={"latency_ms": latency, "success": error is None},
            **self._fields(span, run, "handoff"),
        )

    def _end_guardrail(self, span: Any, data: Any, run: _AgentRun | None, error: str | None, latency: float | None) -> None:
        triggered = bool(getattr(data, "triggered", False))
        self.client.track_decision(
            self._who(run, span),
            decision="block" if triggered else "allow",
            reasoning=f"guardrail {data.name} {'tripped' if triggered else 'passed'}",
            payload={"guardrail": data.name, "triggered": triggered, "error": error},
            performance_metrics={"latency_ms": latency},
            **self._fields(span, run, "guardrail"),
        )

    # ------------------------------------------------------------------ lifecycle

    def force_flush(self) -> None:
        """Waits (up to 10 s) until the client has sent everything queued so far."""
        self.client.flush(10)

    def shutdown(self) -> None:
        """Called by the SDK at exit: sends what is queued (the client stays open; close it yourself)."""
        self.client.flush(5)


def instrument(client: AurenClient | None = None, *, exclusive: bool = False, **options: Any) -> AurenTracingProcessor:
    """One line: registers an :class:`AurenTracingProcessor` with the Agents SDK and returns it.

    ``client`` None makes one for ``AUREN_INGEST_URL``/``AUREN_API_KEY`` (options then go to the
    client, except the processor's own). ``exclusive=True`` replaces the SDK's processors (its
    default one exports to OpenAI) instead of adding to them."""
    processor_keys = {"agent_id", "workflow_agent_id", "capture_content", "max_content_chars"}
    processor_options = {k: options.pop(k) for k in list(options) if k in processor_keys}
    if client is None:
        client = AurenClient(**options)
    elif options:
        raise TypeError(f"unexpected options with an existing client: {', '.join(options)}")
    processor = AurenTracingProcessor(client, **processor_options)
    if exclusive:
        set_trace_processors([processor])
    else:
        add_trace_processor(processor)
    return processor
