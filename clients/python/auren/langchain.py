"""LangChain / LangGraph integration: a callback handler that turns runs into AUREN events.

    from auren import AurenClient
    from auren.langchain import AurenCallbackHandler, instrument

    client = AurenClient("http://localhost:3000", api_key="test-key")
    graph = instrument(builder.compile(), client)          # one line: every invoke is tracked
    graph.invoke({"messages": [("user", "hello")]})
    # or per call: graph.invoke(inputs, config={"callbacks": [AurenCallbackHandler(client)]})

Needs ``pip install "auren-realtime[langchain]"`` (langchain-core 1.x; LangGraph optional).
Agent ids: inside a LangGraph graph each node is an agent (its id is the node name, slugified);
the graph itself, or a plain chain invoked at the top, is an agent named after its run name.
What maps to what is listed in docs/integrations/langgraph.md.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

try:
    from langchain_core.callbacks import BaseCallbackHandler
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        'auren.langchain needs langchain-core: pip install "auren-realtime[langchain]" (or pip install langchain-core)'
    ) from error

from ._integrations import Bounded, guarded, slug, truncate, usage_tokens
from .client import AurenClient

log = logging.getLogger("auren.langchain")

__all__ = ["AurenCallbackHandler", "handler_of", "instrument"]

# LangGraph signals interrupts (human in the loop) and commands to a parent graph with exceptions
# that pass through on_chain_error; they pause or redirect a run, they do not fail it.
_CONTROL_FLOW = frozenset({"GraphBubbleUp", "GraphInterrupt", "NodeInterrupt", "ParentCommand"})


@dataclass
class _Run:
    """What the handler remembers of one LangChain run between its start and its end."""

    kind: str  # "agent" (graph, top-level chain or graph node), "chain", "llm", "tool", "retriever"
    name: str
    trace_id: str
    owner: "_Run | None"  # the agent run this run belongs to (itself for an agent run)
    root: "_Run | None"  # the top-level agent run (the graph)
    started: float = field(default_factory=time.monotonic)
    agent: dict[str, str] = field(default_factory=dict)
    session_id: str | None = None
    start_event_id: str | None = None
    node_key: str | None = None  # LangGraph task (checkpoint namespace) the run belongs to
    node: str | None = None
    step: int | None = None
    in_graph: bool = False
    model: str | None = None
    query: str | None = None
    tool_input: Any = None
    tool_call_id: str | None = None
    agents: list[str] = field(default_factory=list)  # for a top-level run: node agents in order


def _name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any], fallback: str) -> str:
    name = kwargs.get("name")
    if isinstance(name, str) and name:
        return name
    serialized = serialized or {}
    name = serialized.get("name")
    if isinstance(name, str) and name:
        return name
    ident = serialized.get("id")
    if isinstance(ident, list) and ident and isinstance(ident[-1], str):
        return ident[-1]
    return fallback


def _node_key(metadata: Mapping[str, Any]) -> str | None:
    node = metadata.get("langgraph_node")
    if not isinstance(node, str) or not node:
        return None
    ns = metadata.get("langgraph_checkpoint_ns") or metadata.get("checkpoint_ns")
    return str(ns) if ns else f"{node}:{metadata.get('langgraph_step')}"


def _message_text(value: Any) -> Any:
    """The readable part of a LangChain value: a message's content, the last message of a state."""
    if isinstance(value, Mapping) and isinstance(value.get("messages"), Sequence) and value["messages"]:
        value = value["messages"][-1]
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and value:
        value = value[-1]
    content = getattr(value, "content", None)
    if content is not None:
        return content if isinstance(content, str) else str(content)
    if type(value).__name__ == "Command":  # langgraph.types.Command: what it writes to the state
        return _message_text(getattr(value, "update", None))
    return value


