"""Intake's tables and queries, the adapter directory, the sealing of secrets at rest."""
