"""Real Kafka and PostgreSQL as plain local processes, for tests and the local platform."""

from switchboard.servicekit.devinfra._process import LOOPBACK, InfraError, free_port, log_tail

__all__ = ["LOOPBACK", "InfraError", "free_port", "log_tail"]
