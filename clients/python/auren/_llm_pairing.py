"""Pairs the start and end events of LLM calls (used by :mod:`auren.crewai`; no CrewAI import, so
it is unit-tested on its own).

CrewAI emits ``LLMCallStartedEvent`` and then ``LLMCallCompletedEvent`` or ``LLMCallFailedEvent``
for each call, and runs the handlers on a thread pool, so the end may be handled first. A pair is
found, in this order:

1. the same ``call_id`` (CrewAI's providers, and custom LLMs that emit inside
   ``llm_call_context()``);
2. the end's ``started_event_id`` is the start's ``event_id`` (CrewAI sets it from its scope stack
   even when the call ids differ, e.g. a custom LLM that emits outside ``llm_call_context()``, where
   each event gets a fresh call id);
3. by position, only when :meth:`LLMCallPairer.settle` is called (the agent's run ended, the crew
   ended, a flush): within one (agent, task), in the order of the events' timestamps, each end goes
   with the earliest start before it that is still unpaired (first in, first out). Halves left over are
   kept until a final settle, which hands back ends without a start (still worth reporting: they
   carry the usage) and starts without an end.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

Key = tuple[str | None, str | None]
Pair = tuple[Any, Any, str]  # (start event, end event, how: "call_id" | "started_event_id" | "position")


def call_key(event: Any) -> Key:
    """(agent, task) of an LLM event: CrewAI's agent id (else its role) and task id; ``None`` when absent."""
    agent = getattr(event, "agent_id", None) or getattr(event, "agent_role", None)
    task = getattr(event, "task_id", None)
    return (str(agent) if agent else None, str(task) if task else None)


@dataclass
class _Half:
    event: Any
    is_start: bool
    key: Key
    arrival: int
    call_id: str | None = None
    event_id: str | None = None
    started_event_id: str | None = None
    seq: int | None = None
    order: tuple[Any, ...] = field(default_factory=tuple)


@dataclass
class Settled:
    """What a settle produced: new pairs, and (final settle only) the halves that found no partner."""

    pairs: list[Pair] = field(default_factory=list)
    lone_ends: list[Any] = field(default_factory=list)
    lone_starts: list[Any] = field(default_factory=list)


def _str(value: Any) -> str | None:
    return str(value) if value else None


class LLMCallPairer:
    """Pairs LLM start and end events. Not thread-safe: the caller holds a lock.

    ``limit`` bounds the halves kept waiting (the oldest are forgotten and counted in
    ``forgotten``), so a stream of ends without starts cannot grow memory without bound.
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._arrivals = itertools.count()
        self._halves: OrderedDict[int, _Half] = OrderedDict()
        self.paired = {"call_id": 0, "started_event_id": 0, "position": 0}
        self.forgotten = 0

    def __len__(self) -> int:
        return len(self._halves)

    # ------------------------------------------------------------------ arrivals

    def add_start(self, event: Any) -> list[Pair]:
        """A start arrived: ``[(start, end, how)]`` when its end was waiting, else ``[]``."""
        return self._add(event, True)

    def add_end(self, event: Any) -> list[Pair]:
        """An end (completed or failed) arrived: ``[(start, end, how)]`` when its start was waiting, else ``[]``."""
        return self._add(event, False)

    def _add(self, event: Any, is_start: bool) -> list[Pair]:
        half = self._half(event, is_start)
        for other_id, other in self._halves.items():
            if other.is_start == is_start:
                continue
            start, end = (half, other) if is_start else (other, half)
            how = self._exact(start, end)
            if how:
                del self._halves[other_id]
                self.paired[how] += 1
                return [(start.event, end.event, how)]
        self._halves[half.arrival] = half
        while len(self._halves) > self.limit:
            self._halves.popitem(last=False)
            self.forgotten += 1
        return []

    @staticmethod
    def _exact(start: _Half, end: _Half) -> str | None:
        if start.call_id and start.call_id == end.call_id:
            return "call_id"
        if start.event_id and start.event_id == end.started_event_id:
            return "started_event_id"
        return None

    def _half(self, event: Any, is_start: bool) -> _Half:
        seq = getattr(event, "emission_sequence", None)
        half = _Half(
            event=event,
            is_start=is_start,
            key=call_key(event),
            arrival=next(self._arrivals),
            call_id=_str(getattr(event, "call_id", None)),
            event_id=_str(getattr(event, "event_id", None)),
            started_event_id=_str(getattr(event, "started_event_id", None)),
            seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        )
        timestamp = getattr(event, "timestamp", None)
        half.order = (timestamp.timestamp() if isinstance(timestamp, datetime) else 0.0, half.arrival)
        return half

    # ------------------------------------------------------------------ settling

    def pending(self, match: Callable[[Key], bool] | None = None) -> int:
        """Halves waiting (of the (agent, task) keys ``match`` accepts, or all)."""
        return sum(1 for h in self._halves.values() if match is None or match(h.key))

    def settle(self, match: Callable[[Key], bool] | None = None, *, final: bool = False) -> Settled:
        """Pairs by position the waiting halves of the (agent, task) keys ``match`` accepts (all
        when ``None``).

        Not final: leftovers keep waiting (their partner's handler may still be running). Final:
        leftovers are removed and returned as ``lone_ends`` / ``lone_starts``.
        """
        groups: dict[Key, list[_Half]] = {}
        for half in self._halves.values():
            if match is None or match(half.key):
                groups.setdefault(half.key, []).append(half)
        result = Settled()
        for halves in groups.values():
            # By time; on a tie starts first (first in, first out still pairs them right), then
            # CrewAI's emission counter (one per context, so only a tie-breaker), then arrival.
            halves.sort(key=lambda h: (h.order[0], not h.is_start, h.seq or 0, h.order[1]))
            open_starts: list[_Half] = []
            for half in halves:
                if half.is_start:
                    open_starts.append(half)
                elif open_starts:
                    start = open_starts.pop(0)
                    del self._halves[start.arrival]
                    del self._halves[half.arrival]
                    self.paired["position"] += 1
                    result.pairs.append((start.event, half.event, "position"))
            if final:
                for half in halves:
                    if half.arrival in self._halves:
                        del self._halves[half.arrival]
                        (result.lone_starts if half.is_start else result.lone_ends).append(half.event)
        return result
