"""Switchboard escalation service."""
