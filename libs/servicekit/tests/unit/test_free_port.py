"""Ports for local servers are chosen below the kernel's ephemeral range, where no client
connection's own end can take them between the choice and the (re)start."""

from __future__ import annotations

import socket

from switchboard.servicekit.devinfra import _process
from switchboard.servicekit.devinfra._process import LOOPBACK, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_bound():
    first_ephemeral = _process._first_ephemeral_port()
    for _ in range(20):
        port = free_port()
        assert _process.LISTEN_PORTS_FROM <= port < first_ephemeral
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK, port))


def test_a_narrow_range_falls_back_to_the_kernels_choice(monkeypatch):
    monkeypatch.setattr(_process, "_first_ephemeral_port", lambda: _process.LISTEN_PORTS_FROM)
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, port))
