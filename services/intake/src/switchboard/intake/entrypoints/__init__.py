"""Intake's entry points: the HTTP app and the command line."""
