"""Routing's durable timers, each keyed by what it is about."""

OFFER_TIMER = "routing.offer-expiry"
"""Keyed by offer id: an offer not answered in time expires."""
REVIEW_TIMER = "routing.case-review"
"""Keyed by case id: a waiting case's step times out, or its preferred agent's wait ends."""
STAFFING_TIMER = "routing.staffing-check"
"""One timer (key ``pools``): the staffing advisor looks at every pool, and sets it again."""
