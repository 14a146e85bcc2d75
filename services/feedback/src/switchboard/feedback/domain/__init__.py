"""Feedback's rules, pure: survey decisions and links, answers, KPI formulas and roll-up
buckets, reports and their CSV."""
