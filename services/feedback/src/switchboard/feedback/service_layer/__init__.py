"""Feedback's use cases and the table of its event and timer handlers."""