class AurenCallbackHandler(BaseCallbackHandler):
    """A LangChain callback handler that sends chain, graph-node, LLM, tool and retriever runs to
    AUREN through ``client``. Attach it with ``config={"callbacks": [handler]}`` or
    :func:`instrument`. Callbacks only enqueue (see :class:`~auren.AurenClient`) and never raise;
    a callback that could not be mapped is logged and counted in :attr:`errors`.

    ``agent_id`` maps a LangGraph node name or a run name to the AUREN agent id (default:
    lower-case, non-alphanumerics to ``_``); ``root_agent_id`` fixes the id of the top-level run
    (the graph). ``capture_content`` sends inputs, outputs, LLM responses and tool arguments, cut
    to ``max_content_chars``; off, only names, sizes, timings and token counts are sent.
    """

    # Callbacks only enqueue: run them inline, in order, also under ainvoke.
    run_inline = True
    raise_error = False

    def __init__(
        self,
        client: AurenClient,
        *,
        agent_id: Callable[[str], str] = slug,
        root_agent_id: str | None = None,
        capture_content: bool = True,
        max_content_chars: int = 2000,
    ) -> None:
        super().__init__()
        if not isinstance(client, AurenClient):
            raise TypeError(f"client must be an auren.AurenClient, got {type(client).__name__}")
        if max_content_chars < 1:
            raise ValueError(f"max_content_chars must be at least 1, got {max_content_chars}")
        self.client = client
        self.agent_id = agent_id
        self.root_agent_id = root_agent_id
        self.capture_content = capture_content
        self.max_content_chars = max_content_chars
        self.errors = 0
        self._lock = threading.Lock()
        self._runs: Bounded = Bounded()  # run_id -> _Run
        self._tool_calls: Bounded = Bounded()  # tool_call_id -> the agent _Run whose model asked for it

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until the client has sent everything queued so far."""
        return self.client.flush(timeout)

    # ------------------------------------------------------------------ helpers

    def _content(self, value: Any) -> str | None:
        return truncate(_message_text(value), self.max_content_chars) if self.capture_content else None

    def _arguments(self, value: Any) -> Any:
        """Tool arguments: the mapping itself when it is small, else its JSON cut to size."""
        if not self.capture_content:
            return None
        if isinstance(value, Mapping):
            text = json.dumps(value, default=str, ensure_ascii=False)
            return dict(value) if len(text) <= self.max_content_chars else truncate(text, self.max_content_chars)
        return truncate(value, self.max_content_chars)

    def _start(self, run_id: Any, run: _Run) -> None:
        with self._lock:
            self._runs.put(str(run_id), run)

    def _parent(self, parent_run_id: Any) -> _Run | None:
        if parent_run_id is None:
            return None
        with self._lock:
            return self._runs.get(str(parent_run_id))

    def _end(self, run_id: Any) -> _Run | None:
        with self._lock:
            return self._runs.pop(str(run_id), None)

    def _child(self, kind: str, name: str, run_id: Any, parent: _Run | None, metadata: Mapping[str, Any]) -> _Run:
        """A run that belongs to an agent run: its parent's, or none at the top level."""
        if parent is not None:
            return _Run(kind, name, parent.trace_id, parent.owner, parent.root, in_graph=parent.in_graph)
        return _Run(kind, name, uuid.UUID(str(run_id)).hex, None, None, in_graph=_node_key(metadata) is not None)

    def _who(self, run: _Run) -> dict[str, str]:
        if run.owner is not None:
            return run.owner.agent
        return {"id": self.root_agent_id or "langchain", "role": "langchain"}

    def _fields(self, run: _Run, run_id: Any, **extra: Any) -> dict[str, Any]:
        """session_id, trace_id, parent_event_id and metadata of an event about ``run``."""
        owner = run.owner
        metadata: dict[str, Any] = {"source": "langgraph" if run.in_graph else "langchain", "run_id": str(run_id)}
        node = owner.node if owner is not None else None
        if node:
            metadata["langgraph_node"] = node
            if owner is not None and owner.step is not None:
                metadata["langgraph_step"] = owner.step
        fields: dict[str, Any] = {
            "trace_id": run.trace_id,
            "session_id": owner.session_id if owner is not None else None,
            "parent_event_id": owner.start_event_id if owner is not None and owner is not run else None,
            "metadata": metadata,
        }
        fields.update(extra)
        return {k: v for k, v in fields.items() if v is not None}

    # ------------------------------------------------------------------ chains, graphs and nodes

    @guarded(log)
    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        metadata = metadata or {}
        name = _name(serialized, kwargs, "chain")
        parent = self._parent(parent_run_id)
        node_key = _node_key(metadata)
        node = metadata.get("langgraph_node") if node_key else None
        top = parent is None
        # A graph node starts when a run enters a LangGraph task its parent is not part of.
        new_node = (
            node_key is not None
            and isinstance(node, str)
            and not node.startswith("__")
            and (top or parent.node_key != node_key)  # type: ignore[union-attr]
        )
        if not top and not new_node:
            run = self._child("chain", name, run_id, parent, metadata)
            run.node_key = parent.node_key  # type: ignore[union-attr]
            self._start(run_id, run)
            return

        trace_id = parent.trace_id if parent is not None else uuid.UUID(str(run_id)).hex
        in_graph = node_key is not None or metadata.get("ls_integration") == "langgraph" or (
            parent is not None and parent.in_graph
        )
        run = _Run("agent", name, trace_id, None, parent.root if parent is not None else None, in_graph=in_graph)
        run.owner = run
        if run.root is None:
            run.root = run
        run.node_key = node_key
        run.start_event_id = str(uuid.uuid4())
        if new_node:
            run.node = node
            step = metadata.get("langgraph_step")
            run.step = step if isinstance(step, int) else None
            agent_id = self.agent_id(node)  # type: ignore[arg-type]
            run.agent = {"id": agent_id, "role": node}  # type: ignore[dict-item]
            run.session_id = str(uuid.uuid4())
            root = run.root
            with self._lock:  # parallel branches start nodes from several threads
                if root is not run and agent_id not in root.agents:
                    root.agents.append(agent_id)
            kind = "graph_node"
        else:
            run.agent = {"id": self.root_agent_id or self.agent_id(name), "role": "graph" if in_graph else "chain", "name": name}
            thread = metadata.get("thread_id")
            run.session_id = str(thread)[:128] if thread else trace_id
            kind = "graph" if in_graph else "chain"
        self._start(run_id, run)
        self.client.track(
            "agent_execution_started",
            run.agent,
            payload={"kind": kind, "name": name, "input": self._content(inputs), "tags": tags or None},
            **self._fields(
                run,
                run_id,
                event_id=run.start_event_id,
                parent_event_id=parent.owner.start_event_id if parent is not None and parent.owner else None,
            ),
        )

    def _chain_done(self, run_id: Any, outputs: Any, error: BaseException | None) -> None:
        run = self._end(run_id)
        if run is None or run.kind != "agent":
            return
        control = error is not None and any(c.__name__ in _CONTROL_FLOW for c in type(error).__mro__)
        success = error is None or control
        fields = self._fields(run, run_id, parent_event_id=run.start_event_id)
        if run.root is run and success and len(run.agents) > 1:
            self.client.track_collaboration(
                run.agent, collaborating_agents=run.agents, consensus_reached=True, topic=run.name, **fields
            )
        self.client.track(
            "agent_execution_completed",
            run.agent,
            payload={
                "kind": "graph_node" if run.node else ("graph" if run.in_graph else "chain"),
                "name": run.name,
                "output": self._content(outputs) if error is None else None,
                "error": truncate(f"{type(error).__name__}: {error}", 2000) if error is not None and not control else None,
                "status": "interrupted" if control else None,
                "agents": run.agents or None,
            },
            performance_metrics={
                "latency_ms": round((time.monotonic() - run.started) * 1000, 3),
                "success": success,
                "error_type": None if success else type(error).__name__[:256],
            },
            **fields,
        )
        if run.root is run:
            self.client.flush(timeout=0)  # a nudge: send now, do not wait

    @guarded(log)
    def on_chain_end(self, outputs: Any, *, run_id: Any, parent_run_id: Any = None, **kwargs: Any) -> None:
        self._chain_done(run_id, outputs, None)

    @guarded(log)
    def on_chain_error(self, error: BaseException, *, run_id: Any, parent_run_id: Any = None, **kwargs: Any) -> None:
        self._chain_done(run_id, None, error)

    @guarded(log)
    def on_agent_action(self, action: Any, *, run_id: Any, parent_run_id: Any = None, **kwargs: Any) -> None:
        run = self._parent(run_id) or self._parent(parent_run_id)
        if run is None:
            return
        self.client.track_decision(
            self._who(run),
            decision=getattr(action, "tool", None) or "action",
            reasoning=truncate(getattr(action, "log", None), self.max_content_chars) if self.capture_content else None,
            payload={"tool_input": self._content(getattr(action, "tool_input", None))},
            **self._fields(run, run_id),
        )

    # ------------------------------------------------------------------ LLM calls

    def _llm_start(self, serialized: Any, run_id: Any, parent_run_id: Any, metadata: Any, kwargs: Mapping[str, Any]) -> None:
        metadata = metadata or {}
        parent = self._parent(parent_run_id)
        run = self._child("llm", _name(serialized, kwargs, "llm"), run_id, parent, metadata)
        params = kwargs.get("invocation_params") or {}
        ser_kwargs = (serialized or {}).get("kwargs") or {}
        for candidate in (
            params.get("model"),
            params.get("model_name"),
            params.get("model_id"),
            metadata.get("ls_model_name"),
            ser_kwargs.get("model") if isinstance(ser_kwargs, Mapping) else None,
            ser_kwargs.get("model_name") if isinstance(ser_kwargs, Mapping) else None,
        ):
            if isinstance(candidate, str) and candidate:
                run.model = candidate
                break
        self._start(run_id, run)

    @guarded(log)
    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._llm_start(serialized, run_id, parent_run_id, metadata, kwargs)

    @guarded(log)
    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._llm_start(serialized, run_id, parent_run_id, metadata, kwargs)

    @guarded(log)
    def on_llm_end(self, response: Any, *, run_id: Any, parent_run_id: Any = None, **kwargs: Any) -> None:
        run = self._end(run_id)
        if run is None:
            return
        generations = [g for batch in getattr(response, "generations", None) or [] for g in batch]
        input_tokens = output_tokens = None
        model = None
        text = None
        tool_calls: list[dict[str, Any]] = []
        finish_reason = None
        for generation in generations:
            message = getattr(generation, "message", None)
            i, o = usage_tokens(getattr(message, "usage_metadata", None))
            if i is not None or o is not None:
                input_tokens = (input_tokens or 0) + (i or 0)
                output_tokens = (output_tokens or 0) + (o or 0)
            meta = getattr(message, "response_metadata", None) or {}
            model = model or meta.get("model_name") or meta.get("model")
            finish_reason = finish_reason or meta.get("finish_reason") or meta.get("stop_reason")
            tool_calls.extend(getattr(message, "tool_calls", None) or [])
            if text is None:
                text = getattr(message, "content", None) if message is not None else getattr(generation, "text", None)
        llm_output = getattr(response, "llm_output", None) or {}
        if input_tokens is None and output_tokens is None and isinstance(llm_output, Mapping):
            input_tokens, output_tokens = usage_tokens(llm_output.get("token_usage") or llm_output.get("usage"))
        if isinstance(llm_output, Mapping):
            model = model or llm_output.get("model_name") or llm_output.get("model")
        owner = run.owner
        if owner is not None:
            with self._lock:
                for call in tool_calls:
                    if isinstance(call, Mapping) and call.get("id"):
                        self._tool_calls.put(str(call["id"]), owner)
        self.client.track_llm_call(
            self._who(run),
            model=str(model or run.model or run.name),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            latency_ms=round((time.monotonic() - run.started) * 1000, 3),
            response=self._content(text) if text else None,
            payload={
                "finish_reason": finish_reason,
                "tool_calls": [c.get("name") for c in tool_calls if isinstance(c, Mapping)] or None,
                "generations": len(generations),
            },
            **self._fields(run, run_id),
        )

    @guarded(log)
    def on_llm_error(self, error: BaseException, *, run_id: Any, parent_run_id: Any = None, **kwargs: Any) -> None:
        run = self._end(run_id)
        if run is None:
            return
        self.client.track_llm_call(
            self._who(run),
            model=str(run.model or run.name),
            latency_ms=round((time.monotonic() - run.started) * 1000, 3),
            success=False,
            error_type="llm_error",
            payload={"error": truncate(f"{type(error).__name__}: {error}", 2000)},
            **self._fields(run, run_id),
        )

    # ------------------------------------------------------------------ tools

    @guarded(log)
    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parent = self._parent(parent_run_id)
        run = self._child("tool", _name(serialized, kwargs, "tool"), run_id, parent, metadata or {})
        call_id = kwargs.get("tool_call_id")
        if call_id:
            run.tool_call_id = str(call_id)
            with self._lock:
                asker = self._tool_calls.pop(str(call_id), None)
            # A prebuilt ToolNode runs the tool in a node of its own: the tool is still used by
            # the agent whose model asked for it.
            if asker is not None and asker.trace_id == run.trace_id:
                run.owner = asker
        run.tool_input = inputs if inputs is not None else input_str
        self._start(run_id, run)

    def _tool_done(self, run_id: Any, output: Any, error: BaseException | None) -> None:
        run = self._end(run_id)
        if run is None:
            return
        status = getattr(output, "status", None)  # a ToolMessage the tool returned as an error
        success = error is None and status != "error"
        self.client.track_tool_usage(
            self._who(run),
            tool_name=run.name,
            tool_input=self._arguments(run.tool_input),
            tool_output=self._content(output) if error is None else None,
            latency_ms=round((time.monotonic() - run.started) * 1000, 3),
            success=success,
            error=truncate(f"{type(error).__name__}: {error}", 2000) if error is not None else None,
            error_type=None if success else "tool_error",
            payload={"tool_call_id": run.tool_call_id},
            **self._fields(run, run_id),
        )

    @guarded(log)
    def on_tool_end(self, output: Any, *, run_id: Any, parent_run_id: Any = None, **kwargs: Any) -> None:
        self._tool_done(run_id, output, None)

    @guarded(log)
    def on_tool_error(self, error: BaseException, *, run_id: Any, parent_run_id: Any = None, **kwargs: Any) -> None:
        self._tool_done(run_id, None, error)

    # ------------------------------------------------------------------ retrievers

    @guarded(log)
    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parent = self._parent(parent_run_id)
        run = self._child("retriever", _name(serialized, kwargs, "retriever"), run_id, parent, metadata or {})
        run.query = query
        self._start(run_id, run)

    def _retriever_done(self, run_id: Any, documents: Sequence[Any] | None, error: BaseException | None) -> None:
        run = self._end(run_id)
        if run is None:
            return
        self.client.track_knowledge_access(
            self._who(run),
            source=run.name,
            query=truncate(run.query, self.max_content_chars) if self.capture_content else None,
            results_count=len(documents) if documents is not None else None,
            latency_ms=round((time.monotonic() - run.started) * 1000, 3),
            payload={"error": truncate(f"{type(error).__name__}: {error}", 2000) if error is not None else None},
            performance_metrics={"success": error is None, "error_type": "retriever_error" if error is not None else None},
            **self._fields(run, run_id),
        )

    @guarded(log)
    def on_retriever_end(self, documents: Sequence[Any], *, run_id: Any, parent_run_id: Any = None, **kwargs: Any) -> None:
        self._retriever_done(run_id, documents, None)

    @guarded(log)
    def on_retriever_error(self, error: BaseException, *, run_id: Any, parent_run_id: Any = None, **kwargs: Any) -> None:
        self._retriever_done(run_id, None, error)


