"""The local platform: a private Kafka broker, PostgreSQL or SQLite, and the four services as
processes on loopback, started in order, checked ready and stopped cleanly (``switchboard-up``).
"""
