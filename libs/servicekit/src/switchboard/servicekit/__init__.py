"""Domain-free plumbing shared by Switchboard services."""
