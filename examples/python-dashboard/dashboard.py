#!/usr/bin/env python3
"""A terminal dashboard for AUREN Realtime in Python, with python-socketio's client.

It connects to a gateway with the handshake ``auth`` of the wire contract (token, agent_filter,
performance_threshold, subscriptions, resume_from), prints every event in one line, keeps the
last stream position, and when the connection drops (a gateway restarted or drained, a network
blip) reconnects by itself with ``resume_from`` set to that position: the gateway replays what
was missed, so nothing is lost or repeated. Commands typed on stdin change the filter live
(``filter_update``), the subscriptions, or fetch recent events. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

import socketio  # python-socketio[client]

# Exit codes, the same as `npm run test-connection`.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4

# A reconnection refused with one of these is tried again (python-socketio does that by itself);
# any other refusal (a bad or expired token, a bad handshake) would fail every time: stop.
RETRYABLE_REFUSALS = {"SERVER_AT_CAPACITY", "USER_CONNECTION_LIMIT"}

COMMANDS = """commands (type one per line, Enter):
  filter a,b        only these agents (filter_update agent_filter); "filter" alone: all agents
  threshold 0.8     minimum confidence_score (filter_update performance_threshold); 0: none
  subscribe NAME    add a subscription (llm_usage, tool_usage, agent_activity, ...)
  unsubscribe NAME  drop one
  recent [N]        the newest N events this connection may see (get_recent, default 10)
  ping              round trip to the gateway
  quit              disconnect and exit"""


def split_list(value: str | None) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def time_of_day(iso: Any) -> str:
    """``09:39:22.000Z`` of an ISO timestamp (UTC), or the value as it is."""
    if not isinstance(iso, str):
        return "--:--:--.---Z"
    try:
        # Python 3.10's fromisoformat does not read "Z".
        at = datetime.fromisoformat(iso.replace("Z", "+00:00"))  # noqa: FURB162
    except ValueError:
        return iso
    return at.strftime("%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def event_line(event: dict[str, Any]) -> str:
    """One readable line: time, position, type, agent, the main metrics, event id."""
    metrics = event.get("performance_metrics") or {}
    agent = (event.get("source_agent") or {}).get("id", "?")
    parts = [
        time_of_day(event.get("timestamp")),
        str(event.get("stream_id", "-")),
        str(event.get("event_type", "?")),
        str(agent),
    ]
    if metrics.get("model"):
        parts.append(f"model={metrics['model']}")
    if isinstance(metrics.get("latency_ms"), (int, float)):
        parts.append(f"latency={round(metrics['latency_ms'])}ms")
    if isinstance(metrics.get("tokens_used"), int):
        parts.append(f"tokens={metrics['tokens_used']}")
    if isinstance(metrics.get("token_cost"), (int, float)):
        parts.append(f"cost=${metrics['token_cost']:.4f}")
    if isinstance(metrics.get("confidence_score"), (int, float)):
        parts.append(f"conf={metrics['confidence_score']:.2f}")
    if metrics.get("success") is False:
        parts.append("FAILED")
    parts.append(f"id={event.get('event_id', '?')}")
    return " ".join(parts)


def short_cause(error: Any) -> str:
    """The useful part of a requests/websocket error text (``[Errno 111] Connection refused``)."""
    text = str(error)
    found = re.search(r"\[Errno -?\d+\][^\"')]*", text)
    return found.group(0).strip() if found else text[:200]


def refusal_of(data: Any) -> dict[str, str] | None:
    """The gateway's ``{code, message}`` in what python-socketio hands a ``connect_error``
    handler: for a refused handshake a dict ``{"message": ..., "data": {"code", "message"}}``;
    for a transport failure a plain string (no code)."""
    if isinstance(data, dict):
        inner = data.get("data")
        if isinstance(inner, dict) and "code" in inner:
            return {
                "code": str(inner["code"]),
                "message": str(inner.get("message", "")),
            }
    return None


class Dashboard:
    """State (filters, position) and the Socket.IO handlers; thread-safe."""

    def __init__(self, args: argparse.Namespace, out: TextIO = sys.stdout) -> None:
        self.args = args
        self.out = out
        self.lock = threading.Lock()
        self.token: str | None = args.token
        self.agent_filter: list[str] = split_list(args.agent_filter)
        self.threshold: float = args.performance_threshold
        self.subscriptions: list[str] | None = (
            split_list(args.subscriptions) if args.subscriptions is not None else None
        )
        self.position: str | None = args.resume_from
        self.events = 0
        self.refusal: dict[str, str] | None = None
        self.established = threading.Event()
        self.stop = threading.Event()
        self.reconnect = threading.Event()
        self.reconnecting_myself = False
        self.exit_code = EXIT_OK
        self.sio = socketio.Client(
            reconnection=True,
            reconnection_delay=0.5,
            reconnection_delay_max=args.reconnect_delay_max,
            logger=False,
            engineio_logger=False,
            handle_sigint=False,
        )
        self._register()

    # --- output -------------------------------------------------------------------------------

    def say(self, line: str) -> None:
        """A line for the user: stdout, or stderr in --json mode (stdout holds only JSON)."""
        stream = sys.stderr if self.args.json else self.out
        print(line, file=stream, flush=True)

    def show(self, body: Any, line: str) -> None:
        """A server message: its JSON in --json mode, else the readable line."""
        if self.args.json:
            print(json.dumps(body, separators=(",", ":")), file=self.out, flush=True)
        else:
            print(line, file=self.out, flush=True)

    # --- the handshake ------------------------------------------------------------------------

    def auth(self) -> dict[str, Any]:
        """Called by python-socketio on every (re)connection: the current settings and position."""
        with self.lock:
            auth: dict[str, Any] = {}
            if self.token:
                auth["token"] = self.token
            if self.agent_filter:
                auth["agent_filter"] = list(self.agent_filter)
            if self.threshold:
                auth["performance_threshold"] = self.threshold
            if self.subscriptions is not None:
                auth["subscriptions"] = list(self.subscriptions)
            if self.position:
                auth["resume_from"] = self.position
            return auth

    def _register(self) -> None:
        sio = self.sio
        on: Callable[[str], Callable[[Callable[..., None]], Any]] = sio.on

        @on("connect")
        def _connect() -> None:
            with self.lock:
                where = f" (resuming after {self.position})" if self.position else ""
            self.say(
                f"connected to {self.args.url}{where}; waiting for connection_established"
            )

        @on("connect_error")
        def _connect_error(data: Any = None) -> None:
            refusal = refusal_of(data)
            self.refusal = refusal
            # The first connect() and the dashboard's own reconnections raise, and their
            # caller reports it; python-socketio's own reconnections are reported here.
            if not self.established.is_set() or self.reconnecting_myself:
                return
            if refusal is None:
                self.say(f"reconnection failed: {short_cause(data)}; trying again")
                return
            line = f"refused: connect_error {refusal['code']}: {refusal['message']}"
            if refusal["code"] in RETRYABLE_REFUSALS:
                self.say(f"{line}; trying again")
                return
            # python-socketio would retry this refusal forever: stop instead.
            self.say(f"{line}; giving up")
            self.exit_code = EXIT_REFUSED
            self.stop.set()

        @on("disconnect")
        def _disconnect(reason: Any = None) -> None:
            if self.stop.is_set():
                return
            with self.lock:
                position = self.position
            if reason == "server disconnect":
                # A gateway that drains over long-polling sends Engine.IO's "close"; a gateway
                # that cannot replay a resume disconnects the socket. python-socketio reconnects
                # after neither (only after "transport error"): main() does it.
                self.say(
                    f"disconnected ({reason}); python-socketio does not reconnect after that, "
                    f"so the dashboard does: resume_from {position}"
                )
                self.reconnect.set()
            else:
                self.say(
                    f"disconnected ({reason}); reconnecting, resume_from {position}"
                )

        @on("connection_established")
        def _established(message: dict[str, Any]) -> None:
            with self.lock:
                if not self.position and message.get("position"):
                    self.position = message["position"]
            resume = message.get("resume")
            line = (
                f"connection_established: user {message.get('user_id')}, "
                f"subscriptions {','.join(message.get('subscriptions') or []) or '(none)'}, "
                f"agent_filter {','.join(message.get('agent_filter') or []) or '(all agents)'}, "
                f"threshold {message.get('performance_threshold')}"
            )
            if resume:
                line += (
                    f"; resume: recovered={str(resume.get('recovered')).lower()} "
                    f"replayed={resume.get('replayed')} from={resume.get('from')}"
                )
                if resume.get("reason"):
                    line += f" reason={resume['reason']}"
            self.show(message, line)
            self.established.set()

        @on("stream_event")
        def _stream_event(message: dict[str, Any]) -> None:
            event = message.get("event") or {}
            with self.lock:
                # With Kafka, resume_token covers every partition; with Redis, stream_id is it.
                self.position = (
                    event.get("resume_token") or event.get("stream_id") or self.position
                )
                self.events += 1
            self.show(message, event_line(event))

        @on("filter_updated")
        def _filter_updated(message: dict[str, Any]) -> None:
            with self.lock:
                self.agent_filter = list(message.get("agent_filter") or [])
                self.threshold = float(message.get("performance_threshold") or 0)
            agents = ",".join(self.agent_filter) or "(all agents)"
            self.show(
                message,
                f"filter_updated: agent_filter {agents}, threshold {self.threshold}",
            )

        @on("subscription_confirmed")
        def _subscribed(message: dict[str, Any]) -> None:
            with self.lock:
                current = (
                    self.subscriptions
                    if self.subscriptions is not None
                    else ["all_events"]
                )
                if message.get("subscription") not in current:
                    self.subscriptions = [*current, message["subscription"]]
            self.show(message, f"subscribed: {message.get('subscription')}")

        @on("unsubscription_confirmed")
        def _unsubscribed(message: dict[str, Any]) -> None:
            with self.lock:
                current = (
                    self.subscriptions
                    if self.subscriptions is not None
                    else ["all_events"]
                )
                self.subscriptions = [
                    s for s in current if s != message.get("subscription")
                ]
            self.show(message, f"unsubscribed: {message.get('subscription')}")

        @on("recent_events")
        def _recent(message: dict[str, Any]) -> None:
            lines = [f"recent_events: {message.get('count')}"]
            lines += [f"  {event_line(e)}" for e in message.get("events") or []]
            self.show(message, "\n".join(lines))

        @on("stream_reset")
        def _reset(message: dict[str, Any]) -> None:
            with self.lock:
                self.position = message.get("position") or self.position
            self.show(
                message,
                f"stream_reset ({message.get('reason')}): {message.get('message')}",
            )

        @on("stream_gap")
        def _gap(message: dict[str, Any]) -> None:
            self.show(
                message,
                f"stream_gap: {message.get('skipped')} events skipped "
                f"({message.get('from')} .. {message.get('to')})",
            )

        @on("error")
        def _error(message: dict[str, Any]) -> None:
            self.show(message, f"error {message.get('code')}: {message.get('message')}")

        @on("pong")
        def _pong(message: dict[str, Any]) -> None:
            self.show(message, f"pong: server_time {message.get('server_time')}")

        @on("*")
        def _other(event: str, message: Any = None) -> None:
            self.show(message, f"{event}: {json.dumps(message)}")

    # --- commands -----------------------------------------------------------------------------

    def command(self, text: str) -> None:
        """One stdin command (see COMMANDS)."""
        words = text.strip().split(maxsplit=1)
        if not words:
            return
        name, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
        try:
            if name == "filter":
                self.sio.emit(
                    "filter_update", {"agent_filter": split_list(rest) or None}
                )
            elif name == "threshold":
                self.sio.emit(
                    "filter_update", {"performance_threshold": float(rest or 0)}
                )
            elif name in ("subscribe", "unsubscribe") and rest:
                self.sio.emit(name, {"subscription": rest.strip()})
            elif name == "recent":
                self.sio.emit("get_recent", {"limit": int(rest or 10)})
            elif name == "ping":
                self.sio.emit("ping", {})
            elif name in ("quit", "exit"):
                self.stop.set()
            else:
                self.say(COMMANDS)
        except ValueError:
            self.say(f"not a number: {rest!r}")
        except socketio.exceptions.BadNamespaceError:
            self.say("not connected right now; try again once connected")

    def read_commands(self, stream: TextIO) -> None:
        """Reads commands until end of input (the dashboard keeps running after it)."""
        for text in stream:
            if self.stop.is_set():
                return
            self.command(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    port = os.environ.get("GATEWAY_PORT", "8765")
    parser = argparse.ArgumentParser(
        description="Print AUREN events live from a gateway, with filters and resume.",
        epilog=COMMANDS
        + "\n\nexit codes: 0 quit/Ctrl-C, 2 bad options, 3 handshake refused, 4 unreachable",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("AUREN_GATEWAY_URL", f"http://127.0.0.1:{port}"),
        help="gateway URL (default $AUREN_GATEWAY_URL, else http://127.0.0.1:$GATEWAY_PORT/8765)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("AUREN_GATEWAY_TOKEN"),
        help='auth.token (default $AUREN_GATEWAY_TOKEN); in development any "test..." token',
    )
    parser.add_argument(
        "--agent-filter", help="auth.agent_filter: agent ids, comma-separated"
    )
    parser.add_argument("--subscriptions", help="auth.subscriptions, comma-separated")
    parser.add_argument(
        "--performance-threshold",
        type=float,
        default=0.0,
        help="auth.performance_threshold",
    )
    parser.add_argument(
        "--resume-from", help="auth.resume_from: the last stream_id you saw"
    )
    parser.add_argument(
        "--json", action="store_true", help="server messages as JSON lines on stdout"
    )
    parser.add_argument(
        "--transport",
        choices=["websocket", "polling"],
        help="only this transport (default: long-polling, then upgrade to WebSocket)",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="handshake timeout, seconds"
    )
    parser.add_argument(
        "--reconnect-delay-max",
        type=float,
        default=5.0,
        help="longest wait between reconnection attempts, seconds (default 5)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.token:
        print(
            'error: no token: pass --token (in development any token that starts with "test", '
            "e.g. --token test-token) or set AUREN_GATEWAY_TOKEN",
            file=sys.stderr,
        )
        return EXIT_USAGE
    dash = Dashboard(args)
    signal.signal(signal.SIGTERM, lambda *_: dash.stop.set())
    try:
        connect(dash)
    except socketio.exceptions.ConnectionError as error:
        # The exception says only "One or more namespaces failed to connect"; the gateway's
        # {code, message} came to the connect_error handler.
        if dash.refusal:
            print(
                f"refused: connect_error {dash.refusal['code']}: {dash.refusal['message']}",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        print(
            f"cannot reach the gateway at {args.url}: {short_cause(error)} "
            "(check the URL and port, and that the gateway runs: npm start)",
            file=sys.stderr,
        )
        return EXIT_UNREACHABLE
    if not args.json:
        dash.say('type "help" for commands; Ctrl-C to quit')
    threading.Thread(target=dash.read_commands, args=(sys.stdin,), daemon=True).start()
    try:
        while not dash.stop.wait(0.25):
            if dash.reconnect.is_set():
                dash.reconnect.clear()
                reconnect(dash)
    except KeyboardInterrupt:
        pass
    dash.say(f"stopped: {dash.events} events received; last position {dash.position}")
    # shutdown() waits for python-engineio's background tasks; do not hang on one of them.
    closer = threading.Thread(target=dash.sio.shutdown, daemon=True)
    closer.start()
    closer.join(5)
    return dash.exit_code


def connect(dash: Dashboard) -> None:
    """One connection attempt; raises socketio.exceptions.ConnectionError (or ValueError while
    the previous connection is still being torn down)."""
    dash.refusal = None
    dash.sio.connect(
        dash.args.url,
        auth=dash.auth,
        transports=[dash.args.transport] if dash.args.transport else None,
        wait_timeout=dash.args.timeout,
    )


def reconnect(dash: Dashboard) -> None:
    """Reconnects (resuming, through dash.auth) where python-socketio does not, until connected,
    refused for good, or stopped; waits 0.5 s, then twice as long each time, up to the maximum."""
    delay = 0.5
    dash.reconnecting_myself = True
    try:
        while not dash.stop.wait(delay):
            try:
                connect(dash)
                return
            except (socketio.exceptions.ConnectionError, ValueError) as error:
                refusal = dash.refusal
                if refusal and refusal["code"] not in RETRYABLE_REFUSALS:
                    dash.say(
                        f"refused: connect_error {refusal['code']}: {refusal['message']}"
                    )
                    dash.exit_code = EXIT_REFUSED
                    dash.stop.set()
                    return
                cause = (
                    f"{refusal['code']}: {refusal['message']}"
                    if refusal
                    else short_cause(error)
                )
                dash.say(f"reconnection failed: {cause}; trying again")
            delay = min(delay * 2, dash.args.reconnect_delay_max)
    finally:
        dash.reconnecting_myself = False


if __name__ == "__main__":
    sys.exit(main())
