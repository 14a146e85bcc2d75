"""Prometheus counters of the escalation service (served on /metrics by servicekit's app)."""

from prometheus_client import Counter

SLA_THRESHOLDS_FIRED = Counter(
    "escalation_sla_thresholds_fired_total",
    "SLA warnings and breaches emitted, by metric and kind",
    ["metric", "kind"],
)
ESCALATIONS_RAISED = Counter(
    "escalation_escalations_raised_total", "Escalations raised, by trigger", ["trigger"]
)
WEBHOOK_ATTEMPTS = Counter(
    "escalation_webhook_attempts_total", "Webhook delivery attempts, by outcome", ["outcome"]
)
