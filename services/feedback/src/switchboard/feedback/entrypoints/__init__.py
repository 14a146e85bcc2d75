"""Feedback's HTTP app and command line."""
