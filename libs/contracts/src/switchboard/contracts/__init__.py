"""Switchboard's public contracts: event models, topics, envelope and schema registry.

Depends on pydantic and the standard library only, so other systems can install it alone.
The populated registry lives in ``switchboard.contracts.events``.
"""
