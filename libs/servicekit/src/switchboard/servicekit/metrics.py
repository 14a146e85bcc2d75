"""Prometheus metrics every service exposes on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS_PUBLISHED = Counter(
    "switchboard_outbox_published_total", "Events published from the outbox", ["topic"]
)
OUTBOX_DEPTH = Gauge("switchboard_outbox_depth", "Outbox rows not yet published")
EVENTS_CONSUMED = Counter(
    "switchboard_events_consumed_total", "Events handled by a consumer", ["group", "type"]
)
EVENTS_DEAD_LETTERED = Counter(
    "switchboard_events_dead_lettered_total", "Records sent to a dead-letter topic", ["group"]
)
CONSUMER_LAG = Gauge(
    "switchboard_consumer_lag", "Records behind the partition end", ["group", "topic", "partition"]
)
TIMERS_FIRED = Counter("switchboard_timers_fired_total", "Durable timers fired", ["kind"])
TIMERS_FAILED = Counter("switchboard_timers_failed_total", "Timer handler failures", ["kind"])
TIMER_LAG = Gauge("switchboard_timer_lag_seconds", "Due-to-fire lag of the last timer batch")
