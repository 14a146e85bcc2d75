"""Switchboard intake service."""
