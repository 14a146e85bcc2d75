"""Committed JSON Schemas of every event version, and the checks that keep them compatible."""
