"""A customer's personal data across the four services, over their HTTP APIs: one export
document (GDPR art. 15), and an erasure followed until every service confirmed (art. 17)."""
