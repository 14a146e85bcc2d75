"""Is a Kafka broker really serving? One Metadata request over a plain socket.

A listening port is not enough: a KRaft broker accepts connections before it has registered
with its controller, and clients that connect then see no brokers. The probe counts the
brokers in a Metadata v4 response (Kafka 4 dropped v0-v3); a fenced broker is not listed,
so a non-empty list means producers and consumers will work. Plain sockets keep this usable
from any thread, with or without an event loop.
"""

from __future__ import annotations

import socket
import struct

_METADATA = 3
_VERSION = 4
_CLIENT_ID = b"switchboard-probe"


def _request(correlation_id: int) -> bytes:
    header = struct.pack(">hhih", _METADATA, _VERSION, correlation_id, len(_CLIENT_ID))
    # No topics (only the broker list is wanted), and no auto-creation.
    body = struct.pack(">ib", 0, 0)
    payload = header + _CLIENT_ID + body
    return struct.pack(">i", len(payload)) + payload


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        chunks.extend(chunk)
    return bytes(chunks)


def broker_count(host: str, port: int, *, timeout: float = 2.0) -> int:
    """How many live brokers the broker at host:port reports (raises OSError if none answers)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(_request(correlation_id=1))
        (size,) = struct.unpack(">i", _read_exactly(sock, 4))
        response = _read_exactly(sock, size)
    # Response header v0 is the correlation id; Metadata v4's body opens with the throttle
    # time, then the broker array.
    _correlation, _throttle_ms, brokers = struct.unpack_from(">iii", response)
    return int(brokers)


def is_serving(host: str, port: int) -> bool:
    try:
        return broker_count(host, port) > 0
    except (OSError, struct.error):
        return False
