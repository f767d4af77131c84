"""Unit tests of auren._llm_pairing: how LLM call start and end events become calls.

The events are plain objects with the fields CrewAI's LLM events carry (call_id, event_id,
started_event_id, agent_id, task_id, timestamp, emission_sequence); no CrewAI, no ingest.
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from auren._llm_pairing import LLMCallPairer, call_key

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
_ids = itertools.count(1)


def ev(
    kind: str,
    ms: int,
    *,
    call_id: str | None = None,
    agent: str | None = "a1",
    task: str | None = "t1",
    started: str | None = None,
    seq: int | None = None,
    **extra,
):
    return SimpleNamespace(
        type=kind,
        event_id=f"e{next(_ids)}",
        call_id=call_id,
        started_event_id=started,
        agent_id=agent,
        agent_role=extra.pop("role", None),
        task_id=task,
        timestamp=T0 + timedelta(milliseconds=ms),
        emission_sequence=seq,
        **extra,
    )


def start(ms: int, **kw):
    return ev("llm_call_started", ms, **kw)


def end(ms: int, **kw):
    return ev("llm_call_completed", ms, **kw)


def ids(pairs):
    return [(s.event_id, e.event_id, how) for s, e, how in pairs]


def test_same_call_id_pairs_at_once_whichever_half_comes_first():
    sut = LLMCallPairer()
    s1, e1 = start(0, call_id="c1"), end(5, call_id="c1")
    assert sut.add_end(e1) == []  # the end's handler ran first
    assert ids(sut.add_start(s1)) == [(s1.event_id, e1.event_id, "call_id")]
    assert len(sut) == 0 and sut.paired["call_id"] == 1


def test_started_event_id_pairs_when_the_call_ids_differ():
    # A custom LLM emitting outside llm_call_context(): every event gets a fresh call id, but
    # CrewAI's scope stack names the start in the end's started_event_id.
    sut = LLMCallPairer()
    s1 = start(0, call_id="fresh-1")
    e1 = end(5, call_id="fresh-2", started=s1.event_id)
    assert sut.add_start(s1) == []
    assert ids(sut.add_end(e1)) == [(s1.event_id, e1.event_id, "started_event_id")]


def test_without_ids_calls_pair_by_position_only_when_settled():
    sut = LLMCallPairer()
    s1, e1, s2, e2 = start(0), end(10), start(20), end(30)
    for half in (s1, e1, s2, e2):
        assert (sut.add_start(half) if half.type.endswith("started") else sut.add_end(half)) == []
    assert sut.pending() == 4
    settled = sut.settle()
    assert ids(settled.pairs) == [(s1.event_id, e1.event_id, "position"), (s2.event_id, e2.event_id, "position")]
    assert settled.lone_ends == settled.lone_starts == [] and len(sut) == 0


def test_position_is_first_in_first_out_per_agent_and_task_whatever_the_arrival_order():
    sut = LLMCallPairer()
    calls = []
    for offset, (agent, task) in enumerate((("a1", "t1"), ("a1", "t2"), ("a2", "t1"))):
        for n in range(3):  # three sequential calls each, with mismatched call ids
            base = n * 100 + offset
            calls.append((start(base, call_id=f"s{next(_ids)}", agent=agent, task=task), end(base + 40, call_id=f"x{next(_ids)}", agent=agent, task=task)))
    halves = [h for pair in calls for h in pair]
    random.Random(15).shuffle(halves)  # CrewAI's thread pool may run handlers in any order
    for half in halves:
        assert (sut.add_start(half) if half.type.endswith("started") else sut.add_end(half)) == []
    settled = sut.settle()
    assert sorted(ids(settled.pairs)) == sorted((s.event_id, e.event_id, "position") for s, e in calls)


def test_settling_one_key_leaves_the_others_waiting():
    sut = LLMCallPairer()
    mine = [start(0, agent="a1"), end(5, agent="a1")]
    other = [start(1, agent="a2"), end(6, agent="a2")]
    for half in mine + other:
        sut.add_start(half) if half.type.endswith("started") else sut.add_end(half)
    settled = sut.settle(lambda key: key == ("a1", "t1"))
    assert ids(settled.pairs) == [(mine[0].event_id, mine[1].event_id, "position")]
    assert sut.pending() == 2 and sut.pending(lambda key: key[0] == "a2") == 2


def test_a_settle_that_is_not_final_keeps_leftovers_for_a_late_partner():
    sut = LLMCallPairer()
    s1, e1, s2, e2 = start(0), end(10), start(20), end(30)
    sut.add_start(s1)
    sut.add_end(e1)
    sut.add_end(e2)  # e2's start has not been handled yet
    settled = sut.settle()
    assert ids(settled.pairs) == [(s1.event_id, e1.event_id, "position")]
    assert settled.lone_ends == [] and sut.pending() == 1
    sut.add_start(s2)  # late
    assert ids(sut.settle(final=True).pairs) == [(s2.event_id, e2.event_id, "position")]


def test_an_end_never_pairs_with_a_start_that_came_after_it():
    sut = LLMCallPairer()
    e0 = end(0)  # an end whose start was never emitted
    s1 = start(10)
    sut.add_end(e0)
    sut.add_start(s1)
    settled = sut.settle(final=True)
    assert settled.pairs == []
    assert [e.event_id for e in settled.lone_ends] == [e0.event_id]
    assert [s.event_id for s in settled.lone_starts] == [s1.event_id]
    assert len(sut) == 0


def test_equal_timestamps_still_pair_in_order():
    # Fast calls on a coarse clock: an end and the next start at the same instant.
    sut = LLMCallPairer()
    s1, e1, s2, e2 = start(0, seq=1), end(0, seq=2), start(0, seq=3), end(0, seq=4)
    for half in (e2, s2, e1, s1):
        sut.add_start(half) if half.type.endswith("started") else sut.add_end(half)
    assert ids(sut.settle().pairs) == [(s1.event_id, e1.event_id, "position"), (s2.event_id, e2.event_id, "position")]


def test_call_ids_win_over_position():
    sut = LLMCallPairer()
    s1, s2 = start(0, call_id="c1"), start(1, call_id="c2")
    e2 = end(5, call_id="c2")
    sut.add_start(s1)
    sut.add_start(s2)
    assert ids(sut.add_end(e2)) == [(s2.event_id, e2.event_id, "call_id")]  # not s1, the earliest
    assert sut.pending() == 1


def test_missing_agent_and_task_are_a_key_of_their_own():
    assert call_key(start(0, agent=None, task=None)) == (None, None)
    assert call_key(start(0, agent=None, task="t", role="Writer")) == ("Writer", "t")
    sut = LLMCallPairer()
    s1, e1 = start(0, agent=None, task=None), end(3, agent="a1")
    sut.add_start(s1)
    sut.add_end(e1)
    settled = sut.settle(final=True)
    assert settled.pairs == [] and len(settled.lone_starts) == len(settled.lone_ends) == 1


def test_waiting_halves_are_bounded_and_the_forgotten_counted():
    sut = LLMCallPairer(limit=3)
    ends = [end(n) for n in range(5)]
    for half in ends:
        sut.add_end(half)
    assert len(sut) == 3 and sut.forgotten == 2
    assert [e.event_id for e in sut.settle(final=True).lone_ends] == [e.event_id for e in ends[2:]]
