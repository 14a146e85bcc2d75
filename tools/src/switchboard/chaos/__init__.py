"""Chaos runs: a simulated day on the real platform while processes are killed -9 (the
services, a routing replica, the broker, PostgreSQL), restarted, and the invariants checked
from the topics read from the start and the APIs. ``python -m switchboard.chaos`` is the
soak (faults at random, seeded); tests/chaos runs the short fixed schedule."""