def instrument(runnable: Any, client: AurenClient | None = None, **options: Any) -> Any:
    """One line: ``graph = instrument(graph, client)`` returns ``graph.with_config(callbacks=[...])``
    with an :class:`AurenCallbackHandler` (a new client for ``AUREN_INGEST_URL``/``AUREN_API_KEY``
    when ``client`` is None; options then go to the client, except the handler's own).
    :func:`handler_of` gives the handler back (for its ``errors`` count or ``flush``)."""
    handler_keys = {"agent_id", "root_agent_id", "capture_content", "max_content_chars"}
    handler_options = {k: options.pop(k) for k in list(options) if k in handler_keys}
    if client is None:
        client = AurenClient(**options)
    elif options:
        raise TypeError(f"unexpected options with an existing client: {', '.join(options)}")
    with_config = getattr(runnable, "with_config", None)
    if not callable(with_config):
        raise TypeError(f"instrument() needs a LangChain Runnable or LangGraph graph, got {type(runnable).__name__}")
    handler = AurenCallbackHandler(client, **handler_options)
    return with_config(callbacks=[handler])


def handler_of(runnable: Any) -> AurenCallbackHandler | None:
    """The :class:`AurenCallbackHandler` that :func:`instrument` attached to ``runnable``, if any."""
    config = getattr(runnable, "config", None) or {}
    callbacks = config.get("callbacks") if isinstance(config, Mapping) else None
    handlers = getattr(callbacks, "handlers", callbacks) or []
    for handler in handlers:
        if isinstance(handler, AurenCallbackHandler):
            return handler
    return None
