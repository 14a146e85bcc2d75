"""Feedback's tables and the roll-up store."""
