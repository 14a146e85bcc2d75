"""The HTTP edge every service shares: app factory, problem+json, health, metrics."""

from switchboard.servicekit.http.app import create_app
from switchboard.servicekit.http.problems import Problem, problem_response

__all__ = ["Problem", "create_app", "problem_response"]
