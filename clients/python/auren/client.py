"""AurenClient: buffered, batched, retrying sender of agent events (standard library only)."""

from __future__ import annotations

import atexit
import json
import logging
import os
import random
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections import deque
from typing import Any, Iterable, Mapping

from . import __version__
from .events import (
    MAX_BATCH,
    MAX_BODY_BYTES,
    InvalidEventError,
    agent_ref,
    clean,
    encode,
    new_event_id,
    now_iso,
    to_iso,
    validate,
)

log = logging.getLogger("auren")

_RETRYABLE = frozenset({408, 425, 429})  # and every 5xx
# Room left in a request body for `{"events":[...]}` and the commas.
_BATCH_BYTES = MAX_BODY_BYTES - 1024


class AgentSession(tuple):
    """What :meth:`AurenClient.track_agent_start` returns: unpacks as ``session_id, trace_id = ...``;
    also carries the start event's ``event_id`` and ``started_at`` (``time.monotonic()``), which
    :meth:`AurenClient.track_agent_complete` uses for ``parent_event_id`` and the latency."""

    def __new__(cls, session_id: str, trace_id: str, event_id: str = "", started_at: float = 0.0) -> "AgentSession":
        self = super().__new__(cls, (session_id, trace_id))
        self.event_id = event_id
        self.started_at = started_at
        return self

    @property
    def session_id(self) -> str:
        return self[0]

    @property
    def trace_id(self) -> str:
        return self[1]

    def __repr__(self) -> str:
        return f"AgentSession(session_id={self[0]!r}, trace_id={self[1]!r}, event_id={self.event_id!r})"


