"""Settings for every test in the monorepo."""

from hypothesis import HealthCheck, settings

# Shared 2-core machines stall now and then: a property test is about correctness, never
# about how long one example took (performance is measured by `make bench`).
settings.register_profile(
    "switchboard", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("switchboard")
