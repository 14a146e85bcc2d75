"""The HTTP edge every service shares: app factory, problem+json, health, metrics,
body size and rate limits."""

from switchboard.servicekit.http.app import create_app
from switchboard.servicekit.http.documented import (
    answers,
    any_query,
    problems,
    takes_any_query,
)
from switchboard.servicekit.http.problems import Problem, problem_response
from switchboard.servicekit.http.rate_limits import (
    LimitText,
    RateLimitRule,
    client_address,
    path_prefix,
    path_segment,
)
from switchboard.servicekit.http.text import require_storable, storable

__all__ = [
    "LimitText",
    "Problem",
    "RateLimitRule",
    "answers",
    "any_query",
    "client_address",
    "create_app",
    "path_prefix",
    "path_segment",
    "problem_response",
    "problems",
    "require_storable",
    "storable",
    "takes_any_query",
]