class _Delivery:
    """Outcome of one POST."""

    __slots__ = ("status", "retry_after", "body", "error")

    def __init__(self, status: int = 0, retry_after: float | None = None, body: Any = None, error: str = ""):
        self.status = status
        self.retry_after = retry_after
        self.body = body
        self.error = error


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # HTTP-date form
        from email.utils import parsedate_to_datetime

        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class AurenClient:
    """Sends agent events to an AUREN ingest (``POST /v1/events/batch``).

    ``track_*`` and :meth:`send` only check the event and put it in a bounded buffer; a daemon
    thread sends the buffer in batches (every ``flush_interval`` seconds, or as soon as
    ``batch_size`` events wait), retrying 429/503/network errors with exponential backoff and
    honouring ``Retry-After``. When the buffer is full, new events are dropped and counted
    (:meth:`stats`), so a slow or dead ingest never blocks or grows the agent.
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        batch_size: int = 100,
        flush_interval: float = 1.0,
        max_buffer: int = 10_000,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        timeout: float = 10.0,
        user_id: str | None = None,
        default_metadata: Mapping[str, Any] | None = None,
        flush_at_exit: bool = True,
        exit_timeout: float = 5.0,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size}")
        if max_buffer < 1:
            raise ValueError(f"max_buffer must be at least 1, got {max_buffer}")
        if flush_interval <= 0:
            raise ValueError(f"flush_interval must be > 0 seconds, got {flush_interval}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        base = (url or os.environ.get("AUREN_INGEST_URL") or "http://localhost:3000").rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {base!r}")
        self.url = base
        self._endpoint = f"{base}/v1/events/batch"
        self._api_key = api_key if api_key is not None else os.environ.get("AUREN_API_KEY")
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_buffer = max_buffer
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.timeout = timeout
        self.user_id = user_id
        self.default_metadata = dict(default_metadata or {})
        self.exit_timeout = exit_timeout

        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[tuple[str, bytes]] = deque()
        self._queued_since = 0.0
        self._inflight = 0
        self._flush_requested = False
        self._closing = False
        self._closed = False
        self._abort = threading.Event()
        self._thread: threading.Thread | None = None
        self._sessions: dict[str, AgentSession] = {}
        self._counters = dict.fromkeys(
            ("enqueued", "sent", "duplicates", "dropped", "rejected", "failed", "retries", "requests"), 0
        )
        self._last_error: str | None = None
        if flush_at_exit:
            ref = weakref.ref(self)
            atexit.register(lambda: (client := ref()) is not None and client.close(client.exit_timeout))

    # ------------------------------------------------------------------ public API

    def track_agent_start(
        self,
        agent: str | Mapping[str, Any],
        *,
        task: str | None = None,
        session_id: str | None = None,
        trace_id: str | None = None,
        **fields: Any,
    ) -> AgentSession:
        """``agent_execution_started``; returns the run's ``(session_id, trace_id)`` (new ones unless given)."""
        ref = agent_ref(agent)
        session = AgentSession(
            session_id=session_id or new_event_id(),
            trace_id=trace_id or new_event_id().replace("-", ""),
            event_id=new_event_id(),
            started_at=time.monotonic(),
        )
        payload = {"task": task} if task is not None else {}
        self._emit(
            "agent_execution_started",
            ref,
            payload,
            event_id=session.event_id,
            session_id=session.session_id,
            trace_id=session.trace_id,
            **fields,
        )
        with self._cond:
            if len(self._sessions) >= 10_000:  # forgotten runs must not grow memory
                self._sessions.pop(next(iter(self._sessions)))
            self._sessions[ref.get("id", "")] = session
        return session

    def track_agent_complete(
        self,
        agent: str | Mapping[str, Any],
        *,
        session: AgentSession | None = None,
        success: bool = True,
        result: Any = None,
        error: str | None = None,
        latency_ms: float | None = None,
        **fields: Any,
    ) -> str:
        """``agent_execution_completed``; latency is measured from the matching start when not given."""
        ref = agent_ref(agent)
        with self._cond:
            started = session or self._sessions.get(ref.get("id", ""))
            if session is None or self._sessions.get(ref.get("id", "")) == session:
                self._sessions.pop(ref.get("id", ""), None)
        if started is not None:
            fields.setdefault("session_id", started.session_id)
            fields.setdefault("trace_id", started.trace_id)
            fields.setdefault("parent_event_id", started.event_id or None)
            if latency_ms is None and started.started_at:
                latency_ms = round((time.monotonic() - started.started_at) * 1000, 3)
        metrics = {"latency_ms": latency_ms, "success": success, "error_type": fields.pop("error_type", None)}
        payload = {"result": result, "error": error}
        return self._emit("agent_execution_completed", ref, payload, metrics=metrics, **fields)

    def track_llm_call(
        self,
        agent: str | Mapping[str, Any],
        *,
        model: str,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        latency_ms: float | None = None,
        token_cost: float | None = None,
        success: bool = True,
        prompt: Any = None,
        response: Any = None,
        **fields: Any,
    ) -> str:
        """``llm_call`` with the model and token counts (``tokens_used`` is their sum)."""
        total = None
        if input_tokens is not None or output_tokens is not None:
            total = (input_tokens or 0) + (output_tokens or 0)
        metrics = {
            "model": model,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "tokens_used": total,
            "latency_ms": latency_ms,
            "token_cost": token_cost,
            "success": success,
            "error_type": fields.pop("error_type", None),
        }
        payload = {"model": model, "prompt": prompt, "response": response}
        return self._emit("llm_call", agent_ref(agent), payload, metrics=metrics, **fields)

    def track_tool_usage(
        self,
        agent: str | Mapping[str, Any],
        *,
        tool_name: str,
        tool_input: Any = None,
        tool_output: Any = None,
        latency_ms: float | None = None,
        success: bool = True,
        error: str | None = None,
        **fields: Any,
    ) -> str:
        """``tool_usage``: which tool, with what, how long, whether it worked."""
        metrics = {"latency_ms": latency_ms, "success": success, "error_type": fields.pop("error_type", None)}
        payload = {"tool_name": tool_name, "tool_input": tool_input, "tool_output": tool_output, "error": error}
        return self._emit("tool_usage", agent_ref(agent), payload, metrics=metrics, **fields)

    def track_collaboration(
        self,
        agent: str | Mapping[str, Any],
        *,
        collaborating_agents: Iterable[str],
        consensus_reached: bool = False,
        topic: str | None = None,
        **fields: Any,
    ) -> str:
        """``agent_collaboration`` with ``primary_agent``, ``collaborating_agents`` and ``consensus_reached``."""
        ref = agent_ref(agent)
        payload = {
            "primary_agent": ref.get("id"),
            "collaborating_agents": list(collaborating_agents),
            "consensus_reached": bool(consensus_reached),
            "topic": topic,
        }
        return self._emit("agent_collaboration", ref, payload, **fields)

    def track_decision(
        self,
        agent: str | Mapping[str, Any],
        *,
        decision: Any,
        confidence: float | None = None,
        reasoning: str | None = None,
        options: Iterable[Any] | None = None,
        **fields: Any,
    ) -> str:
        """``agent_decision``; ``confidence`` becomes ``performance_metrics.confidence_score``."""
        payload = {"decision": decision, "reasoning": reasoning, "options": list(options) if options else None}
        metrics = {"confidence_score": confidence}
        return self._emit("agent_decision", agent_ref(agent), payload, metrics=metrics, **fields)

    def track_memory_access(
        self,
        agent: str | Mapping[str, Any],
        *,
        tier: str,
        operation: str,
        hit: bool | None = None,
        key: str | None = None,
        latency_ms: float | None = None,
        **fields: Any,
    ) -> str:
        """``memory_tier_access``: ``tier`` (redis, postgresql, chromadb...), ``operation``, ``hit``."""
        payload = {"tier": tier, "operation": operation, "hit": hit, "key": key}
        metrics = {"latency_ms": latency_ms}
        return self._emit("memory_tier_access", agent_ref(agent), payload, metrics=metrics, **fields)

    def track_hypothesis(
        self,
        agent: str | Mapping[str, Any],
        *,
        hypothesis: str,
        confidence: float | None = None,
        evidence: Iterable[Any] | None = None,
        **fields: Any,
    ) -> str:
        """``hypothesis_formation``; ``confidence`` becomes ``confidence_score``."""
        payload = {"hypothesis": hypothesis, "evidence": list(evidence) if evidence else None}
        metrics = {"confidence_score": confidence}
        return self._emit("hypothesis_formation", agent_ref(agent), payload, metrics=metrics, **fields)

    def track_knowledge_access(
        self,
        agent: str | Mapping[str, Any],
        *,
        source: str,
        query: str | None = None,
        results_count: int | None = None,
        latency_ms: float | None = None,
        **fields: Any,
    ) -> str:
        """``knowledge_access``: which knowledge source, the query, how many results."""
        payload = {"source": source, "query": query, "results_count": results_count}
        metrics = {"latency_ms": latency_ms}
        return self._emit("knowledge_access", agent_ref(agent), payload, metrics=metrics, **fields)

    def track(
        self,
        event_type: str,
        agent: str | Mapping[str, Any],
        *,
        payload: Mapping[str, Any] | None = None,
        performance_metrics: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> str:
        """Any event type (``custom.*`` included) for ``agent``; ``fields`` are top-level event
        fields (``session_id``, ``trace_id``, ``parent_event_id``, ``target_agent``, ``metadata``,
        ``timestamp``...). Returns the event_id."""
        return self._emit(event_type, agent_ref(agent), payload or {}, metrics=performance_metrics, **fields)

    def send(self, event: Mapping[str, Any]) -> str:
        """Queues one event as given (contract §1 field names); fills in ``event_id`` and ``timestamp``.

        Returns the event_id. Raises :class:`InvalidEventError` (a ``ValueError``) for an event the
        ingest would refuse.
        """
        body = dict(event)
        body.setdefault("event_id", new_event_id())
        if body.get("timestamp") is None:
            body["timestamp"] = now_iso()
        elif hasattr(body["timestamp"], "isoformat"):
            body["timestamp"] = to_iso(body["timestamp"])
        if self.user_id and "user_id" not in body:
            body["user_id"] = self.user_id
        if self.default_metadata:
            body["metadata"] = {**self.default_metadata, **(body.get("metadata") or {})}
        validate(body)
        encoded = encode(body)
        if len(encoded) > _BATCH_BYTES:
            raise InvalidEventError("(event)", f"is {len(encoded)} bytes encoded; the ingest takes at most 1 MiB per request")
        self._enqueue(body["event_id"], encoded)
        return body["event_id"]

    def flush(self, timeout: float | None = None) -> bool:
        """Sends what is buffered now; True when the buffer is empty before ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            if not self._queue and not self._inflight:
                return True
            self._ensure_thread()
            self._flush_requested = True
            self._cond.notify_all()
            while self._queue or self._inflight:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                if not self._thread or not self._thread.is_alive():
                    return False
                self._cond.wait(remaining)
            return True

    def close(self, timeout: float | None = 5.0) -> bool:
        """Flushes (up to ``timeout`` seconds), then stops the sender. Events left unsent count as failed."""
        with self._cond:
            if self._closed:
                return True
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        done = True
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                done = False
                self._abort.set()  # stop waiting between retries
                thread.join(min(1.0, self.timeout))  # a request in flight may still end; do not wait for it
        with self._cond:
            self._closed = True
            if self._queue:
                self._counters["failed"] += len(self._queue)
                self._last_error = f"{len(self._queue)} events left unsent at close"
                log.warning("auren: %s (the ingest at %s did not take them in time)", self._last_error, self.url)
                self._queue.clear()
                done = False
        return done

    def stats(self) -> dict[str, Any]:
        """Counters: enqueued, sent, duplicates, dropped (buffer full or client closed), rejected (4xx),
        failed (gave up after retries or left at close), retries, requests, buffered, last_error."""
        with self._cond:
            out: dict[str, Any] = dict(self._counters)
            out["buffered"] = len(self._queue) + self._inflight
            out["last_error"] = self._last_error
            return out

    def __enter__(self) -> "AurenClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close(self.exit_timeout)

    # ------------------------------------------------------------------ internals

    def _emit(
        self,
        event_type: str,
        ref: dict[str, str],
        base_payload: Mapping[str, Any],
        *,
        metrics: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> str:
        extra_payload = fields.pop("payload", None) or {}
        extra_metrics = fields.pop("performance_metrics", None) or {}
        target = fields.pop("target_agent", None)
        if "session_id" not in fields or "trace_id" not in fields:
            with self._cond:
                active = self._sessions.get(ref.get("id", ""))
            if active is not None:
                fields.setdefault("session_id", active.session_id)
                fields.setdefault("trace_id", active.trace_id)
        event: dict[str, Any] = {"event_type": event_type, "source_agent": ref}
        if target is not None:
            event["target_agent"] = agent_ref(target, "target_agent")
        event.update(clean(fields))
        event["payload"] = {**clean(base_payload), **clean(extra_payload)}
        perf = {**clean(metrics), **clean(extra_metrics)}
        if perf:
            event["performance_metrics"] = perf
        return self.send(event)

    def _enqueue(self, event_id: str, encoded: bytes) -> None:
        with self._cond:
            if self._closing or self._closed:
                self._counters["dropped"] += 1
                self._last_error = "event sent after close(); dropped"
                return
            if len(self._queue) + self._inflight >= self.max_buffer:
                self._counters["dropped"] += 1
                if self._counters["dropped"] == 1 or self._counters["dropped"] % 1000 == 0:
                    log.warning(
                        "auren: buffer full (%d events), dropping new events (%d so far); is the ingest at %s up?",
                        self.max_buffer,
                        self._counters["dropped"],
                        self.url,
                    )
                return
            if not self._queue:
                self._queued_since = time.monotonic()
            self._queue.append((event_id, encoded))
            self._counters["enqueued"] += 1
            self._ensure_thread()
            if len(self._queue) == 1 or len(self._queue) >= self.batch_size:
                self._cond.notify_all()

    def _ensure_thread(self) -> None:
        # Called with the lock held.
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="auren-sender", daemon=True)
            self._thread.start()

    def _next_batch(self) -> list[tuple[str, bytes]] | None:
        """Waits until a batch is due; None when closing with nothing left."""
        with self._cond:
            while True:
                if self._queue:
                    due = (
                        len(self._queue) >= self.batch_size
                        or self._flush_requested
                        or self._closing
                        or time.monotonic() - self._queued_since >= self.flush_interval
                    )
                    if due:
                        break
                    self._cond.wait(self._queued_since + self.flush_interval - time.monotonic())
                else:
                    self._flush_requested = False
                    self._cond.notify_all()
                    if self._closing:
                        return None
                    self._cond.wait()
            batch: list[tuple[str, bytes]] = []
            size = 0
            while self._queue and len(batch) < self.batch_size:
                item_size = len(self._queue[0][1]) + 1
                if batch and size + item_size > _BATCH_BYTES:
                    break
                batch.append(self._queue.popleft())
                size += item_size
            self._inflight = len(batch)
            self._queued_since = time.monotonic()
            return batch

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._deliver(batch)
            except Exception as error:  # noqa: BLE001 - the sender thread must survive anything
                self._count("failed", len(batch), f"unexpected error: {error!r}")
                log.exception("auren: unexpected error while sending events")
            finally:
                with self._cond:
                    self._inflight = 0
                    self._cond.notify_all()

    def _count(self, key: str, n: int, error: str | None = None) -> None:
        with self._cond:
            self._counters[key] += n
            if error is not None:
                self._last_error = error

    def _post(self, batch: list[tuple[str, bytes]]) -> _Delivery:
        body = b'{"events":[' + b",".join(item for _, item in batch) + b"]}"
        headers = {"Content-Type": "application/json", "User-Agent": f"auren-python/{__version__}"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(self._endpoint, data=body, headers=headers, method="POST")
        self._count("requests", 1)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw, retry = response.status, response.read(), response.headers.get("Retry-After")
        except urllib.error.HTTPError as error:
            status, raw, retry = error.code, error.read(), error.headers.get("Retry-After")
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            return _Delivery(error=f"cannot reach {self._endpoint}: {reason}")
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"message": raw[:200].decode(errors="replace")}
        return _Delivery(status=status, retry_after=_retry_after(retry), body=parsed)

    def _deliver(self, batch: list[tuple[str, bytes]]) -> None:
        attempt = 0
        while batch:
            result = self._post(batch)
            if 200 <= result.status < 300:
                results = result.body.get("results") if isinstance(result.body, dict) else None
                duplicates = sum(1 for r in results or [] if isinstance(r, dict) and r.get("duplicate"))
                with self._cond:
                    self._counters["sent"] += len(batch) - duplicates
                    self._counters["duplicates"] += duplicates
                return
            message = result.error or self._describe(result)
            if result.status == 400:
                bad = self._bad_indexes(result.body, len(batch))
                self._count("rejected", len(bad) if bad else len(batch), message)
                log.error("auren: the ingest refused %d events: %s", len(bad) or len(batch), message)
                if not bad:
                    return
                batch = [item for i, item in enumerate(batch) if i not in bad]
                continue
            if result.status == 413 and len(batch) > 1:
                half = len(batch) // 2
                self._deliver(batch[:half])
                batch = batch[half:]
                continue
            if result.status and result.status < 500 and result.status not in _RETRYABLE:
                self._count("rejected", len(batch), message)
                log.error("auren: the ingest refused %d events: %s", len(batch), message)
                return
            attempt += 1
            if attempt > self.max_retries:
                self._count("failed", len(batch), f"gave up after {self.max_retries} retries: {message}")
                log.error("auren: gave up on %d events after %d retries: %s", len(batch), self.max_retries, message)
                return
            if result.retry_after is not None:
                delay = min(result.retry_after, self.backoff_max)
            else:
                delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            self._count("retries", 1, message)
            log.debug("auren: %s; retry %d/%d in %.2f s", message, attempt, self.max_retries, delay)
            if self._abort.wait(delay):
                self._count("failed", len(batch), f"closing; gave up on unsent events: {message}")
                return

    @staticmethod
    def _describe(result: _Delivery) -> str:
        body = result.body if isinstance(result.body, dict) else {}
        return f"HTTP {result.status}: {body.get('message') or body.get('error') or 'no message'}"

    @staticmethod
    def _bad_indexes(body: Any, size: int) -> set[int]:
        details = body.get("details") if isinstance(body, dict) else None
        bad = {d.get("index") for d in details or [] if isinstance(d, dict)}
        return {i for i in bad if isinstance(i, int) and 0 <= i < size}
