"""``switchboard-dlq``: list, show and replay the dead letters of a consumer group."""
