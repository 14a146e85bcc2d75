"""Prometheus metrics every service exposes on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.02,
    0.03,
    0.04,
    0.05,
    0.075,
    0.1,
    0.15,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

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
CONSUMER_FETCH_DELAY = Histogram(
    "switchboard_consumer_fetch_delay_seconds",
    "From a record's Kafka timestamp to its consumer fetching it",
    ["group"],
    buckets=LATENCY_BUCKETS,
)
CONSUMER_TRANSACTION = Histogram(
    "switchboard_consumer_transaction_seconds",
    "One consumer transaction (one record, or a batch of them), commit included",
    ["group"],
    buckets=LATENCY_BUCKETS,
)
OUTBOX_PUBLISH_DELAY = Histogram(
    "switchboard_outbox_publish_delay_seconds",
    "From an event's outbox write to Kafka acknowledging it",
    buckets=LATENCY_BUCKETS,
)
STALLED = Gauge(
    "switchboard_stalled",
    "1 while a background loop waits for an unreachable dependency (database, broker...)",
    ["loop"],
)
DEPENDENCY_UP = Gauge(
    "switchboard_dependency_up", "1 when the dependency answered its last check", ["dependency"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "switchboard_outbox_oldest_age_seconds", "Age of the oldest outbox row not yet published"
)
HTTP_REQUESTS = Counter(
    "switchboard_http_requests_total",
    "HTTP requests answered, by method, route template and status code (not /healthz, "
    "/readyz or /metrics)",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "switchboard_http_request_duration_seconds",
    "From a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
HTTP_STREAMS_OPEN = Gauge(
    "switchboard_http_streams_open",
    "Server-sent event streams (text/event-stream answers) open now, by route template; their "
    "requests are counted but kept out of switchboard_http_request_duration_seconds",
    ["route"],
)
READY = Gauge(
    "switchboard_ready",
    "1 when the service's last readiness evaluation (every /readyz and /metrics) said ready",
)
