"""Real Kafka and PostgreSQL as plain local processes, for tests and the local platform."""
