"""Intake's entry points: HTTP API, Kafka consumer, command line."""
