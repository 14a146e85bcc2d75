"""Pytest fixtures that give tests the real Kafka broker and PostgreSQL."""
