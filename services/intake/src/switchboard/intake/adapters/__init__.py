"""Intake's database tables and queries."""
