"""Intake's use cases and the table of the events it handles."""
