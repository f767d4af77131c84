"""Helpers shared by the framework integrations (:mod:`auren.langchain`, :mod:`auren.openai_agents`).

Standard library only: importing this module never imports a framework.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import OrderedDict
from datetime import datetime
from typing import Any, Callable, Mapping, TypeVar

from .events import ID_MAX, to_iso

_SLUG = re.compile(r"[^a-z0-9]+")

F = TypeVar("F", bound=Callable[..., Any])


def slug(name: Any, fallback: str = "agent") -> str:
    """``"Research Analyst"`` → ``"research_analyst"``: a stable AUREN agent id from a display name."""
    text = _SLUG.sub("_", str(name or "").strip().lower()).strip("_")
    return (text or fallback)[:ID_MAX]


def truncate(value: Any, limit: int) -> str | None:
    """``value`` as text, cut to ``limit`` characters (with an ellipsis); None stays None."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def as_int(value: Any) -> int | None:
    """A token count: a non-negative int, or None for anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return max(0, int(value))


def _get(source: Any, key: str) -> Any:
    if isinstance(source, Mapping):
        return source.get(key)
    return getattr(source, key, None)


def usage_tokens(usage: Any) -> tuple[int | None, int | None]:
    """(input, output) tokens from a usage dict or object, with the names providers use:
    ``input_tokens``/``output_tokens`` (LangChain usage_metadata, OpenAI Responses, Agents SDK),
    ``prompt_tokens``/``completion_tokens`` (OpenAI Chat Completions); output falls back to
    ``total_tokens - input`` when only the total is given."""
    if usage is None:
        return None, None

    def first(*keys: str) -> int | None:
        for key in keys:
            value = as_int(_get(usage, key))
            if value is not None:
                return value
        return None

    prompt = first("input_tokens", "prompt_tokens")
    completion = first("output_tokens", "completion_tokens")
    if completion is None and prompt is not None:
        total = first("total_tokens")
        completion = max(0, total - prompt) if total is not None else None
    return prompt, completion


def iso(value: Any) -> str | None:
    """An ISO-8601 time (string or datetime) as the contract's millisecond UTC form; None if unreadable."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_iso(value)
    try:
        return to_iso(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def ms_between(start: Any, end: Any) -> float | None:
    """Milliseconds between two ISO-8601 times (strings or datetimes), None when either is missing."""
    if start is None or end is None:
        return None
    try:
        a = start if isinstance(start, datetime) else datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        b = end if isinstance(end, datetime) else datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return round(max(0.0, (b - a).total_seconds() * 1000), 3)


class Bounded(OrderedDict):
    """A dict that forgets its oldest entries past ``limit``: runs whose end never came must not
    grow the host's memory."""

    def __init__(self, limit: int = 10_000) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


def guarded(log: logging.Logger) -> Callable[[F], F]:
    """Decorates a framework hook so that it never raises into the framework: a failure is logged
    and counted in ``self.errors``."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                method(self, *args, **kwargs)
            except Exception:  # noqa: BLE001 - observability must never break the agent
                self.errors += 1
                log.warning("auren: could not map %s", method.__name__, exc_info=True)

        return wrapper  # type: ignore[return-value]

    return decorate
