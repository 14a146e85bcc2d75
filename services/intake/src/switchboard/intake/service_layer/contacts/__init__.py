"""Contacts from channel adapters becoming cases: the accept use case and its group commit."""
