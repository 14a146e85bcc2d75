"""Switchboard feedback service."""
