"""Just enough of the Redis protocol (RESP2) to read the AUREN stream in tests: no client library."""

from __future__ import annotations

import json
import socket
from urllib.parse import unquote, urlparse


def _command(sock_file, *args: str):
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    sock_file.write(b"".join(out))
    sock_file.flush()
    return _reply(sock_file)


def _reply(f):
    line = f.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(f"redis error: {rest.decode()}")
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = f.read(size + 2)
        return data[:-2].decode()
    if kind == b"*":
        size = int(rest)
        return None if size < 0 else [_reply(f) for _ in range(size)]
    raise RuntimeError(f"unexpected redis reply {line!r}")


def read_stream(redis_url: str, key: str) -> list[dict]:
    """Every event in the stream ``key``, oldest first, each with its ``stream_id``."""
    url = urlparse(redis_url)
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=5) as sock:
        f = sock.makefile("rwb")
        if url.password:
            args = [unquote(url.username), unquote(url.password)] if url.username else [unquote(url.password)]
            _command(f, "AUTH", *args)
        db = (url.path or "/").lstrip("/")
        if db:
            _command(f, "SELECT", db)
        entries = _command(f, "XRANGE", key, "-", "+") or []
    events = []
    for entry_id, fields in entries:
        pairs = dict(zip(fields[::2], fields[1::2]))
        event = json.loads(pairs["event"])
        event.setdefault("stream_id", entry_id)
        events.append(event)
    return events
